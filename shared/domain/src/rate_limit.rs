//! Fixed-window rate limits: how many requests a caller may make per window, and when a refused
//! caller may try again. The counting itself is the store's; this is the arithmetic.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u64,
    pub window_s: u64,
}

/// The window a moment falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Epoch seconds of the window's start: the counter's key.
    pub start: i64,
    /// Whole seconds until the next window (at least 1): the `Retry-After` of a refusal.
    pub retry_after_s: u64,
}

impl RateLimit {
    pub fn window(&self, now: DateTime<Utc>) -> Window {
        let window = self.window_s.max(1) as i64;
        let seconds = now.timestamp();
        let start = seconds - seconds.rem_euclid(window);
        let left_ms = (start + window) * 1000 - now.timestamp_millis();
        Window {
            start,
            retry_after_s: (left_ms.max(1) as u64).div_ceil(1000),
        }
    }

    /// Whether the `count`-th request of a window is allowed.
    pub fn allows(&self, count: u64) -> bool {
        count <= self.limit
    }

    /// What becomes of the `count`-th message of a window on a connection: answered, refused
    /// with the seconds to wait, or, once a client keeps sending past [`ABUSE_FACTOR`] times the
    /// limit in one window, refused and disconnected.
    pub fn verdict(&self, count: u64, window: Window) -> Verdict {
        if self.allows(count) {
            Verdict::Allowed
        } else if count <= self.limit.saturating_mul(ABUSE_FACTOR) {
            Verdict::Refused {
                retry_after_s: window.retry_after_s,
            }
        } else {
            Verdict::Close
        }
    }
}

/// How far past its limit a connection may go (refused all along) before it is closed.
pub const ABUSE_FACTOR: u64 = 2;

/// See [`RateLimit::verdict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Refused { retry_after_s: u64 },
    Close,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64, millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(seconds * 1000 + millis).unwrap()
    }

    #[test]
    fn messages_past_the_limit_are_refused_then_the_connection_closed() {
        let limit = RateLimit { limit: 3, window_s: 60 };
        let window = limit.window(at(130, 0));
        assert_eq!(limit.verdict(3, window), Verdict::Allowed);
        assert_eq!(limit.verdict(4, window), Verdict::Refused { retry_after_s: 50 });
        assert_eq!(limit.verdict(6, window), Verdict::Refused { retry_after_s: 50 });
        assert_eq!(limit.verdict(7, window), Verdict::Close);
    }

    #[test]
    fn windows_are_aligned_and_retry_after_rounds_up() {
        let limit = RateLimit { limit: 3, window_s: 60 };
        assert_eq!(
            limit.window(at(120, 0)),
            Window {
                start: 120,
                retry_after_s: 60
            }
        );
        assert_eq!(
            limit.window(at(179, 1)),
            Window {
                start: 120,
                retry_after_s: 1
            }
        );
        assert_eq!(
            limit.window(at(150, 500)),
            Window {
                start: 120,
                retry_after_s: 30
            }
        );
    }

    #[test]
    fn allows_up_to_the_limit() {
        let limit = RateLimit { limit: 2, window_s: 1 };
        assert!(limit.allows(1) && limit.allows(2));
        assert!(!limit.allows(3));
    }
}

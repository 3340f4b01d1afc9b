//! Retrying a provider: which failures are worth another try, how long to wait (exponential
//! backoff with full jitter, or what the provider asked for), and when to give up.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::RetryPolicy;
use crate::error::AgentError;

/// One failed attempt, classified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// 429, 5xx, 529, a timeout, a dropped connection, a garbled answer.
    Retryable {
        status: Option<u16>,
        reason: String,
        /// What the provider asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// Anything retrying cannot fix (bad key, bad request).
    Fatal { status: u16, message: String },
}

impl Failure {
    pub(crate) fn retryable(reason: impl Into<String>) -> Self {
        Failure::Retryable {
            status: None,
            reason: reason.into(),
            retry_after: None,
        }
    }
}

/// Statuses a provider uses for "not now" rather than "not ever".
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500 | 502 | 503 | 504 | 529)
}

/// A small xorshift generator: jitter needs spread, not cryptographic strength.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn from_clock() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Jitter::seeded(nanos as u64 ^ u64::from(std::process::id()).rotate_left(32))
    }

    pub(crate) fn seeded(seed: u64) -> Self {
        Jitter(seed | 1)
    }

    /// Uniform-enough in `[0, max]`.
    pub(crate) fn below(&mut self, max: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let nanos = max.as_nanos().min(u128::from(u64::MAX)) as u64;
        Duration::from_nanos(if nanos == 0 { 0 } else { self.0 % (nanos + 1) })
    }
}

/// The wait before the retry that follows failed attempt `attempt` (1-based): full jitter over
/// `base · 2^(attempt-1)` capped at `max_delay`, or the provider's own `retry_after` when given.
pub(crate) fn backoff(
    policy: &RetryPolicy,
    attempt: u32,
    retry_after: Option<Duration>,
    jitter: &mut Jitter,
) -> Duration {
    if let Some(wait) = retry_after {
        return wait;
    }
    let ceiling = policy
        .base_delay
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    jitter.below(ceiling.min(policy.max_delay))
}

/// Runs `call` (given the 1-based attempt number) until it succeeds, fails for good, or the
/// budget is spent. Returns the value and the number of attempts made.
pub(crate) async fn with_retries<T, F, Fut>(
    provider: &'static str,
    policy: &RetryPolicy,
    mut call: F,
) -> Result<(T, u32), AgentError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let mut jitter = Jitter::from_clock();
    let mut slept = Duration::ZERO;
    let max_attempts = policy.max_attempts.max(1);
    let mut attempt = 1;
    loop {
        let (status, reason, retry_after) = match call(attempt).await {
            Ok(value) => return Ok((value, attempt)),
            Err(Failure::Fatal { status, message }) => {
                return Err(AgentError::Rejected {
                    provider,
                    status,
                    attempts: attempt,
                    message,
                });
            }
            Err(Failure::Retryable {
                status,
                reason,
                retry_after,
            }) => (status, reason, retry_after),
        };
        let exhausted = |reason: String| AgentError::Exhausted {
            provider,
            status,
            attempts: attempt,
            reason,
        };
        if attempt >= max_attempts {
            return Err(exhausted(reason));
        }
        let remaining = policy.max_total_sleep.saturating_sub(slept);
        let wait = backoff(policy, attempt, retry_after, &mut jitter);
        if retry_after.is_some() && wait > remaining {
            let asked = wait.as_secs_f64();
            return Err(exhausted(format!(
                "{reason}; asked to wait {asked:.1} s, beyond the retry budget"
            )));
        }
        let wait = wait.min(remaining);
        tracing::warn!(provider, attempt, ?status, wait_ms = wait.as_millis() as u64, %reason, "retrying");
        tokio::time::sleep(wait).await;
        slept += wait;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_under_full_jitter_and_is_capped() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        let mut jitter = Jitter::seeded(42);
        for attempt in 1..=8 {
            let ceiling = Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_millis(1000));
            let waits: Vec<_> = (0..200).map(|_| backoff(&policy, attempt, None, &mut jitter)).collect();
            assert!(waits.iter().all(|w| *w <= ceiling), "attempt {attempt}");
            assert!(
                waits.iter().any(|w| *w > ceiling / 2),
                "jitter spreads up to the ceiling"
            );
            assert!(waits.iter().any(|w| *w < ceiling / 2), "full jitter goes low too");
        }
        let asked = backoff(&policy, 1, Some(Duration::from_secs(5)), &mut jitter);
        assert_eq!(asked, Duration::from_secs(5), "the provider's wait wins over the cap");
    }

    #[test]
    fn retryable_statuses_are_the_transient_ones() {
        for status in [429, 500, 502, 503, 504, 529] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 422] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_total_sleep: Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn the_loop_counts_attempts_and_stops_at_the_budget() {
        let mut calls = 0;
        let result: Result<((), u32), _> = with_retries("openai", &fast(), |_| {
            calls += 1;
            async {
                Err(Failure::Retryable {
                    status: Some(503),
                    reason: "busy".into(),
                    retry_after: None,
                })
            }
        })
        .await;
        assert_eq!(calls, 4);
        let error = result.unwrap_err();
        assert_eq!(error.attempts(), 4);
        assert!(error.to_string().contains("busy"), "{error}");

        let result = with_retries("openai", &fast(), |attempt| async move {
            if attempt < 3 {
                Err(Failure::retryable("reset"))
            } else {
                Ok(attempt)
            }
        })
        .await;
        assert_eq!(result.unwrap(), (3, 3));
    }

    #[tokio::test]
    async fn fatal_failures_and_overlong_waits_stop_at_once() {
        let result: Result<((), u32), _> = with_retries("anthropic", &fast(), |_| async {
            Err(Failure::Fatal {
                status: 401,
                message: "invalid x-api-key".into(),
            })
        })
        .await;
        assert!(matches!(
            result,
            Err(AgentError::Rejected {
                status: 401,
                attempts: 1,
                ..
            })
        ));

        let result: Result<((), u32), _> = with_retries("anthropic", &fast(), |_| async {
            let retry_after = Some(Duration::from_secs(3600));
            Err(Failure::Retryable {
                status: Some(429),
                reason: "slow down".into(),
                retry_after,
            })
        })
        .await;
        let error = result.unwrap_err();
        assert_eq!(error.attempts(), 1);
        assert!(error.to_string().contains("beyond the retry budget"), "{error}");
    }
}

//! Retrying a provider: which failures are worth another try, how long to wait (exponential
//! backoff with full jitter, or what the provider asked for), and when to give up.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

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

/// The wait a provider asks for: `retry-after-ms`, `Retry-After` (seconds or an HTTP date), or
/// on a 429, OpenAI's `x-ratelimit-reset-requests` (`1s`, `6m0s`, `20ms`) when nothing else is given
/// (it rides on every answer, so it means something only when the limit is what failed).
pub(crate) fn retry_hint(headers: &HeaderMap, rate_limited: bool, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return seconds(ms / 1000.0);
    }
    if let Some(wait) = header("retry-after").and_then(|v| parse_retry_after(v, now)) {
        return Some(wait);
    }
    header("x-ratelimit-reset-requests")
        .filter(|_| rate_limited)
        .and_then(parse_reset_duration)
}

pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return seconds(secs);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

fn seconds(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// Go-style durations as OpenAI writes them: `1s`, `6m0s`, `20ms`, `1m30.5s`, `2h`.
pub(crate) fn parse_reset_duration(value: &str) -> Option<Duration> {
    let mut total = 0.0;
    let mut rest = value.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    seconds(total)
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
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("0.5", now), Some(Duration::from_millis(500)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn openai_reset_durations_parse() {
        assert_eq!(parse_reset_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_reset_duration("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_reset_duration("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(parse_reset_duration("1m30.5s"), Some(Duration::from_millis(90_500)));
        assert_eq!(parse_reset_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_reset_duration("3 days"), None);
        assert_eq!(parse_reset_duration(""), None);
    }

    #[test]
    fn headers_prefer_retry_after_ms_then_retry_after_then_reset() {
        let now = SystemTime::now();
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset-requests", "2s".parse().unwrap());
        assert_eq!(retry_hint(&headers, true, now), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_hint(&headers, false, now),
            None,
            "a reset time alone means nothing on a 500"
        );
        headers.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_hint(&headers, true, now), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_hint(&headers, false, now), Some(Duration::from_millis(150)));
    }

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

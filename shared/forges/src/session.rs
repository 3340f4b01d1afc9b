//! One export's HTTP bookkeeping, common to both forges: how many calls it made, which failures
//! are worth another try, and how long it may wait for a rate limit before handing the job back.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use reqwest::header::HeaderMap;

use crate::error::ForgeError;

/// Total sleeping one export may do (rate limits and 5xx backoff together). Beyond it the job is
/// handed back with [`ForgeError::RateLimited`] and its `retry_at`: a Lambda should not idle for
/// minutes, and SQS can redeliver at the right time.
pub const DEFAULT_WAIT_BUDGET: Duration = Duration::from_secs(30);

/// Attempts for a call that fails with a 5xx or a dropped connection (only idempotent calls).
const TRANSIENT_ATTEMPTS: u32 = 3;

/// One failed attempt, classified.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The forge asked us to wait this long (primary or secondary rate limit).
    RateLimited(Duration),
    /// 5xx, timeout, dropped connection: another try may work if the call is idempotent.
    Transient(String),
    /// Retrying cannot help.
    Fatal(ForgeError),
}

/// Whether repeating a call after an unknown outcome is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Reads, and writes of content-addressed objects (a duplicate tree or blob is the same object).
    Safe,
    /// Writes whose second attempt could fail or duplicate (create a repository, a ref, a PR, a commit on GitLab).
    Once,
}

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) calls: u32,
    waited: Duration,
    budget: Duration,
}

impl Session {
    pub(crate) fn new(budget: Duration) -> Self {
        Session {
            calls: 0,
            waited: Duration::ZERO,
            budget,
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the wait budget is spent. Every
    /// attempt counts as an API call.
    pub(crate) async fn run<T, F, Fut>(&mut self, repeat: Repeat, mut attempt: F) -> Result<T, ForgeError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let mut transient = 0;
        loop {
            self.calls += 1;
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::RateLimited(wait)) => {
                    if self.waited + wait > self.budget {
                        let retry_at = chrono::Duration::from_std(wait).ok().map(|wait| Utc::now() + wait);
                        return Err(ForgeError::RateLimited { retry_at });
                    }
                    tracing::warn!(wait_ms = wait.as_millis() as u64, "forge rate limit: waiting");
                    self.sleep(wait).await;
                }
                Err(Failure::Transient(reason)) => {
                    transient += 1;
                    let wait = Duration::from_millis(250) * (1 << transient.min(4));
                    if repeat == Repeat::Once || transient >= TRANSIENT_ATTEMPTS || self.waited + wait > self.budget {
                        return Err(ForgeError::Transport(reason));
                    }
                    tracing::warn!(%reason, attempt = transient, "forge call failed: retrying");
                    self.sleep(wait).await;
                }
            }
        }
    }

    async fn sleep(&mut self, wait: Duration) {
        tokio::time::sleep(wait).await;
        self.waited += wait;
    }
}

/// Classifies a refusal. `message` is already scrubbed and names the call.
pub(crate) fn failure(status: u16, headers: &HeaderMap, message: String) -> Failure {
    if let Some(wait) = rate_limit_wait(status, headers, &message, SystemTime::now()) {
        return Failure::RateLimited(wait);
    }
    Failure::Fatal(match status {
        401 => ForgeError::Unauthorized,
        403 => ForgeError::Forbidden(message),
        404 => ForgeError::NotFound(message),
        409 => ForgeError::Conflict(message),
        400 | 422 => ForgeError::Invalid(message),
        408 | 500..=599 => return Failure::Transient(format!("HTTP {status}: {message}")),
        _ => ForgeError::Invalid(format!("HTTP {status}: {message}")),
    })
}

/// How long a 403/429 asks us to wait, or `None` when it is not a rate limit.
///
/// GitHub: `Retry-After` (secondary limits), else `x-ratelimit-remaining: 0` with
/// `x-ratelimit-reset` (epoch seconds, primary limit), else a minute as its docs advise.
/// GitLab: `Retry-After`, else `RateLimit-Reset` (epoch seconds) on a 429.
pub(crate) fn rate_limit_wait(status: u16, headers: &HeaderMap, message: &str, now: SystemTime) -> Option<Duration> {
    if status != 403 && status != 429 {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    let exhausted = header("x-ratelimit-remaining") == Some("0") || header("ratelimit-remaining") == Some("0");
    let says_limit = message.to_ascii_lowercase().contains("rate limit");
    if status == 403 && !exhausted && !says_limit && header("retry-after").is_none() {
        return None;
    }
    if let Some(wait) = header("retry-after").and_then(|value| parse_retry_after(value, now)) {
        return Some(wait);
    }
    let reset = header("x-ratelimit-reset").or_else(|| header("ratelimit-reset"));
    if let Some(reset) = reset
        .and_then(|value| value.parse::<u64>().ok())
        .filter(|_| exhausted || status == 429)
    {
        let at = UNIX_EPOCH + Duration::from_secs(reset);
        // GitHub's reset is a whole second; a little margin keeps us after it, not on it.
        return Some(at.duration_since(now).unwrap_or(Duration::ZERO) + Duration::from_millis(200));
    }
    Some(Duration::from_secs(60))
}

fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn rate_limits_are_told_apart_from_plain_refusals() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let primary = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1700000010")]);
        assert_eq!(
            rate_limit_wait(403, &primary, "API rate limit exceeded", now),
            Some(Duration::from_millis(10_200))
        );
        let secondary = headers(&[("retry-after", "7")]);
        assert_eq!(rate_limit_wait(403, &secondary, "", now), Some(Duration::from_secs(7)));
        assert_eq!(rate_limit_wait(429, &secondary, "", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        let dated = headers(&[("retry-after", later.as_str())]);
        assert_eq!(rate_limit_wait(429, &dated, "", now), Some(Duration::from_secs(30)));
        let gitlab = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "1700000003")]);
        assert_eq!(
            rate_limit_wait(429, &gitlab, "", now),
            Some(Duration::from_millis(3_200))
        );
        let bare = HeaderMap::new();
        assert_eq!(
            rate_limit_wait(403, &bare, "You have exceeded a secondary rate limit", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(rate_limit_wait(429, &bare, "", now), Some(Duration::from_secs(60)));
        assert_eq!(
            rate_limit_wait(403, &bare, "Resource not accessible by integration", now),
            None
        );
        let not_exhausted = headers(&[("x-ratelimit-remaining", "4999"), ("x-ratelimit-reset", "1700000010")]);
        assert_eq!(
            rate_limit_wait(403, &not_exhausted, "Must have admin rights", now),
            None
        );
        assert_eq!(rate_limit_wait(404, &primary, "", now), None);
    }

    #[test]
    fn statuses_map_to_their_errors() {
        let none = HeaderMap::new();
        let fatal = |status| match failure(status, &none, "m".into()) {
            Failure::Fatal(error) => error,
            other => panic!("{status}: {other:?}"),
        };
        assert_eq!(fatal(401), ForgeError::Unauthorized);
        assert_eq!(fatal(403), ForgeError::Forbidden("m".into()));
        assert_eq!(fatal(404), ForgeError::NotFound("m".into()));
        assert_eq!(fatal(409), ForgeError::Conflict("m".into()));
        assert_eq!(fatal(422), ForgeError::Invalid("m".into()));
        assert!(matches!(failure(502, &none, "m".into()), Failure::Transient(_)));
    }

    #[tokio::test]
    async fn a_wait_beyond_the_budget_hands_the_job_back_with_a_time() {
        let mut session = Session::new(Duration::from_millis(50));
        let result: Result<(), _> = session
            .run(Repeat::Safe, || async {
                Err(Failure::RateLimited(Duration::from_secs(3600)))
            })
            .await;
        let Err(ForgeError::RateLimited { retry_at: Some(at) }) = result else {
            panic!("{result:?}")
        };
        assert!(at > Utc::now() + chrono::Duration::minutes(59));
        assert_eq!(session.calls, 1);
    }

    #[tokio::test]
    async fn transient_failures_are_retried_only_when_repeating_is_safe() {
        let mut session = Session::new(Duration::from_secs(5));
        let mut tries = 0;
        let result = session
            .run(Repeat::Safe, || {
                tries += 1;
                let fail = tries < 2;
                async move {
                    if fail {
                        Err(Failure::Transient("502".into()))
                    } else {
                        Ok(tries)
                    }
                }
            })
            .await;
        assert_eq!(result, Ok(2));
        let result: Result<(), _> = session
            .run(Repeat::Once, || async { Err(Failure::Transient("reset".into())) })
            .await;
        assert_eq!(result, Err(ForgeError::Transport("reset".into())));
        assert_eq!(session.calls, 3);
    }
}

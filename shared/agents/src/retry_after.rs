//! How long a provider asks us to wait before trying again, from its response headers.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

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
}

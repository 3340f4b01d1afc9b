//! Why a delivery failed. Every message is safe to store and show: the token is stripped before a
//! forge's words reach one of these, and nothing here ever holds the token.

use chrono::{DateTime, Utc};

/// The ways delivering to a forge can fail. Statuses are the forge's; the branch is never moved
/// when one of these is returned before the ref update (GitHub) or the atomic commit (GitLab).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    /// 401: the token is missing, wrong, expired or revoked.
    #[error("the forge refused the token (HTTP 401): check that it is valid, not expired, and not revoked")]
    Unauthorized,
    /// 403 that is not a rate limit: the token lacks a scope or the target is protected.
    #[error("the token may not do this (HTTP 403): {0}")]
    Forbidden(String),
    /// 404: the owner, namespace, repository or object does not exist (or is hidden from the token).
    #[error("not found (HTTP 404): {0}")]
    NotFound(String),
    /// 409, or the branch moved under us: someone else is writing. Trying again re-reads the head.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 400/422, or input we refuse before calling (bad names, paths, tokens).
    #[error("the request was refused as invalid: {0}")]
    Invalid(String),
    /// The forge's rate limit, and waiting it out would overrun the wait budget.
    #[error("rate limited by the forge{}", retry_suffix(*retry_at))]
    RateLimited { retry_at: Option<DateTime<Utc>> },
    /// A GitLab base URL we refuse to send a token to.
    #[error("refusing the forge URL: {0}")]
    UnsafeUrl(String),
    /// The network, a 5xx, or an answer we could not read.
    #[error("the forge could not be reached or answered badly: {0}")]
    Transport(String),
    /// The caller's `read` could not supply a file's content.
    #[error("reading a generated file failed: {0}")]
    Read(String),
}

fn retry_suffix(retry_at: Option<DateTime<Utc>>) -> String {
    retry_at
        .map(|at| format!(": try again after {}", at.to_rfc3339()))
        .unwrap_or_else(|| ": try again later".to_owned())
}

impl ForgeError {
    /// Whether the same export, run again later without anyone changing anything, could succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ForgeError::RateLimited { .. } | ForgeError::Transport(_) | ForgeError::Conflict(_) | ForgeError::Read(_)
        )
    }
}

/// Removes secrets from text that came from outside (a forge's error body, a transport error):
/// the token itself, anything shaped like a GitHub or GitLab token, and bounds the length.
pub(crate) fn scrub(text: &str, secret: &str) -> String {
    let mut out = text.to_owned();
    if secret.len() >= 4 {
        out = out.replace(secret, "[redacted]");
    }
    for prefix in [
        "github_pat_",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "glpat-",
        "gloas-",
        "glptt-",
        // A URL's query token: codeload's, after GitHub's archive redirect, is in reqwest's errors.
        "token=",
    ] {
        out = mask_after(&out, prefix);
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&out, 500)
}

/// An error with its causes, which is where "connection refused" or "missing field" lives.
pub(crate) fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

fn mask_after(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        out.push_str(&rest[..at]);
        let tail = &rest[at + prefix.len()..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
            .unwrap_or(tail.len());
        out.push_str("[redacted]");
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_urls_query_token_is_masked() {
        let text = scrub(
            "GET /repos/o/r/tarball/abc: error sending request for url \
             (https://codeload.github.com/o/r/legacy.tar.gz/abc?token=AABC-12_x) after 2 tries",
            "secret",
        );
        assert!(!text.contains("AABC"), "{text}");
        assert!(text.ends_with("legacy.tar.gz/abc?[redacted]) after 2 tries"), "{text}");
    }

    #[test]
    fn scrub_removes_the_token_and_token_shaped_words() {
        let token = "s3cr3t-token-value";
        let text = format!("Bad credentials for {token}; also ghp_abcDEF123 and glpat-xyz_987 here");
        let clean = scrub(&text, token);
        assert!(!clean.contains(token), "{clean}");
        assert!(!clean.contains("abcDEF123"), "{clean}");
        assert!(!clean.contains("xyz_987"), "{clean}");
        assert!(clean.starts_with("Bad credentials for [redacted]"), "{clean}");
    }

    #[test]
    fn scrub_bounds_and_flattens() {
        let clean = scrub(&format!("a\n\n b {}", "x".repeat(2000)), "");
        assert!(clean.starts_with("a b x"));
        assert_eq!(clean.chars().count(), 501);
    }

    #[test]
    fn retryable_kinds_are_the_transient_ones() {
        assert!(ForgeError::RateLimited { retry_at: None }.is_retryable());
        assert!(ForgeError::Transport("x".into()).is_retryable());
        assert!(ForgeError::Conflict("x".into()).is_retryable());
        for error in [
            ForgeError::Unauthorized,
            ForgeError::Forbidden("x".into()),
            ForgeError::NotFound("x".into()),
            ForgeError::Invalid("x".into()),
            ForgeError::UnsafeUrl("x".into()),
        ] {
            assert!(!error.is_retryable(), "{error}");
        }
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let text = ForgeError::RateLimited { retry_at: Some(at) }.to_string();
        assert!(text.contains("2027-01-15T08:00:00+00:00"), "{text}");
    }
}

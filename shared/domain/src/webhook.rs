//! Signed inbound webhooks, Stripe style.
//!
//! The sender puts `t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">` in the signature header. During a
//! secret rotation it may send several `v1=` values, one per secret; one match is enough. Other schemes
//! (`v0=`, …) are ignored so senders can add them. The key is the secret exactly as both sides hold it, e.g.
//! the bytes of the string [`new_secret_hex`] returned.
//!
//! [`verify`] checks the signature before the timestamp, so only an authentic delivery can learn that it is
//! stale, and compares in constant time.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const SIGNATURE_BYTES: usize = 32;

/// Why a delivery is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the signature header must look like `t=<unix seconds>,v1=<64 hex digits of HMAC-SHA256>`")]
    Malformed,
    #[error("the signature's timestamp is too far from now: sign each delivery with the current time")]
    Stale,
    #[error("no signature in the header matches the body: check the webhook secret")]
    BadSignature,
}

/// The signature header value for `body` sent at `timestamp` (unix seconds): `t={timestamp},v1={hex}`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let signature = hex::encode(keyed(secret, timestamp, body).finalize().into_bytes());
    format!("t={timestamp},v1={signature}")
}

/// Checks `header` against `body`: well formed, one `v1` signature matching, and its timestamp within
/// `tolerance` of `now` in either direction.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    let (timestamp, signatures) = parse_header(header)?;
    let mac = keyed(secret, timestamp, body);
    if !signatures
        .iter()
        .any(|signature| mac.clone().verify_slice(signature).is_ok())
    {
        return Err(WebhookError::BadSignature);
    }
    let skew = now
        .timestamp()
        .checked_sub(timestamp)
        .and_then(i64::checked_abs)
        .ok_or(WebhookError::Stale)?;
    if skew > tolerance.num_seconds() {
        return Err(WebhookError::Stale);
    }
    Ok(())
}

/// A new webhook secret from 32 random bytes the caller supplies: 64 lower-case hex digits.
pub fn new_secret_hex(random: [u8; 32]) -> String {
    hex::encode(random)
}

fn keyed(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (longer ones are hashed first), so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn parse_header(header: &str) -> Result<(i64, Vec<Vec<u8>>), WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let (key, value) = item.trim().split_once('=').ok_or(WebhookError::Malformed)?;
        match key {
            "t" if timestamp.is_none() && !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                timestamp = Some(value.parse::<i64>().map_err(|_| WebhookError::Malformed)?);
            }
            "t" => return Err(WebhookError::Malformed),
            "v1" => {
                let signature = hex::decode(value).map_err(|_| WebhookError::Malformed)?;
                if signature.len() != SIGNATURE_BYTES {
                    return Err(WebhookError::Malformed);
                }
                signatures.push(signature);
            }
            _ => {}
        }
    }
    match timestamp {
        Some(timestamp) if !signatures.is_empty() => Ok((timestamp, signatures)),
        _ => Err(WebhookError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec-test";
    const BODY: &[u8] = br#"{"event":"generation.ready"}"#;
    const T: i64 = 1_700_000_000;

    fn at(timestamp: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(timestamp, 0).unwrap()
    }

    fn check(header: &str, body: &[u8], now: i64) -> Result<(), WebhookError> {
        verify(SECRET, header, body, at(now), Duration::minutes(5))
    }

    #[test]
    fn signing_matches_a_reference_hmac_sha256() {
        // python3: hmac.new(b"whsec-test", b'1700000000.{"event":"generation.ready"}', hashlib.sha256)
        assert_eq!(
            sign(SECRET, T, BODY),
            "t=1700000000,v1=50bf8a4222d1a53147149447a543f219a8140d4240136b5b295bf92d1acad1dd"
        );
    }

    #[test]
    fn deliveries_are_accepted_or_refused_for_the_right_reason() {
        let valid = sign(SECRET, T, BODY);
        for (case, header, body, now, expected) in [
            ("valid", valid.clone(), BODY, T, Ok(())),
            ("valid, 5 minutes late", valid.clone(), BODY, T + 300, Ok(())),
            ("valid, clock 5 minutes behind", valid.clone(), BODY, T - 300, Ok(())),
            (
                "tampered body",
                valid.clone(),
                &br#"{"event":"generation.failed"}"#[..],
                T,
                Err(WebhookError::BadSignature),
            ),
            (
                "wrong secret",
                sign(b"another-secret", T, BODY),
                BODY,
                T,
                Err(WebhookError::BadSignature),
            ),
            (
                "timestamp swapped",
                valid.replace("t=1700000000", "t=1700000001"),
                BODY,
                T,
                Err(WebhookError::BadSignature),
            ),
            ("stale", valid.clone(), BODY, T + 301, Err(WebhookError::Stale)),
            (
                "from the future",
                valid.clone(),
                BODY,
                T - 301,
                Err(WebhookError::Stale),
            ),
            (
                "stale and wrong",
                sign(b"another-secret", T, BODY),
                BODY,
                T + 3600,
                Err(WebhookError::BadSignature),
            ),
        ] {
            assert_eq!(check(&header, body, now), expected, "{case}");
        }
    }

    #[test]
    fn malformed_headers_are_refused_as_malformed() {
        let signature = sign(SECRET, T, BODY).split_once(",v1=").unwrap().1.to_owned();
        for header in [
            String::new(),
            "garbage".into(),
            format!("v1={signature}"),
            format!("t={T}"),
            format!("t={T},v0={signature}"),
            format!("t=abc,v1={signature}"),
            format!("t=-1,v1={signature}"),
            format!("t=,v1={signature}"),
            format!("t=99999999999999999999,v1={signature}"),
            format!("t={T},t={T},v1={signature}"),
            format!("t={T},v1=zz{}", &signature[2..]),
            format!("t={T},v1={}", &signature[..62]),
            format!("t={T};v1={signature}"),
            format!("t={T},v1={signature},"),
        ] {
            assert_eq!(check(&header, BODY, T), Err(WebhookError::Malformed), "{header:?}");
        }
    }

    #[test]
    fn one_matching_v1_among_several_is_enough_during_a_secret_rotation() {
        let old = sign(b"old-secret", T, BODY).split_once(",v1=").unwrap().1.to_owned();
        let new = sign(SECRET, T, BODY).split_once(",v1=").unwrap().1.to_owned();
        for header in [
            format!("t={T},v1={old},v1={new}"),
            format!("t={T},v1={new},v1={old}"),
            format!("t={T}, v0=legacy, v1={}", new.to_uppercase()),
        ] {
            assert_eq!(check(&header, BODY, T), Ok(()), "{header:?}");
        }
        assert_eq!(
            check(&format!("t={T},v1={old},v1={old}"), BODY, T),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn new_secrets_are_64_hex_digits_of_the_given_randomness() {
        let mut random = [0u8; 32];
        random[0] = 0xab;
        random[31] = 0x01;
        let secret = new_secret_hex(random);
        assert_eq!(secret.len(), 64);
        assert!(secret.starts_with("ab00") && secret.ends_with("0001"));
        assert_eq!(new_secret_hex(random), secret);
    }
}

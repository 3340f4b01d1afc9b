//! Signed inbound webhooks, Stripe style.
//!
//! The sender puts `t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">` in the signature header. During a
//! secret rotation it may send several `v1=` values, one per secret; one match is enough. The key is the
//! secret exactly as both sides hold it, e.g. the bytes of the string [`new_secret_hex`] returned.
//!
//! The header is parsed strictly, in the one spelling [`sign`] writes: `t` first, in canonical decimal
//! (no sign, no leading zero), then one or more distinct `v1` of 64 lower-case hex digits, separated by
//! a bare comma. Anything else (spaces, upper case, another scheme, a repeated field) is malformed. Replays
//! are recognized by what was signed ([`Verified::replay_key`]: the timestamp and the body), never by the
//! header's text, so no re-spelling of a header makes its delivery new.
//!
//! [`verify`] checks the signature before the timestamp, so only an authentic delivery can learn that it is
//! stale, and compares in constant time.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

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

/// An authentic, fresh delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Hex SHA-256 of the signed content (`"{t}.{body}"`): the same for every spelling of the header
    /// and every secret it was signed with, so it identifies the delivery for replay detection.
    pub replay_key: String,
}

/// Checks `header` against `body`: well formed, one `v1` signature matching, and its timestamp within
/// `tolerance` of `now` in either direction.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<Verified, WebhookError> {
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
    let signed = Sha256::new()
        .chain_update(timestamp.to_string())
        .chain_update(b".")
        .chain_update(body)
        .finalize();
    Ok(Verified {
        replay_key: hex::encode(signed),
    })
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
    let mut fields = header.split(',');
    let timestamp = fields
        .next()
        .and_then(|field| field.strip_prefix("t="))
        .filter(|t| is_canonical_decimal(t))
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or(WebhookError::Malformed)?;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for field in fields {
        let hex_digits = field.strip_prefix("v1=").ok_or(WebhookError::Malformed)?;
        let is_lower_hex = hex_digits.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if hex_digits.len() != SIGNATURE_BYTES * 2 || !is_lower_hex {
            return Err(WebhookError::Malformed);
        }
        let signature = hex::decode(hex_digits).map_err(|_| WebhookError::Malformed)?;
        if signatures.contains(&signature) {
            return Err(WebhookError::Malformed);
        }
        signatures.push(signature);
    }
    if signatures.is_empty() {
        return Err(WebhookError::Malformed);
    }
    Ok((timestamp, signatures))
}

/// Digits only, and no leading zero: the one way to write a number.
fn is_canonical_decimal(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && (text == "0" || !text.starts_with('0'))
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

    fn check(header: &str, body: &[u8], now: i64) -> Result<Verified, WebhookError> {
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
            assert_eq!(check(&header, body, now).map(|_| ()), expected, "{case}");
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
            // Re-spellings of a valid header: each would otherwise be a new text for the same delivery.
            format!("t={T}, v1={signature}"),
            format!(" t={T},v1={signature}"),
            format!("t={T},v1={}", signature.to_uppercase()),
            format!("t=0{T},v1={signature}"),
            format!("t=+{T},v1={signature}"),
            format!("v1={signature},t={T}"),
            format!("t={T},v1={signature},v1={signature}"),
            format!("t={T},v0=legacy,v1={signature}"),
            format!("t={T},v1={signature},v2={signature}"),
            format!("scheme=x,t={T},v1={signature}"),
        ] {
            assert_eq!(check(&header, BODY, T), Err(WebhookError::Malformed), "{header:?}");
        }
    }

    #[test]
    fn one_matching_v1_among_several_is_enough_during_a_secret_rotation() {
        let old = sign(b"old-secret", T, BODY).split_once(",v1=").unwrap().1.to_owned();
        let new = sign(SECRET, T, BODY).split_once(",v1=").unwrap().1.to_owned();
        for header in [format!("t={T},v1={old},v1={new}"), format!("t={T},v1={new},v1={old}")] {
            assert!(check(&header, BODY, T).is_ok(), "{header:?}");
        }
        let stranger = sign(b"stranger", T, BODY).split_once(",v1=").unwrap().1.to_owned();
        assert_eq!(
            check(&format!("t={T},v1={old},v1={stranger}"), BODY, T),
            Err(WebhookError::BadSignature)
        );
    }

    /// Replays are recognized by what was signed: every header that verifies for one timestamp and
    /// body, whichever secrets it carries, names the same delivery; another body or time does not.
    #[test]
    fn the_replay_key_is_the_signed_content_not_the_header() {
        let new = sign(SECRET, T, BODY);
        let old = sign(b"old-secret", T, BODY).split_once(",v1=").unwrap().1.to_owned();
        let key = |header: &str, body: &[u8]| check(header, body, T).unwrap().replay_key;
        let first = key(&new, BODY);
        assert_eq!(key(&format!("{new},v1={old}"), BODY), first);
        let v1 = new.split_once(",v1=").unwrap().1;
        assert_eq!(key(&format!("t={T},v1={old},v1={v1}"), BODY), first);
        assert_ne!(key(&sign(SECRET, T + 1, BODY), BODY), first);
        assert_ne!(key(&sign(SECRET, T, b"{}"), b"{}"), first);
        assert_eq!(first.len(), 64);
    }

    #[test]
    fn timestamps_have_one_spelling() {
        assert!(is_canonical_decimal("0") && is_canonical_decimal("1700000000"));
        for text in ["", "00", "01", "+1", "-1", "1e9", " 1"] {
            assert!(!is_canonical_decimal(text), "{text:?}");
        }
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

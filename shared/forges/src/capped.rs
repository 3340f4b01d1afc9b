//! Downloads held whole in memory (a branch's archive): the forge decides how many bytes come, so
//! the caller's limit is enforced as they arrive, not after.

use reqwest::header::{CONTENT_LENGTH, HeaderMap};

use crate::error::ForgeError;

/// Reserved up front at most, whatever the declared length: a length that lies costs nothing.
const RESERVE_BYTES: u64 = 64 * 1024 * 1024;

/// A body collected up to `max_bytes`: refused before the first byte when its declared length is
/// over, else as soon as the bytes received pass the limit (a chunked answer declares nothing).
#[derive(Debug)]
pub(crate) struct Capped<'a> {
    bytes: Vec<u8>,
    max_bytes: u64,
    /// Names the download in the refusal.
    what: &'a str,
}

impl<'a> Capped<'a> {
    pub(crate) fn new(what: &'a str, max_bytes: u64, headers: &HeaderMap) -> Result<Self, ForgeError> {
        let mut capped = Capped {
            bytes: Vec::new(),
            max_bytes,
            what,
        };
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        match declared {
            Some(length) if length > max_bytes => Err(capped.too_large()),
            Some(length) => {
                capped.bytes.reserve(length.min(RESERVE_BYTES) as usize);
                Ok(capped)
            }
            None => Ok(capped),
        }
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<(), ForgeError> {
        if self.bytes.len() as u64 + chunk.len() as u64 > self.max_bytes {
            return Err(self.too_large());
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn too_large(&self) -> ForgeError {
        ForgeError::Invalid(format!(
            "{} is larger than the limit of {} bytes",
            self.what, self.max_bytes
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn length(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, value.parse().unwrap());
        headers
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let refused = Capped::new("the archive", 10, &length("11")).unwrap_err();
        assert_eq!(
            refused,
            ForgeError::Invalid("the archive is larger than the limit of 10 bytes".into())
        );
        assert!(Capped::new("the archive", 10, &length("10")).is_ok());
    }

    #[test]
    fn an_undeclared_body_is_counted_as_it_streams() {
        let mut capped = Capped::new("the archive", 10, &HeaderMap::new()).unwrap();
        capped.push(b"12345").unwrap();
        capped.push(b"67890").unwrap();
        assert!(matches!(capped.push(b"1"), Err(ForgeError::Invalid(why)) if why.contains("limit of 10 bytes")));
        assert_eq!(capped.into_bytes(), b"1234567890");
    }

    #[test]
    fn a_declared_length_within_the_limit_does_not_excuse_a_longer_body() {
        let mut capped = Capped::new("the archive", 8, &length("4")).unwrap();
        capped.push(b"1234").unwrap();
        assert!(capped.push(b"56789").is_err());
    }
}

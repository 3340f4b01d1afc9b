//! Opaque pagination cursors: clients pass back what they were given and never build one.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::ApiError;

const VERSION: &str = "v1:";

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// What a listing was asked for: `?limit=` (1..=100, default 20) and `?cursor=`.
pub struct PageRequest<C> {
    pub limit: usize,
    pub after: Option<C>,
}

pub fn page_request<C: FromStr>(req: &lambda_http::Request) -> Result<PageRequest<C>, ApiError> {
    let limit = crate::request::query_param::<usize>(req, "limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let after = crate::request::query_param::<String>(req, "cursor")?
        .map(|raw| decode(&raw))
        .transpose()?;
    Ok(PageRequest { limit, after })
}

pub fn encode(position: &impl ToString) -> String {
    URL_SAFE_NO_PAD.encode(format!("{VERSION}{}", position.to_string()))
}

/// The position inside a cursor; anything we did not issue is a 400 on `cursor`.
pub fn decode<T: FromStr>(cursor: &str) -> Result<T, ApiError> {
    let invalid = || ApiError::bad_request("cursor", "is not a cursor this API returned");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(VERSION)
        .and_then(|position| position.parse().ok())
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_its_position() {
        let cursor = encode(&"0193d5e4-7c1a-7000-8000-000000000000");
        assert!(!cursor.contains("0193"), "the position should not show through");
        assert_eq!(
            decode::<String>(&cursor).unwrap(),
            "0193d5e4-7c1a-7000-8000-000000000000"
        );
    }

    #[test]
    fn forged_cursors_are_refused_on_the_cursor_field() {
        for forged in ["", "!!!", "bm9wZQ", &URL_SAFE_NO_PAD.encode("v1:not-a-number")] {
            match decode::<u64>(forged) {
                Err(ApiError::BadRequest { field, .. }) => assert_eq!(field, "cursor"),
                other => panic!("{forged:?} gave {other:?}"),
            }
        }
    }
}

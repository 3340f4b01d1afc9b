//! Opaque pagination cursors: clients pass back what they were given and never build one.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::ApiError;

const VERSION: &str = "v1:";

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// The most a page's items may weigh as JSON: Lambda answers at most 6 MB, and an item such as a
/// custom agent can weigh up to a body's limit (256 KiB), so a page stops early rather than fail.
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// The leading `items` that fit in [`MAX_PAGE_BYTES`] (at least one), and whether some were cut.
pub fn fit<T: serde::Serialize>(mut items: Vec<T>) -> (Vec<T>, bool) {
    let mut total = 0;
    let keep = items
        .iter()
        .position(|item| {
            total += serde_json::to_vec(item).map_or(0, |json| json.len() + 1);
            total > MAX_PAGE_BYTES
        })
        .map_or(items.len(), |over| over.max(1));
    let cut = keep < items.len();
    items.truncate(keep);
    (items, cut)
}

/// A store page's `items` cut to fit one response: when some were cut, the listing continues
/// after the last one sent (`key_of` it) instead of where the store's page ended.
pub fn fit_page<T: serde::Serialize, C>(
    items: Vec<T>,
    next: Option<C>,
    key_of: impl Fn(&T) -> C,
) -> (Vec<T>, Option<C>) {
    let (items, cut) = fit(items);
    let next = if cut { items.last().map(key_of) } else { next };
    (items, next)
}

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
    fn a_page_stops_before_its_items_outweigh_the_limit() {
        let item = "x".repeat(256 * 1024);
        let (kept, cut) = fit(vec![item.clone(); 25]);
        assert!(cut);
        assert_eq!(kept.len(), MAX_PAGE_BYTES / (item.len() + 3));
        let (kept, cut) = fit(vec!["small"; 100]);
        assert_eq!((kept.len(), cut), (100, false));
        let huge = "y".repeat(MAX_PAGE_BYTES + 1);
        assert_eq!(fit(vec![huge.clone(), huge]).0.len(), 1, "a page always makes progress");
    }

    #[test]
    fn a_cut_page_continues_after_its_last_item_sent() {
        let items: Vec<(u32, String)> = (0..25).map(|i| (i, "x".repeat(256 * 1024))).collect();
        let (kept, next) = fit_page(items, Some(99), |item| item.0);
        assert!(kept.len() < 25);
        assert_eq!(next, Some(kept.last().unwrap().0));
        let (kept, next) = fit_page(vec![(1, "small")], Some(99), |item| item.0);
        assert_eq!(
            (kept.len(), next),
            (1, Some(99)),
            "an uncut page keeps the store's cursor"
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

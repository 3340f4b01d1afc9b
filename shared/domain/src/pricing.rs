//! What tokens cost: list prices per model from one data file (`data/prices.json`, served as is by
//! `GET /prices`), looked up by the longest matching name prefix so dated snapshots
//! (`gpt-4o-mini-2024-07-18`) find their family. A model the file does not list costs 0 rather
//! than a guess: local models and the offline provider.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The data file, as shipped in every binary that prices anything.
pub const PRICES_JSON: &str = include_str!("../data/prices.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PriceList {
    pub currency: String,
    /// When the list prices were last checked.
    pub updated: String,
    pub models: Vec<ModelPrice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelPrice {
    pub prefix: String,
    pub input_per_million: f64,
    pub output_per_million: f64,
}

static PRICES: LazyLock<PriceList> =
    LazyLock::new(|| serde_json::from_str(PRICES_JSON).expect("data/prices.json is checked by a test"));

pub fn prices() -> &'static PriceList {
    &PRICES
}

/// USD per million (input, output) tokens, if the model is listed.
pub fn price_per_million(model: &str) -> Option<(f64, f64)> {
    let model = model.trim().to_ascii_lowercase();
    prices()
        .models
        .iter()
        .filter(|price| model.starts_with(&price.prefix))
        .max_by_key(|price| price.prefix.len())
        .map(|price| (price.input_per_million, price.output_per_million))
}

pub fn cost_usd(model: &str, input_tokens: u64, output_tokens: u64) -> f64 {
    let Some((input, output)) = price_per_million(model) else {
        return 0.0;
    };
    (input_tokens as f64 * input + output_tokens as f64 * output) / 1_000_000.0
}

/// Tokens in `text` as providers roughly count them (4 characters each): for estimates only;
/// what a call used comes from the provider's own usage report.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn the_data_file_parses_and_every_price_is_sane() {
        let list = prices();
        assert_eq!(list.currency, "USD");
        assert!(!list.models.is_empty());
        for price in &list.models {
            assert!(
                price.input_per_million > 0.0 && price.output_per_million >= price.input_per_million,
                "{price:?}"
            );
            assert_eq!(price.prefix, price.prefix.to_ascii_lowercase());
        }
    }

    #[test]
    fn known_models_cost_their_list_price() {
        assert!(close(cost_usd("gpt-4o-mini", 1_000_000, 1_000_000), 0.75));
        assert!(close(cost_usd("gpt-4o", 2_000, 1_000), 0.005 + 0.01));
        assert!(close(cost_usd("claude-3-5-haiku-latest", 1_000, 500), 0.0008 + 0.002));
    }

    #[test]
    fn dated_snapshots_use_their_family_and_the_longest_prefix_wins() {
        assert_eq!(price_per_million("gpt-4o-mini-2024-07-18"), Some((0.15, 0.60)));
        assert_eq!(price_per_million("gpt-4o-2024-08-06"), Some((2.50, 10.00)));
        assert_eq!(price_per_million("claude-3-5-haiku-20241022"), Some((0.80, 4.00)));
        assert_eq!(price_per_million("claude-3-haiku-20240307"), Some((0.25, 1.25)));
    }

    #[test]
    fn unknown_and_offline_models_are_free() {
        assert_eq!(cost_usd("offline-1", 10_000, 10_000), 0.0);
        assert_eq!(cost_usd("llama3.1:8b", 10_000, 10_000), 0.0);
        assert_eq!(cost_usd("gpt-4o-mini", 0, 0), 0.0);
        assert_eq!(estimate_tokens("abcdefgh"), 2);
    }
}

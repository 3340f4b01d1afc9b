//! What a run cost, from list prices in USD per million tokens (input, output). Models not in
//! the table (local models, new releases) cost 0 rather than a guess.

/// Prefixes of model names, so dated snapshots (`gpt-4o-mini-2024-07-18`,
/// `claude-3-5-haiku-20241022`) find their family; the longest matching prefix wins.
const PRICES: &[(&str, f64, f64)] = &[
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("o3-mini", 1.10, 4.40),
    ("o4-mini", 1.10, 4.40),
    ("gpt-3.5-turbo", 0.50, 1.50),
    ("claude-3-haiku", 0.25, 1.25),
    ("claude-3-5-haiku", 0.80, 4.00),
    ("claude-3-5-sonnet", 3.00, 15.00),
    ("claude-3-7-sonnet", 3.00, 15.00),
    ("claude-sonnet-4", 3.00, 15.00),
    ("claude-opus-4", 15.00, 75.00),
];

/// USD per million (input, output) tokens, if the model is known.
pub fn price_per_million(model: &str) -> Option<(f64, f64)> {
    let model = model.trim().to_ascii_lowercase();
    PRICES
        .iter()
        .filter(|(prefix, _, _)| model.starts_with(prefix))
        .max_by_key(|(prefix, _, _)| prefix.len())
        .map(|&(_, input, output)| (input, output))
}

pub fn cost_usd(model: &str, input_tokens: u64, output_tokens: u64) -> f64 {
    let Some((input, output)) = price_per_million(model) else {
        return 0.0;
    };
    (input_tokens as f64 * input + output_tokens as f64 * output) / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
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
    }
}

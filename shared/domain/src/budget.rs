//! Budgets: a cap on what an execution, or a user's month, may spend, in USD and in tokens.
//! A provider call reserves the most it can cost before it is made and settles what it did cost
//! after, so a budget stops a run before the money is spent, not after (the store applies
//! [`Budget::room`] in a conditional write).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ValidationError;

/// The most a single budget may be set to: a typo's guard, not a product limit.
pub const MAX_BUDGET_USD: f64 = 100_000.0;
/// The least: a millionth of a dollar (smaller amounts mean nothing, and DynamoDB cannot store
/// every tiny float).
pub const MIN_BUDGET_USD: f64 = 0.000_001;

/// Limits; an absent one is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0.000_001, maximum = 100_000.0)]
    pub max_cost_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub max_tokens: Option<u64>,
}

/// Money and tokens, spent or reserved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Spend {
    pub cost_usd: f64,
    pub tokens: u64,
}

impl Spend {
    pub fn new(cost_usd: f64, tokens: u64) -> Self {
        Self { cost_usd, tokens }
    }
}

/// Which budget a call would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetScope {
    Execution,
    Month,
}

impl Budget {
    pub fn is_unlimited(&self) -> bool {
        self.max_cost_usd.is_none() && self.max_tokens.is_none()
    }

    /// Checks the limits a user sets; `field` prefixes the names (`budget` → `budget.max_cost_usd`).
    pub fn validate(&self, field: &str) -> Result<(), ValidationError> {
        if let Some(cost) = self.max_cost_usd
            && !(cost.is_finite() && (MIN_BUDGET_USD..=MAX_BUDGET_USD).contains(&cost))
        {
            return Err(ValidationError::new(
                format!("{field}.max_cost_usd"),
                format!("must be {MIN_BUDGET_USD} to {MAX_BUDGET_USD}"),
            ));
        }
        if self.max_tokens == Some(0) {
            return Err(ValidationError::new(format!("{field}.max_tokens"), "must be above 0"));
        }
        Ok(())
    }

    /// The most that may already be committed (spent + reserved) for `more` to still fit: what
    /// a conditional write compares the stored total with. `None` for a dimension without limit;
    /// `Err` when `more` alone passes a limit.
    pub fn room(&self, more: Spend) -> Result<(Option<f64>, Option<u64>), Spend> {
        let cost = match self.max_cost_usd {
            Some(max) if more.cost_usd > max => return Err(more),
            Some(max) => Some(max - more.cost_usd),
            None => None,
        };
        let tokens = match self.max_tokens {
            Some(max) if more.tokens > max => return Err(more),
            Some(max) => Some(max - more.tokens),
            None => None,
        };
        Ok((cost, tokens))
    }

    /// Whether `spent` is past a limit (the check after a call, with its actual usage).
    pub fn exceeded_by(&self, spent: Spend) -> bool {
        self.max_cost_usd.is_some_and(|max| spent.cost_usd > max)
            || self.max_tokens.is_some_and(|max| spent.tokens > max)
    }

    /// Words for a refusal: which limit, and what was asked.
    pub fn describe_refusal(&self, scope: BudgetScope, committed: Spend, more: Spend) -> String {
        let whose = match scope {
            BudgetScope::Execution => "the execution's budget",
            BudgetScope::Month => "your monthly budget",
        };
        let limits = [
            self.max_cost_usd.map(|max| format!("${max:.4}")),
            self.max_tokens.map(|max| format!("{max} tokens")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" / ");
        format!(
            "{whose} ({limits}) would be passed: ${:.4} and {} tokens committed, the next call may use up to ${:.4} and {} tokens",
            committed.cost_usd, committed.tokens, more.cost_usd, more.tokens
        )
    }
}

/// One project and model's share of a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UsageLine {
    #[schema(value_type = uuid::Uuid)]
    pub project_id: crate::Id<crate::project::Project>,
    pub model: String,
    pub cost_usd: f64,
    pub tokens: u64,
    /// Provider calls made.
    pub calls: u64,
}

/// `YYYY-MM`, the key of a month's usage.
pub fn month_of(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m").to_string()
}

/// Checks a `?month=` value: `YYYY-MM`.
pub fn parse_month(text: &str) -> Result<String, ValidationError> {
    let ok = text.len() == 7
        && text.as_bytes()[4] == b'-'
        && text[..4].bytes().all(|b| b.is_ascii_digit())
        && text[5..].parse::<u32>().is_ok_and(|month| (1..=12).contains(&month));
    ok.then(|| text.to_owned())
        .ok_or_else(|| ValidationError::new("month", "must be YYYY-MM"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_the_limit_less_what_the_call_may_use() {
        let budget = Budget {
            max_cost_usd: Some(1.0),
            max_tokens: Some(10_000),
        };
        assert_eq!(budget.room(Spend::new(0.25, 4_000)), Ok((Some(0.75), Some(6_000))));
        assert_eq!(budget.room(Spend::new(1.5, 10)), Err(Spend::new(1.5, 10)));
        assert_eq!(budget.room(Spend::new(0.1, 20_000)), Err(Spend::new(0.1, 20_000)));
        assert_eq!(Budget::default().room(Spend::new(9.0, 9)), Ok((None, None)));
        assert!(budget.exceeded_by(Spend::new(1.01, 0)) && !budget.exceeded_by(Spend::new(1.0, 10_000)));
    }

    #[test]
    fn limits_are_checked_naming_the_field_and_refusals_say_which() {
        let zero = Budget {
            max_cost_usd: Some(0.0),
            max_tokens: None,
        };
        assert_eq!(zero.validate("budget").unwrap_err().field, "budget.max_cost_usd");
        let tokens = Budget {
            max_cost_usd: None,
            max_tokens: Some(0),
        };
        assert_eq!(tokens.validate("budget").unwrap_err().field, "budget.max_tokens");
        let nan = Budget {
            max_cost_usd: Some(f64::NAN),
            max_tokens: None,
        };
        assert!(nan.validate("b").is_err());
        let tiny = Budget {
            max_cost_usd: Some(2.0e-165),
            max_tokens: None,
        };
        assert_eq!(tiny.validate("budget").unwrap_err().field, "budget.max_cost_usd");
        let text = Budget {
            max_cost_usd: Some(0.05),
            max_tokens: None,
        }
        .describe_refusal(BudgetScope::Month, Spend::new(0.04, 100), Spend::new(0.02, 900));
        assert!(
            text.starts_with("your monthly budget ($0.0500) would be passed"),
            "{text}"
        );
    }

    #[test]
    fn months_are_yyyy_mm() {
        assert_eq!(parse_month("2026-12").unwrap(), "2026-12");
        assert!(parse_month("2026-13").is_err() && parse_month("26-1").is_err() && parse_month("2026/12").is_err());
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-05T10:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(month_of(at), "2026-03");
    }
}

//! Spending against budgets, counted in DynamoDB so every container sees the same totals.
//!
//! A provider call first reserves the most it can cost: an atomic `ADD` to the execution's
//! committed total (spent + reserved), conditioned on the total staying within the execution's
//! budget ([`Budget::room`]), then the same on the owner's month. After the call the reservation
//! becomes what it used. Two steps running at once cannot both pass a budget only one fits in.
//!
//! Items: the execution's row (`EXEC#{id}` / `EXEC`, top-level counters), the month's total
//! (`USAGE#{owner}` / `MONTH#{yyyy-mm}`), one row per project and model of that month
//! (`…/MONTH#{yyyy-mm}#PROJECT#{p}#MODEL#{m}`), and the owner's monthly budget (`…/BUDGET`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use forgeflow_domain::Id;
use forgeflow_domain::budget::{Budget, BudgetScope, Spend, UsageLine};
use forgeflow_domain::execution::Execution;
use forgeflow_domain::user::User;

use crate::StoreError;
use crate::error::dynamo;
use crate::executions::{EXEC_SK, partition};
use crate::item::{Item, key, s};

#[derive(Clone, Debug)]
pub struct SpendingStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

/// A reservation a budget refused, and what was already committed there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Refusal {
    pub scope: BudgetScope,
    pub committed: Spend,
}

/// A month of a user's spending.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonthUsage {
    pub spent: Spend,
    pub lines: Vec<UsageLine>,
}

/// The condition of a reservation: the most already committed for it to fit, per dimension
/// ([`Budget::room`]), and whether the row must exist (an execution's must; a month's starts).
struct Within {
    room: (Option<f64>, Option<u64>),
    must_exist: bool,
}

fn usage_partition(owner: Id<User>) -> String {
    format!("USAGE#{owner}")
}

fn month_sk(month: &str) -> String {
    format!("MONTH#{month}")
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// An amount of USD as a whole number of nano-dollars: counters add exactly (float sums leave
/// residues like 2.7e-17), and a zero sum is a plain `0` (moto cannot add to a stored `0E-7`).
fn usd(value: f64) -> AttributeValue {
    AttributeValue::N(((value * NANOS_PER_USD).round() as i64).to_string())
}

/// A nano-dollar counter, in USD.
fn dollars(item: &Item, name: &str) -> f64 {
    number(item, name) / NANOS_PER_USD
}

const NANOS_PER_USD: f64 = 1e9;

fn number(item: &Item, name: &str) -> f64 {
    match item.get(name) {
        Some(AttributeValue::N(text)) => text.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn committed(item: &Item) -> Spend {
    Spend::new(
        dollars(item, "committed_nano_usd"),
        number(item, "committed_tokens") as u64,
    )
}

impl SpendingStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Reserves `most` against the execution's budget and then the owner's month: both or
    /// neither. `Ok(Err(refusal))` names the budget that refused.
    pub async fn reserve(
        &self,
        execution: &Execution,
        monthly: &Budget,
        month: &str,
        most: Spend,
    ) -> Result<Result<(), Refusal>, StoreError> {
        let at_execution = key(partition(execution.id), EXEC_SK);
        if let Err(refusal) = self
            .add_within(
                at_execution.clone(),
                &execution.budget,
                BudgetScope::Execution,
                most,
                true,
            )
            .await?
        {
            return Ok(Err(refusal));
        }
        let at_month = key(usage_partition(execution.owner), month_sk(month));
        match self
            .add_within(at_month, monthly, BudgetScope::Month, most, false)
            .await
        {
            Ok(Ok(())) => Ok(Ok(())),
            outcome => {
                // Hand the execution's reservation back: the call will not be made.
                self.add_signed(at_execution, -most.cost_usd, -(most.tokens as i64), Spend::default())
                    .await?;
                outcome
            }
        }
    }

    /// Replaces the reservation `reserved` with what the call `used`, on the execution, the
    /// month and the month's line for the project and `model`. Returns the execution's spent
    /// total after it.
    pub async fn settle(
        &self,
        execution: &Execution,
        month: &str,
        model: &str,
        reserved: Spend,
        used: Spend,
    ) -> Result<Spend, StoreError> {
        let delta = Spend::new(used.cost_usd - reserved.cost_usd, 0);
        let token_delta = used.tokens as i64 - reserved.tokens as i64;
        let line = key(
            usage_partition(execution.owner),
            format!("{}#PROJECT#{}#MODEL#{model}", month_sk(month), execution.project),
        );
        let count_line = async {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(line))
                .update_expression("ADD nano_usd :c, tokens :t, calls :one SET project_id = :p, model = :m")
                .expression_attribute_values(":c", usd(used.cost_usd))
                .expression_attribute_values(":t", n(used.tokens))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":p", s(execution.project.to_string()))
                .expression_attribute_values(":m", s(model))
                .send()
                .await
                .map_err(|err| dynamo("count usage", "usage line", err))
        };
        // Three counters, independent of each other: written at once, one round trip per call.
        let (after, _, _) = futures_util::future::try_join3(
            self.add_signed(key(partition(execution.id), EXEC_SK), delta.cost_usd, token_delta, used),
            self.add_signed(
                key(usage_partition(execution.owner), month_sk(month)),
                delta.cost_usd,
                token_delta,
                used,
            ),
            count_line,
        )
        .await?;
        Ok(Spend::new(
            dollars(&after, "spent_nano_usd"),
            number(&after, "spent_tokens") as u64,
        ))
    }

    /// `ADD` of `more` to the committed total at `at`, refused past `budget`.
    async fn add_within(
        &self,
        at: Item,
        budget: &Budget,
        scope: BudgetScope,
        more: Spend,
        must_exist: bool,
    ) -> Result<Result<(), Refusal>, StoreError> {
        let room = match budget.room(more) {
            Ok(room) => room,
            Err(_) => {
                let current = self.read(&at).await?;
                return Ok(Err(Refusal {
                    scope,
                    committed: committed(&current),
                }));
            }
        };
        let within = Within { room, must_exist };
        match self
            .update(
                at.clone(),
                more.cost_usd,
                more.tokens as i64,
                Spend::default(),
                Some(&within),
            )
            .await
        {
            Ok(_) => Ok(Ok(())),
            Err(StoreError::Conflict(_)) => {
                let current = self.read(&at).await?;
                Ok(Err(Refusal {
                    scope,
                    committed: committed(&current),
                }))
            }
            Err(other) => Err(other),
        }
    }

    async fn add_signed(&self, at: Item, cost: f64, tokens: i64, spent: Spend) -> Result<Item, StoreError> {
        self.update(at, cost, tokens, spent, None).await
    }

    async fn update(
        &self,
        at: Item,
        committed_cost: f64,
        committed_tokens: i64,
        spent: Spend,
        within: Option<&Within>,
    ) -> Result<Item, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(at))
            .update_expression("ADD committed_nano_usd :cc, committed_tokens :ct, spent_nano_usd :sc, spent_tokens :st")
            .expression_attribute_values(":cc", usd(committed_cost))
            .expression_attribute_values(":ct", n(committed_tokens))
            .expression_attribute_values(":sc", usd(spent.cost_usd))
            .expression_attribute_values(":st", n(spent.tokens))
            // Only the counters: the run's row also holds its workflow snapshot, tens of KB that
            // every provider call would otherwise read back.
            .return_values(ReturnValue::UpdatedNew);
        if let Some(&Within {
            room: (cost_room, token_room),
            must_exist,
        }) = within
        {
            let mut conditions = Vec::new();
            if must_exist {
                conditions.push("attribute_exists(pk)".to_owned());
            }
            if let Some(room) = cost_room {
                conditions.push("(attribute_not_exists(committed_nano_usd) OR committed_nano_usd <= :room_c)".into());
                request = request.expression_attribute_values(":room_c", usd(room));
            }
            if let Some(room) = token_room {
                conditions.push("(attribute_not_exists(committed_tokens) OR committed_tokens <= :room_t)".into());
                request = request.expression_attribute_values(":room_t", n(room));
            }
            if !conditions.is_empty() {
                request = request.condition_expression(conditions.join(" AND "));
            }
        }
        let output = request
            .send()
            .await
            .map_err(|err| dynamo("count spending", "a budget would be passed", err))?;
        Ok(output.attributes.unwrap_or_default())
    }

    async fn read(&self, at: &Item) -> Result<Item, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(at.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| StoreError::backend("read spending", err))?;
        Ok(output.item.unwrap_or_default())
    }

    /// The owner's monthly budget (unlimited until set).
    pub async fn monthly_budget(&self, owner: Id<User>) -> Result<Budget, StoreError> {
        let item = self.read(&key(usage_partition(owner), "BUDGET")).await?;
        if item.is_empty() {
            return Ok(Budget::default());
        }
        let max_cost_usd = item.get("max_cost_usd").map(|_| number(&item, "max_cost_usd"));
        let max_tokens = item.get("max_tokens").map(|_| number(&item, "max_tokens") as u64);
        Ok(Budget {
            max_cost_usd,
            max_tokens,
        })
    }

    pub async fn set_monthly_budget(&self, owner: Id<User>, budget: &Budget) -> Result<(), StoreError> {
        let mut item: HashMap<String, AttributeValue> = key(usage_partition(owner), "BUDGET");
        if let Some(cost) = budget.max_cost_usd {
            item.insert("max_cost_usd".into(), n(cost));
        }
        if let Some(tokens) = budget.max_tokens {
            item.insert("max_tokens".into(), n(tokens));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|err| StoreError::backend("set the monthly budget", err))?;
        Ok(())
    }

    /// A month's total and its lines by project and model.
    pub async fn month(&self, owner: Id<User>, month: &str) -> Result<MonthUsage, StoreError> {
        let mut usage = MonthUsage::default();
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :month)")
            .expression_attribute_values(":pk", s(usage_partition(owner)))
            .expression_attribute_values(":month", s(month_sk(month)));
        for item in crate::item::query_all(query, "read usage").await? {
            let sk = crate::item::string_attr(&item, "sk").unwrap_or_default().to_owned();
            if sk == month_sk(month) {
                usage.spent = Spend::new(dollars(&item, "spent_nano_usd"), number(&item, "spent_tokens") as u64);
            } else if let (Some(project), Some(model)) = (
                crate::item::string_attr(&item, "project_id").and_then(|id| id.parse().ok()),
                crate::item::string_attr(&item, "model"),
            ) {
                usage.lines.push(UsageLine {
                    project_id: project,
                    model: model.to_owned(),
                    cost_usd: dollars(&item, "nano_usd"),
                    tokens: number(&item, "tokens") as u64,
                    calls: number(&item, "calls") as u64,
                });
            }
        }
        Ok(usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_counted_in_whole_nano_dollars() {
        let text = |value: f64| match usd(value) {
            AttributeValue::N(text) => text,
            other => panic!("{other:?}"),
        };
        assert_eq!(text(0.1 + 0.2 - 0.3), "0", "a residue of 5.5e-17 is nothing");
        assert_eq!(text(-0.000_000_1), "-100");
        assert_eq!(text(0.000_123_456_789_9), "123457");
        assert_eq!(text(100_000.0), "100000000000000");
        let item: Item = [("spent_nano_usd".to_owned(), usd(2.5))].into_iter().collect();
        assert_eq!(dollars(&item, "spent_nano_usd"), 2.5);
    }
}

//! Budgets at the provider call: before each call the most it can cost is reserved (its prompt's
//! estimated tokens plus the output limit, at the model's list price), after it what it did cost
//! is settled. The caller decides where the money is counted; the agents crate only asks.

use futures_util::future::BoxFuture;

use forgeflow_domain::budget::Spend;

use crate::error::AgentError;

/// Counts a run's provider calls against budgets. Refusing a reservation is
/// [`AgentError::Budget`]; failing to count at all is [`AgentError::Metering`] (transient).
pub trait Meter: Send + Sync {
    /// Before a call to `model` that may use up to `most`.
    fn reserve<'a>(&'a self, model: &'a str, most: Spend) -> BoxFuture<'a, Result<(), AgentError>>;
    /// After it: the reservation `reserved` is replaced by what was `used` (nothing, if it failed).
    fn settle<'a>(&'a self, model: &'a str, reserved: Spend, used: Spend) -> BoxFuture<'a, Result<(), AgentError>>;
}

/// No budget: every call may go.
pub struct Unmetered;

impl Meter for Unmetered {
    fn reserve<'a>(&'a self, _: &'a str, _: Spend) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async { Ok(()) })
    }

    fn settle<'a>(&'a self, _: &'a str, _: Spend, _: Spend) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async { Ok(()) })
    }
}

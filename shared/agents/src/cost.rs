//! What a run cost: the list prices of `forgeflow_domain::pricing`, one data file for the whole
//! product (budgets, estimates and `GET /prices` read the same one).

pub use forgeflow_domain::pricing::{cost_usd, price_per_million};

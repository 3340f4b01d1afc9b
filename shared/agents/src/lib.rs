//! Forgeflow's AI caller: runs one agent's step through a provider and returns JSON that meets
//! the agent's output contract.
//!
//! - **Providers**: offline (the default: deterministic, no network), any OpenAI-compatible
//!   chat completions endpoint, and Anthropic Messages. Answers stream (SSE) and report token
//!   progress; servers that ignore `stream` are understood too.
//! - **Retries**: 429, 5xx, 529 and network failures are retried with exponential backoff and
//!   full jitter, honouring `Retry-After`, within a bounded budget ([`RetryPolicy`]).
//! - **Contracts**: the answer's JSON object is validated against the agent's JSON Schema; a
//!   breach gets exactly one repair request before [`AgentError::Contract`].
//! - **Usage**: tokens in and out and their cost in USD ([`cost::cost_usd`]).
//! - **Budgets**: each provider call reserves the most it can cost before it is made and settles
//!   what it cost after, through the caller's [`Meter`].
//!
//! - **Keys**: an owner's own key ([`Endpoint`]: their base URL, checked and pinned like every
//!   user-given URL, and their allowed models) or the deployment's.
//!
//! Keys never reach logs or errors: [`ApiKey`]'s `Debug` is redacted and provider messages are
//! scrubbed of anything shaped like a key.

mod agents;
mod anthropic;
mod config;
mod contract;
pub mod cost;
mod endpoint;
mod error;
mod extract;
mod http;
mod input;
mod meter;
mod offline;
mod openai;
mod prompt;
mod retry;
mod retry_after;
mod sse;

pub use agents::Agents;
pub use config::{
    AgentsConfig, ApiKey, DEFAULT_ANTHROPIC_BASE_URL, DEFAULT_OPENAI_BASE_URL, ProviderConfig, RetryPolicy,
};
pub use contract::validate_contract_schema;
pub use endpoint::Endpoint;
pub use error::AgentError;
pub use input::{AgentInput, AgentRun, TokenProgress};
pub use meter::{Meter, Unmetered};

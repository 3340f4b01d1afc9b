//! Forgeflow's domain: validated values, entities and the rules between them.
//! Nothing here talks to the network or the clock; callers pass `now` in.

pub mod address;
pub mod agent;
pub mod audit;
pub mod budget;
pub mod catalog;
pub mod change;
pub mod contract;
pub mod credential;
pub mod diff;
pub mod error;
pub mod estimate;
pub mod execution;
pub mod export;
pub mod export_schedule;
pub mod generation;
pub mod hook;
pub mod id;
pub mod import;
pub mod manifest;
pub mod merge;
pub mod patch;
pub mod path;
pub mod plan;
pub mod pricing;
pub mod progress;
pub mod project;
pub mod rate_limit;
pub mod schedule;
pub mod text;
pub mod user;
pub mod webhook;
pub mod workflow;

pub use error::ValidationError;
pub use id::Id;

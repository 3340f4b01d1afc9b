//! The end-to-end suite: every flow through the local stack, against moto and the local forge and
//! AI servers. One test binary (see Cargo.toml); run one module with `cargo test -p forgeflow-tests
//! --test e2e <module>::`.

mod approvals;
mod audit;
mod auth;
mod budgets;
mod catalog;
mod changes;
mod cli;
mod diffs;
mod events;
mod executions;
mod exporter;
mod exports;
mod forges;
mod gateway;
mod generations;
mod gitlab_exports;
mod imports;
mod keys;
mod lambda;
mod openapi;
mod processes;
mod progress;
mod projects;
mod provider_steps;
mod providers;
mod schedules;
mod stack;
mod state_machine;
mod templates;

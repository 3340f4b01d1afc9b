//! Forgeflow's storage edge: the AWS SDK clients and the repositories built on them.
//! One DynamoDB table holds every entity; `docs/architecture.md` lists its keys and access patterns.

pub mod audit;
pub mod blobs;
pub mod clients;
pub mod connections;
pub mod credentials;
pub mod engine;
pub mod env;
pub mod error;
pub mod events;
pub mod executions;
pub mod exports;
pub mod generations;
pub mod hooks;
pub mod index;
pub mod item;
pub mod jobs;
pub mod owned;
pub mod projects;
pub mod rate_limits;
pub mod resources;
pub mod schedules;
pub mod secrets;
pub mod telemetry;
pub mod users;

pub use audit::AuditStore;
pub use blobs::Blobs;
pub use clients::Clients;
pub use connections::{Connection, ConnectionStore};
pub use credentials::CredentialStore;
pub use engine::Engine;
pub use env::Env;
pub use error::StoreError;
pub use events::EventStore;
pub use executions::ExecutionStore;
pub use exports::ExportStore;
pub use generations::GenerationStore;
pub use hooks::HookStore;
pub use jobs::JobQueue;
pub use owned::Owned;
pub use projects::{Page, ProjectStore};
pub use rate_limits::RateCounters;
pub use resources::Resources;
pub use schedules::ScheduleStore;
pub use users::UserStore;

//! Forgeflow's storage edge: the AWS SDK clients and the repositories built on them.
//! One DynamoDB table holds every entity; `docs/architecture.md` lists its keys and access patterns.

pub mod clients;
pub mod error;
pub mod item;
pub mod projects;
pub mod resources;
pub mod secrets;
pub mod users;

pub use clients::Clients;
pub use error::StoreError;
pub use projects::{Page, ProjectStore};
pub use resources::Resources;
pub use users::UserStore;

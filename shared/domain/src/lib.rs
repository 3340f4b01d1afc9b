//! Forgeflow's domain: validated values, entities and the rules between them.
//! Nothing here talks to the network or the clock; callers pass `now` in.

pub mod error;
pub mod id;
pub mod project;
pub mod text;
pub mod user;

pub use error::ValidationError;
pub use id::Id;

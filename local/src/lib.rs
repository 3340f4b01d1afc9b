//! The local stack: plays the parts of AWS that the moto emulator does not (API Gateway's HTTP
//! routing and payload format) and sets moto up the way CDK sets AWS up.

pub mod apigw;
pub mod apigw_ws;
pub mod bootstrap;
pub mod describe;
pub mod event_source;
pub mod functions;
pub mod gateway;
pub mod iam;
pub mod manifest;
pub mod moto;
pub mod principals;
pub mod processes;
pub mod runtime_api;
pub mod sigv4;
pub mod web;
pub mod websocket;
pub mod worker_processes;
pub mod workers;

pub use bootstrap::{Stack, bootstrap};
pub use gateway::Gateway;
pub use moto::Moto;

//! The SQS-triggered workers. Each handler takes an `SqsEvent` and answers with the ids of
//! the records to deliver again (partial batch failure); the local stack calls the same handlers.

pub mod batch;
pub mod change;
pub mod config;
pub mod deletion;
pub mod export;
pub mod generate;
pub mod import;
pub mod keys;
pub mod lambda;
pub mod meter;
pub mod scheduler;
pub mod step;

//! Progress to WebSocket clients: a [`Publisher`] numbers and stores each event in its topic,
//! then posts it to every connection listening, through the API Gateway management API — the
//! same calls in AWS and on the local stack. Reporting never fails the work being reported on.

mod coalesce;
mod publisher;
mod sender;

pub use coalesce::Coalesced;
pub use publisher::Publisher;
pub use sender::{PostError, Sender, WS_ENDPOINT_VAR};

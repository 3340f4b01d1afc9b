//! Live progress: what workers report, to which topic, and how it travels to WebSocket clients.
//! The wire protocol is described in `docs/progress.md`.

mod event;
mod frame;
mod topic;

pub use event::{ExportPhase, ProgressEvent, StoredEvent};
pub use frame::{ClientMessage, MAX_FRAME_BYTES, ServerFrame, event_frames};
pub use topic::{Topic, TopicKind};

use serde::{Deserialize, Serialize};

use super::event::StoredEvent;
use crate::ValidationError;

/// API Gateway's WebSocket frame limit: no frame we send may be larger.
pub const MAX_FRAME_BYTES: usize = 32 * 1024;

/// What the server sends; `type` tags it (`docs/progress.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Events {
        topic: String,
        events: Vec<StoredEvent>,
    },
    Subscribed {
        topic: String,
        last_seq: u64,
    },
    Unsubscribed {
        topic: String,
    },
    Pong,
    Error {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        /// The topic a refused `subscribe` / `unsubscribe` named, when it named one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
    },
}

impl ServerFrame {
    pub fn error(code: &str, message: impl Into<String>, field: Option<&str>) -> Self {
        Self::Error {
            code: code.to_owned(),
            message: message.into(),
            field: field.map(str::to_owned),
            topic: None,
        }
    }

    /// The same refusal, about `topic`.
    pub fn about(mut self, about: &str) -> Self {
        if let Self::Error { topic, .. } = &mut self {
            *topic = Some(about.to_owned());
        }
        self
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| r#"{"type":"error","code":"internal","message":"unencodable frame"}"#.to_owned())
    }
}

/// The longest topic a client may name (`generation:<uuid>` is 47 bytes).
pub const MAX_TOPIC_BYTES: usize = 128;

/// What a client sends; `action` tags it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    Subscribe { topic: String, after_seq: u64 },
    Unsubscribe { topic: String },
    Ping,
}

impl ClientMessage {
    /// Reads one client frame; a refusal names the field at fault.
    pub fn parse(body: &str) -> Result<Self, ValidationError> {
        let value: serde_json::Value =
            serde_json::from_str(body).map_err(|_| ValidationError::new("body", "must be a JSON object"))?;
        let object = value
            .as_object()
            .ok_or_else(|| ValidationError::new("body", "must be a JSON object"))?;
        let topic = || {
            let topic = object
                .get("topic")
                .and_then(|topic| topic.as_str())
                .ok_or_else(|| ValidationError::new("topic", "is required and must be a string"))?;
            if topic.len() > MAX_TOPIC_BYTES {
                return Err(ValidationError::new(
                    "topic",
                    format!("is {} bytes long; a topic is at most {MAX_TOPIC_BYTES}", topic.len()),
                ));
            }
            Ok(topic.to_owned())
        };
        match object.get("action").and_then(|action| action.as_str()) {
            Some("subscribe") => {
                let after_seq = match object.get("after_seq") {
                    None | Some(serde_json::Value::Null) => 0,
                    Some(seq) => seq
                        .as_u64()
                        .ok_or_else(|| ValidationError::new("after_seq", "must be a whole number ≥ 0"))?,
                };
                Ok(Self::Subscribe {
                    topic: topic()?,
                    after_seq,
                })
            }
            Some("unsubscribe") => Ok(Self::Unsubscribe { topic: topic()? }),
            Some("ping") => Ok(Self::Ping),
            _ => Err(ValidationError::new("action", "must be subscribe, unsubscribe or ping")),
        }
    }
}

/// `events` as `events` frames of `topic`, in order, each within [`MAX_FRAME_BYTES`].
pub fn event_frames(topic: &str, events: &[StoredEvent]) -> Vec<String> {
    let envelope = ServerFrame::Events {
        topic: topic.to_owned(),
        events: Vec::new(),
    }
    .to_json()
    .len();
    let mut frames = Vec::new();
    let mut batch: Vec<StoredEvent> = Vec::new();
    let mut size = envelope;
    for event in events {
        let event_size = serde_json::to_string(event).map(|json| json.len()).unwrap_or(0) + 1;
        if !batch.is_empty() && size + event_size > MAX_FRAME_BYTES {
            frames.push(frame(topic, std::mem::take(&mut batch)));
            size = envelope;
        }
        size += event_size;
        batch.push(event.clone());
    }
    if !batch.is_empty() {
        frames.push(frame(topic, batch));
    }
    frames
}

fn frame(topic: &str, events: Vec<StoredEvent>) -> String {
    ServerFrame::Events {
        topic: topic.to_owned(),
        events,
    }
    .to_json()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::progress::ProgressEvent;

    fn failed(seq: u64, error_chars: usize) -> StoredEvent {
        StoredEvent {
            seq,
            at: Utc::now(),
            event: ProgressEvent::GenerationFailed {
                generation_id: Uuid::now_v7(),
                project_id: Uuid::now_v7(),
                error: "\u{1F600}".repeat(error_chars),
            }
            .bounded(),
        }
    }

    #[test]
    fn a_long_replay_is_split_into_frames_within_the_limit_in_order() {
        let topic = format!("generation:{}", Uuid::now_v7());
        let events: Vec<_> = (1..=2_000).map(|seq| failed(seq, 50_000)).collect();
        let frames = event_frames(&topic, &events);
        assert!(frames.len() > 1);
        let mut seen = Vec::new();
        for frame in &frames {
            assert!(frame.len() <= MAX_FRAME_BYTES, "{} bytes", frame.len());
            let ServerFrame::Events { topic: t, events } = serde_json::from_str(frame).unwrap() else {
                panic!("not an events frame")
            };
            assert_eq!(t, topic);
            seen.extend(events);
        }
        assert_eq!(seen, events);
    }

    #[test]
    fn no_events_no_frames() {
        assert!(event_frames("execution:x", &[]).is_empty());
    }

    #[test]
    fn parses_the_three_actions() {
        assert_eq!(
            ClientMessage::parse(r#"{"action":"subscribe","topic":"execution:1","after_seq":4}"#).unwrap(),
            ClientMessage::Subscribe {
                topic: "execution:1".into(),
                after_seq: 4
            }
        );
        assert_eq!(
            ClientMessage::parse(r#"{"action":"subscribe","topic":"t"}"#).unwrap(),
            ClientMessage::Subscribe {
                topic: "t".into(),
                after_seq: 0
            }
        );
        assert_eq!(
            ClientMessage::parse(r#"{"action":"unsubscribe","topic":"t"}"#).unwrap(),
            ClientMessage::Unsubscribe { topic: "t".into() }
        );
        assert_eq!(
            ClientMessage::parse(r#"{"action":"ping"}"#).unwrap(),
            ClientMessage::Ping
        );
    }

    #[test]
    fn refusals_name_the_field() {
        let cases = [
            ("not json", "body"),
            ("{}", "action"),
            (r#"{"action":"dance"}"#, "action"),
            (r#"{"action":"subscribe"}"#, "topic"),
            (r#"{"action":"subscribe","topic":"t","after_seq":-1}"#, "after_seq"),
            (r#"{"action":"subscribe","topic":7}"#, "topic"),
        ];
        let long = format!(r#"{{"action":"subscribe","topic":"{}"}}"#, "x".repeat(100_000));
        let refused = ClientMessage::parse(&long).unwrap_err();
        assert_eq!(refused.field, "topic");
        assert!(refused.message.len() < 200, "the refusal does not echo the topic");
        for (body, field) in cases {
            assert_eq!(ClientMessage::parse(body).unwrap_err().field, field, "{body}");
        }
    }
}

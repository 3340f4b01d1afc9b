//! A WebSocket client for the progress protocol (`docs/progress.md`), as a browser or the CLI
//! uses it: real sockets to the local gateway's `/ws`.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Sizes of the raw frames received, for the frame-size checks.
    pub frame_sizes: Vec<usize>,
    /// The protocol the server chose in the handshake.
    pub protocol: Option<String>,
}

/// How a handshake was refused: the HTTP status the gateway answered with.
#[derive(Debug)]
pub struct Refused(pub u16);

impl WsClient {
    /// Connects with the token offered as a subprotocol (as the page does).
    pub async fn connect(url: &str, token: &str) -> Result<Self, Refused> {
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_str(&format!("forgeflow.v1, {token}")).unwrap(),
        );
        Self::open(request).await
    }

    /// Connects to `url` as it is (a `?token=` in it, or none).
    pub async fn connect_url(url: &str) -> Result<Self, Refused> {
        Self::open(url.into_client_request().unwrap()).await
    }

    async fn open(request: tokio_tungstenite::tungstenite::handshake::client::Request) -> Result<Self, Refused> {
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, response)) => Ok(Self {
                socket,
                frame_sizes: Vec::new(),
                protocol: response
                    .headers()
                    .get("sec-websocket-protocol")
                    .map(|v| v.to_str().unwrap().to_owned()),
            }),
            Err(Error::Http(response)) => Err(Refused(response.status().as_u16())),
            Err(other) => panic!("connect failed: {other}"),
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn subscribe(&mut self, topic: &str, after_seq: u64) {
        self.send(json!({"action": "subscribe", "topic": topic, "after_seq": after_seq}))
            .await;
    }

    /// The next frame, or `None` if none comes within `wait` (or the socket closed).
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(wait, self.socket.next()).await.ok()??;
            match message.ok()? {
                Message::Text(text) => {
                    self.frame_sizes.push(text.len());
                    return Some(serde_json::from_str(&text).unwrap());
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Frames until one satisfies `done` (included); panics after 60 s.
    pub async fn until(&mut self, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut frames = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self
                .next(left)
                .await
                .unwrap_or_else(|| panic!("no frame satisfied the condition; got {frames:#?}"));
            let finished = done(&frame);
            frames.push(frame);
            if finished {
                return frames;
            }
        }
    }

    /// Closes the socket properly (a close frame).
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// Every event of `topic` in `frames`, in arrival order.
fn arrivals<'a>(frames: &'a [Value], topic: &'a str) -> impl Iterator<Item = (u64, &'a Value)> {
    frames
        .iter()
        .filter(move |f| f["type"] == "events" && f["topic"] == topic)
        .flat_map(|frame| frame["events"].as_array().unwrap())
        .map(|event| (event["seq"].as_u64().unwrap(), event))
}

/// The events of `topic` in `frames`, by seq; panics on a duplicate seq.
pub fn events_of(frames: &[Value], topic: &str) -> BTreeMap<u64, Value> {
    let mut events = BTreeMap::new();
    for (seq, event) in arrivals(frames, topic) {
        assert!(events.insert(seq, event.clone()).is_none(), "seq {seq} arrived twice");
    }
    events
}

/// The events of `topic` in `frames` as a client keeps them: a seq it already has is dropped
/// (an event published while a `subscribe` replays may come both live and replayed).
pub fn deduplicated(frames: &[Value], topic: &str) -> BTreeMap<u64, Value> {
    let mut events = BTreeMap::new();
    for (seq, event) in arrivals(frames, topic) {
        events.entry(seq).or_insert_with(|| event.clone());
    }
    events
}

/// Whether `frame` carries an event of kind `kind`.
pub fn has_kind(frame: &Value, kind: &str) -> bool {
    frame["type"] == "events" && frame["events"].as_array().unwrap().iter().any(|e| e["kind"] == kind)
}

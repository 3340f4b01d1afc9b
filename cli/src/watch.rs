//! The progress WebSocket (`docs/progress.md`): subscribe to topics, drop duplicate sequence
//! numbers, and on a dropped socket reconnect and resubscribe after the last number seen.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use forgeflow_domain::progress::ProgressEvent;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::api::Api;
use crate::config::{Settings, derived_ws_url};
use crate::error::CliError;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Consecutive failed connections (or connections dropped before a single frame) before giving up.
const MAX_FAILURES: u32 = 8;
/// A silent socket gets a ping this often (API Gateway closes idle ones after 10 minutes).
const PING_AFTER: Duration = Duration::from_secs(30);

/// The socket's URL: flag, environment or file; else the API's `/config.json` (`wsUrl`, which
/// the local stack and the deployed page both serve); else `ws(s)://host/ws`.
pub async fn ws_url(settings: &Settings, api: &Api) -> String {
    if let Some(url) = &settings.ws_url {
        return url.clone();
    }
    let discovered = async {
        let url = format!("{}/config.json", settings.endpoint);
        let response = api.fetch(&url, Some(Duration::from_secs(5))).await.ok()?;
        let config: Value = response.json().await.ok()?;
        config["wsUrl"]
            .as_str()
            .filter(|url| url.starts_with("ws://") || url.starts_with("wss://"))
            .map(str::to_owned)
    };
    match discovered.await {
        Some(url) => url,
        None => derived_ws_url(&settings.endpoint),
    }
}

/// What the feed hands out.
#[derive(Debug)]
pub enum Item {
    /// A new event of `topic` (never one already handed out). `event` is `None` for a kind this
    /// version does not know; `raw` is the event as sent.
    Event {
        topic: String,
        raw: Value,
        event: Option<ProgressEvent>,
    },
    /// The server refused to subscribe to `topic`.
    Refused {
        topic: String,
        code: String,
        message: String,
    },
}

/// The sequence numbers seen on one topic: all up to `contiguous`, and some above.
#[derive(Debug, Default)]
struct Seen {
    contiguous: u64,
    above: BTreeSet<u64>,
}

impl Seen {
    /// Records `seq`; false if it was seen before.
    fn insert(&mut self, seq: u64) -> bool {
        if seq <= self.contiguous || !self.above.insert(seq) {
            return false;
        }
        while self.above.remove(&(self.contiguous + 1)) {
            self.contiguous += 1;
        }
        true
    }
}

pub struct Feed {
    url: String,
    token: String,
    topics: Vec<String>,
    seen: HashMap<String, Seen>,
    socket: Option<Socket>,
    pending: VecDeque<Item>,
    failures: u32,
    /// Frames received on the current socket.
    frames: u64,
}

enum Attempt {
    Retry(CliError),
    Fatal(CliError),
}

impl Feed {
    /// Connects and subscribes to `topics`, each after the number `after` gives it (from its
    /// first event otherwise): a retried run is followed from where its earlier attempt ended.
    pub async fn open(url: &str, token: &str, topics: &[String], after: &[(String, u64)]) -> Result<Self, CliError> {
        let seen = after
            .iter()
            .map(|(topic, seq)| {
                let seen = Seen {
                    contiguous: *seq,
                    above: BTreeSet::new(),
                };
                (topic.clone(), seen)
            })
            .collect();
        let mut feed = Self {
            url: url.to_owned(),
            token: token.to_owned(),
            topics: topics.to_vec(),
            seen,
            socket: None,
            pending: VecDeque::new(),
            failures: 0,
            frames: 0,
        };
        feed.connect().await?;
        Ok(feed)
    }

    /// The next new event or refusal; reconnects (and resumes) as often as it takes.
    pub async fn next(&mut self) -> Result<Item, CliError> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Ok(item);
            }
            let Some(socket) = self.socket.as_mut() else {
                self.connect().await?;
                continue;
            };
            match tokio::time::timeout(PING_AFTER, socket.next()).await {
                Err(_) => {
                    let ping = Message::Text(json!({"action": "ping"}).to_string().into());
                    if socket.send(ping).await.is_err() {
                        self.dropped();
                    }
                }
                Ok(Some(Ok(Message::Text(text)))) => {
                    self.frames += 1;
                    self.failures = 0;
                    self.accept(&text);
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => self.dropped(),
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    fn dropped(&mut self) {
        self.socket = None;
        if self.frames == 0 {
            self.failures += 1;
        }
    }

    async fn connect(&mut self) -> Result<(), CliError> {
        loop {
            if self.failures > 0 {
                let backoff = Duration::from_millis(250 << self.failures.min(4));
                tokio::time::sleep(backoff).await;
            }
            match self.handshake().await {
                Ok(socket) => {
                    self.socket = Some(socket);
                    self.frames = 0;
                    return self.subscribe_all().await;
                }
                Err(Attempt::Fatal(err)) => return Err(err),
                Err(Attempt::Retry(err)) => {
                    self.failures += 1;
                    if self.failures >= MAX_FAILURES {
                        return Err(err);
                    }
                }
            }
        }
    }

    async fn handshake(&self) -> Result<Socket, Attempt> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|err| Attempt::Fatal(CliError::Usage(format!("WebSocket URL {}: {err}", self.url))))?;
        let protocols = HeaderValue::from_str(&format!("forgeflow.v1, {}", self.token))
            .map_err(|_| Attempt::Fatal(CliError::Usage("the token has characters no header may carry".into())))?;
        request.headers_mut().insert("sec-websocket-protocol", protocols);
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(socket),
            Err(WsError::Http(response)) => {
                let status = response.status().as_u16();
                match status {
                    401 | 403 => Err(Attempt::Fatal(CliError::Api {
                        status,
                        code: "unauthorized".into(),
                        message: "the progress WebSocket refused the token".into(),
                        field: None,
                    })),
                    500..=599 => Err(Attempt::Retry(self.unreachable(format!("HTTP {status}")))),
                    _ => Err(Attempt::Fatal(self.unreachable(format!(
                        "HTTP {status}: is this the WebSocket URL? (set FORGEFLOW_WS_URL or --ws-url)"
                    )))),
                }
            }
            Err(err) => Err(Attempt::Retry(self.unreachable(crate::error::root_cause(&err)))),
        }
    }

    fn unreachable(&self, reason: String) -> CliError {
        CliError::Connection {
            url: self.url.clone(),
            reason,
        }
    }

    /// Subscribes to every topic after the highest contiguous number seen (0 at first).
    async fn subscribe_all(&mut self) -> Result<(), CliError> {
        let messages: Vec<String> = self
            .topics
            .iter()
            .map(|topic| {
                let after = self.seen.get(topic).map_or(0, |seen| seen.contiguous);
                json!({"action": "subscribe", "topic": topic, "after_seq": after}).to_string()
            })
            .collect();
        let Some(socket) = self.socket.as_mut() else {
            return Ok(());
        };
        for message in messages {
            if socket.send(Message::Text(message.into())).await.is_err() {
                self.dropped();
                return Ok(());
            }
        }
        Ok(())
    }

    /// Takes in one server frame: new events and refusals go to `pending`.
    fn accept(&mut self, text: &str) {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let topic = frame["topic"].as_str().unwrap_or_default().to_owned();
        match frame["type"].as_str() {
            Some("events") => {
                let Some(events) = frame["events"].as_array() else {
                    return;
                };
                let seen = self.seen.entry(topic.clone()).or_default();
                for raw in events {
                    let Some(seq) = raw["seq"].as_u64() else { continue };
                    if seen.insert(seq) {
                        let event = serde_json::from_value(raw.clone()).ok();
                        self.pending.push_back(Item::Event {
                            topic: topic.clone(),
                            raw: raw.clone(),
                            event,
                        });
                    }
                }
            }
            Some("error") if !topic.is_empty() => self.pending.push_back(Item::Refused {
                topic,
                code: frame["code"].as_str().unwrap_or("error").to_owned(),
                message: frame["message"].as_str().unwrap_or("refused").to_owned(),
            }),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_dropped_and_resume_is_after_the_contiguous_run() {
        let mut seen = Seen::default();
        assert!(seen.insert(1));
        assert!(seen.insert(3));
        assert!(!seen.insert(1));
        assert!(!seen.insert(3));
        assert_eq!(seen.contiguous, 1);
        assert!(seen.insert(2));
        assert_eq!(seen.contiguous, 3);
        assert!(!seen.insert(2));
    }

    fn feed() -> Feed {
        Feed {
            url: "ws://x/ws".into(),
            token: "t".into(),
            topics: vec!["execution:1".into()],
            seen: HashMap::new(),
            socket: None,
            pending: VecDeque::new(),
            failures: 0,
            frames: 0,
        }
    }

    #[test]
    fn a_replay_overlapping_live_events_yields_each_event_once() {
        let mut feed = feed();
        let event = |seq: u64| json!({"seq": seq, "at": "2026-01-01T00:00:00Z", "kind": "step_progress", "step": "plan", "output_tokens": seq});
        feed.accept(&json!({"type": "events", "topic": "execution:1", "events": [event(1), event(2)]}).to_string());
        feed.accept(&json!({"type": "events", "topic": "execution:1", "events": [event(2), event(3)]}).to_string());
        feed.accept(&json!({"type": "subscribed", "topic": "execution:1", "last_seq": 3}).to_string());
        feed.accept(&json!({"type": "events", "topic": "execution:1", "events": [event(4), {"seq": 5, "kind": "from_the_future"}]}).to_string());
        let seqs: Vec<(u64, bool)> = feed
            .pending
            .iter()
            .map(|item| match item {
                Item::Event { raw, event, .. } => (raw["seq"].as_u64().unwrap(), event.is_some()),
                Item::Refused { .. } => panic!(),
            })
            .collect();
        assert_eq!(seqs, [(1, true), (2, true), (3, true), (4, true), (5, false)]);
        assert_eq!(feed.seen["execution:1"].contiguous, 5);
    }

    use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

    /// The handshake as the gateway answers it: the token offered as a subprotocol, `forgeflow.v1` chosen.
    #[allow(clippy::result_large_err)] // the signature tungstenite's callback has
    fn answer_protocol(request: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
        let offered = request.headers()["sec-websocket-protocol"].to_str().unwrap();
        assert_eq!(offered, "forgeflow.v1, secret");
        response
            .headers_mut()
            .insert("sec-websocket-protocol", HeaderValue::from_static("forgeflow.v1"));
        Ok(response)
    }

    /// A server that sends events 1-2 and drops the socket, then on the second connection checks
    /// the resubscription resumes after 2 and sends 2 (again) and 3.
    #[tokio::test]
    async fn a_dropped_socket_is_reopened_and_resumes_after_the_last_seq() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ws", listener.local_addr().unwrap());
        let event = |seq: u64| json!({"seq": seq, "at": "2026-01-01T00:00:00Z", "kind": "step_started", "step": "plan", "role": "pm", "delivery": 1});
        let server = tokio::spawn(async move {
            let mut subscriptions = Vec::new();
            for batch in [vec![event(1), event(2)], vec![event(2), event(3)]] {
                let (stream, _) = listener.accept().await.unwrap();
                let mut socket = tokio_tungstenite::accept_hdr_async(stream, answer_protocol)
                    .await
                    .unwrap();
                let Some(Ok(Message::Text(subscribe))) = socket.next().await else {
                    panic!("a subscribe")
                };
                subscriptions.push(serde_json::from_str::<Value>(&subscribe).unwrap());
                let frame = json!({"type": "events", "topic": "execution:1", "events": batch});
                socket.send(Message::Text(frame.to_string().into())).await.unwrap();
                socket.close(None).await.unwrap();
            }
            subscriptions
        });
        let mut feed = Feed::open(&url, "secret", &["execution:1".to_owned()], &[])
            .await
            .unwrap();
        let mut seqs = Vec::new();
        while seqs.len() < 3 {
            let Item::Event { raw, .. } = feed.next().await.unwrap() else {
                panic!()
            };
            seqs.push(raw["seq"].as_u64().unwrap());
        }
        assert_eq!(seqs, [1, 2, 3]);
        let subscriptions = server.await.unwrap();
        assert_eq!(subscriptions[0]["after_seq"], 0);
        assert_eq!(
            subscriptions[1]["after_seq"], 2,
            "resumed after the last seq: {subscriptions:?}"
        );
        assert_eq!(subscriptions[1]["topic"], "execution:1");
    }

    #[test]
    fn refusals_name_their_topic() {
        let mut feed = feed();
        feed.accept(r#"{"type":"error","code":"not_found","message":"execution not found","topic":"execution:1"}"#);
        feed.accept(r#"{"type":"error","code":"invalid_request","message":"bad"}"#);
        assert_eq!(feed.pending.len(), 1);
        assert!(matches!(&feed.pending[0], Item::Refused { code, .. } if code == "not_found"));
    }
}

//! A local, scriptable stand-in for the OpenAI and Anthropic APIs (127.0.0.1, a free port).
//!
//! It speaks both wire formats faithfully — streamed SSE (split across TCP writes, mid-line) or
//! plain JSON, usage fields, the real error bodies, statuses and `Retry-After` — and checks the
//! key like the real services (401 with their error body). Tests script it with a queue of
//! [`Reply`]s, consumed one per authorised request; when the queue is empty, the
//! [`AiServer::otherwise`] responder answers (by default a 500 that says no reply was scripted).
//! Every request is recorded ([`Recorded`]: time, path, headers, JSON body) for assertions.
//!
//! ```ignore
//! let server = AiServer::start().await;
//! server.push(Reply::Status(429, Some("0".into()))).push(Reply::text(r#"{"summary":"ok","findings":[]}"#));
//! let agents = Agents::new(server.config());          // both providers → this server, fast retries
//! // … run an agent whose provider is openai or anthropic …
//! assert_eq!(server.requests().len(), 2);
//! ```

mod respond;
mod wire;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use forgeflow_agents::{AgentsConfig, ProviderConfig, RetryPolicy};
use serde_json::Value;
use tokio::task::JoinHandle;

use respond::handle;

use crate::loopback;
pub use wire::{Usage, Wire};

/// The key the server accepts (`Authorization: Bearer …` for OpenAI, `x-api-key` for Anthropic).
pub const API_KEY: &str = "sk-test-forgeflow-0123456789abcdef";

/// Usage reported unless a test sets its own ([`AiServer::set_usage`]).
pub const DEFAULT_USAGE: Usage = Usage {
    input_tokens: 1_000,
    output_tokens: 500,
};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The model answers this text: as SSE if the request asked to stream (in small pieces), as
    /// one JSON body if it did not.
    Text(String),
    /// This text as one JSON body even if streaming was asked for (a server that ignores `stream`).
    Json(String),
    /// This text streamed in exactly these pieces, whatever the request asked.
    Stream(Vec<String>),
    /// An error status with the provider's real error body; `Some(v)` sends `Retry-After: v`.
    Status(u16, Option<String>),
    /// A stream that sends this text, then the provider's in-stream error event (OpenAI
    /// `server_error` chunk, Anthropic `overloaded_error`).
    StreamError(String),
    /// A stream that sends this text and stops without finishing (no `[DONE]`/`message_stop`).
    Cut(String),
    /// Exactly this status, headers and body.
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Self {
        Reply::Text(text.into())
    }

    /// A JSON value as the model's text.
    pub fn value(value: &Value) -> Self {
        Reply::Text(value.to_string())
    }

    pub fn status(code: u16) -> Self {
        Reply::Status(code, None)
    }

    /// 429 with `Retry-After: seconds`.
    pub fn rate_limited(seconds: &str) -> Self {
        Reply::Status(429, Some(seconds.to_owned()))
    }
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub at: Instant,
    pub method: String,
    pub path: String,
    /// Lowercase names; the last value wins.
    pub headers: BTreeMap<String, String>,
    /// The JSON body (`Null` if it was not JSON).
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn wire(&self) -> Option<Wire> {
        Wire::from_path(&self.path)
    }

    pub fn model(&self) -> &str {
        self.body["model"].as_str().unwrap_or_default()
    }

    pub fn streamed(&self) -> bool {
        self.body["stream"] == true
    }

    /// The conversation's messages (`messages[]`; OpenAI's include the system message).
    pub fn messages(&self) -> Vec<Value> {
        self.body["messages"].as_array().cloned().unwrap_or_default()
    }

    /// The text of the last message.
    pub fn last_message(&self) -> String {
        self.messages()
            .last()
            .and_then(|m| m["content"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

type Responder = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

pub(crate) struct State {
    pub(crate) queue: VecDeque<Reply>,
    pub(crate) otherwise: Responder,
    pub(crate) requests: Vec<Recorded>,
    pub(crate) usage: Usage,
    /// Keys answered besides [`API_KEY`] (a user's own, for bring-your-own-key tests).
    pub(crate) keys: Vec<String>,
}

pub struct AiServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for AiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AiServer {
    pub async fn start() -> Self {
        let (listener, addr) = loopback::bind("the AI server").await;
        let state = Arc::new(Mutex::new(State {
            queue: VecDeque::new(),
            otherwise: Arc::new(|_| {
                Reply::Raw {
                status: 500,
                headers: vec![("content-type".into(), "application/json".into())],
                body: r#"{"error":{"message":"ai_server: no scripted reply left for this request","type":"server_error"}}"#
                    .into(),
            }
            }),
            requests: Vec::new(),
            usage: DEFAULT_USAGE,
            keys: vec![API_KEY.to_owned()],
        }));
        let task = loopback::serve(listener, state.clone(), |state, request| async move {
            handle(&state, request).await
        });
        AiServer { addr, state, task }
    }

    /// Base URL for `FORGEFLOW_OPENAI_BASE_URL` (`http://127.0.0.1:PORT/v1`).
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Base URL for `FORGEFLOW_ANTHROPIC_BASE_URL` (`http://127.0.0.1:PORT`).
    pub fn anthropic_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Both providers pointed here with [`API_KEY`], and a retry budget fit for tests: 5
    /// attempts, 10 ms base backoff, 3 s of sleep at most.
    pub fn config(&self) -> AgentsConfig {
        AgentsConfig {
            openai: ProviderConfig::new(self.openai_url(), Some(API_KEY)),
            anthropic: ProviderConfig::new(self.anthropic_url(), Some(API_KEY)),
            retry: RetryPolicy {
                max_attempts: 5,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(100),
                max_total_sleep: Duration::from_secs(3),
            },
            ..AgentsConfig::default()
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a reply for the next authorised request.
    pub fn push(&self, reply: Reply) -> &Self {
        self.state().queue.push_back(reply);
        self
    }

    /// Answers requests once the queue is empty.
    pub fn otherwise(&self, responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> &Self {
        self.state().otherwise = Arc::new(responder);
        self
    }

    /// Answers every request after the queue with `reply` (e.g. `Reply::status(500)` forever).
    pub fn always(&self, reply: Reply) -> &Self {
        self.otherwise(move |_| reply.clone())
    }

    pub fn set_usage(&self, input_tokens: u64, output_tokens: u64) -> &Self {
        self.state().usage = Usage {
            input_tokens,
            output_tokens,
        };
        self
    }

    /// Answers requests carrying `key` too, as a provider knows each of its customers' keys.
    pub fn accept_key(&self, key: &str) -> &Self {
        self.state().keys.push(key.to_owned());
        self
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }
}

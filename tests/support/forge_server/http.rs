//! From hyper's request to a route and back: recording, token checks, scripted failures.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{Value, json};

use super::{Call, State, TOKEN, github, gitlab};

/// A parsed request.
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    /// Path segments, each percent-decoded (so GitLab's `group%2Fname` is one segment).
    pub segments: Vec<String>,
    pub query: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub body: Value,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn segs(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }
}

/// An answer.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    /// Sent instead of `body` when set (a blob's raw content).
    pub raw: Option<Vec<u8>>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body,
            raw: None,
        }
    }

    pub fn raw(bytes: Vec<u8>) -> Self {
        Reply {
            raw: Some(bytes),
            ..Reply::json(200, Value::Null)
        }
    }

    /// A 302 to `location`, with the empty body GitHub sends.
    pub fn redirect(location: &str) -> Self {
        let reply = Reply {
            status: 302,
            ..Reply::raw(Vec::new())
        };
        reply.header("location", location)
    }

    /// Raw bytes of this type (an archive) instead of [`Reply::raw`]'s text.
    pub fn bytes(content_type: &str, bytes: Vec<u8>) -> Self {
        Reply::raw(bytes).header("content-type", content_type)
    }

    pub fn header(mut self, name: &str, value: impl ToString) -> Self {
        self.headers.push((name.to_owned(), value.to_string()));
        self
    }
}

pub(crate) fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'%' if at + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[at + 1..at + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => out.push(byte),
                    Err(_) => out.extend_from_slice(&bytes[at..at + 3]),
                }
                at += 3;
                continue;
            }
            b'+' if plus_is_space => out.push(b' '),
            byte => out.push(byte),
        }
        at += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) async fn handle(state: &Mutex<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let query_text = parts.uri.query().unwrap_or_default().to_owned();
    let req = Req {
        method: parts.method.to_string(),
        segments: path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| decode(s, false))
            .collect(),
        query: query_text
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(key, true), decode(value, true))
            })
            .collect(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        path,
    };
    let mut state = state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let reply = respond(&mut state, &req);
    let auth = req
        .header("authorization")
        .or(req.header("private-token"))
        .map(str::to_owned);
    state.calls.push(Call {
        at: Instant::now(),
        wall: SystemTime::now(),
        method: req.method.clone(),
        path: req.path.clone(),
        query: query_text,
        auth,
        body: req.body.clone(),
        status: reply.status,
    });
    let content_type = match reply.raw {
        Some(_) => "text/plain; charset=utf-8",
        None => "application/json; charset=utf-8",
    };
    let mut response = Response::builder().status(reply.status);
    if !reply.headers.iter().any(|(name, _)| name == "content-type") {
        response = response.header("content-type", content_type);
    }
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    let body = reply.raw.unwrap_or_else(|| reply.body.to_string().into_bytes());
    response.body(Full::new(Bytes::from(body))).expect("a valid response")
}

fn respond(state: &mut State, req: &Req) -> Reply {
    let gitlab = req.path.starts_with("/api/v4/");
    let given = if gitlab {
        req.header("private-token").unwrap_or_default().to_owned()
    } else {
        let auth = req.header("authorization").unwrap_or_default();
        auth.trim_start_matches("Bearer ")
            .trim_start_matches("token ")
            .to_owned()
    };
    for fail in state.fails.iter_mut() {
        if fail.method == req.method && req.path.contains(&fail.path) {
            fail.seen += 1;
            if fail.seen >= fail.nth && fail.seen < fail.nth + fail.times {
                let body = fail.body.to_string().replace("{token}", &given);
                let mut reply = Reply::json(fail.status, serde_json::from_str(&body).unwrap_or(Value::Null));
                reply.headers = fail.headers.clone();
                return reply;
            }
        }
    }
    // codeload.github.com: the API's Authorization header does not follow a client there.
    if req.path.starts_with("/_codeload/") {
        return github::codeload(state, req);
    }
    if given != TOKEN {
        return if gitlab {
            Reply::json(401, json!({"message": "401 Unauthorized"}))
        } else {
            Reply::json(
                401,
                json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
            )
        };
    }
    if gitlab {
        gitlab::route(state, req)
    } else {
        let reset = chrono::Utc::now().timestamp() + 3600;
        github::route(state, req)
            .header("x-ratelimit-limit", 5000)
            .header("x-ratelimit-remaining", 4999)
            .header("x-ratelimit-reset", reset)
    }
}

//! Turning a request and its scripted [`Reply`] into the bytes a real provider would send.

use std::convert::Infallible;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{Request, Response};
use serde_json::Value;

use super::wire::{Ending, Usage, Wire, answer, error_body, pieces, stream_events};
use super::{Recorded, Reply, State};

type Body = BoxBody<Bytes, Infallible>;

pub(crate) async fn handle(state: &Mutex<State>, request: Request<Incoming>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let recorded = Recorded {
        at: Instant::now(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
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
    };
    let (reply, usage) = {
        let mut state = state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.requests.push(recorded.clone());
        let refusal = refusal(&recorded, &state.keys);
        let reply = match refusal {
            Some(reply) => reply,
            None => match state.queue.pop_front() {
                Some(reply) => reply,
                None => (state.otherwise.clone())(&recorded),
            },
        };
        (reply, state.usage)
    };
    let Some(wire) = recorded.wire() else {
        return json(
            404,
            &serde_json::json!({"error": {"message": format!("no route {}", recorded.path)}}),
            None,
        );
    };
    render(wire, &recorded, reply, usage)
}

/// What the real services answer before looking at the request: a wrong key, a missing header.
fn refusal(request: &Recorded, keys: &[String]) -> Option<Reply> {
    let wire = request.wire()?;
    let given = match wire {
        Wire::OpenAi => request
            .header("authorization")
            .map(|value| value.strip_prefix("Bearer ").unwrap_or("").to_owned()),
        Wire::Anthropic => request.header("x-api-key").map(str::to_owned),
    };
    if !given.as_ref().is_some_and(|key| keys.contains(key)) {
        let shown = given.unwrap_or_default();
        let shown = shown.trim_start_matches("Bearer ");
        // The real OpenAI message echoes (part of) the key it got: the client must scrub it.
        let detail = match wire {
            Wire::OpenAi => format!(
                "Incorrect API key provided: {shown}. You can find your API key at https://platform.openai.com/account/api-keys."
            ),
            Wire::Anthropic => "invalid x-api-key".to_owned(),
        };
        let body = error_body(wire, 401, Some(&detail)).to_string();
        return Some(Reply::Raw {
            status: 401,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        });
    }
    if wire == Wire::Anthropic && request.header("anthropic-version").is_none() {
        let body = error_body(wire, 400, Some("anthropic-version: header is required")).to_string();
        return Some(Reply::Raw {
            status: 400,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        });
    }
    None
}

fn render(wire: Wire, request: &Recorded, reply: Reply, usage: Usage) -> Response<Body> {
    let model = request.model().to_owned();
    let include_usage = wire == Wire::Anthropic || request.body["stream_options"]["include_usage"] == true;
    let stream = |text_pieces: Vec<String>, ending: Ending| {
        sse(stream_events(wire, &model, &text_pieces, usage, include_usage, ending))
    };
    match reply {
        Reply::Text(text) if request.streamed() => stream(pieces(&text, piece_size(&text)), Ending::Complete),
        Reply::Text(text) | Reply::Json(text) => json(200, &answer(wire, &model, &text, usage), None),
        Reply::Stream(text_pieces) => stream(text_pieces, Ending::Complete),
        Reply::StreamError(text) => stream(pieces(&text, piece_size(&text)), Ending::Error),
        Reply::Cut(text) => stream(pieces(&text, piece_size(&text)), Ending::Cut),
        Reply::Status(status, retry_after) => json(status, &error_body(wire, status, None), retry_after),
        Reply::Raw { status, headers, body } => {
            let mut response = Response::builder().status(status);
            for (name, value) in headers {
                response = response.header(name, value);
            }
            response
                .body(Full::new(Bytes::from(body)).boxed())
                .expect("raw response")
        }
    }
}

/// Small pieces exercise the client's reassembly; a large answer still arrives in a few hundred
/// events, since every event costs the stream a pause.
fn piece_size(text: &str) -> usize {
    (text.len() / 300).max(7)
}

fn json(status: u16, body: &Value, retry_after: Option<String>) -> Response<Body> {
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if let Some(value) = retry_after {
        response = response.header("retry-after", value);
    }
    response
        .body(Full::new(Bytes::from(body.to_string())).boxed())
        .expect("json response")
}

/// Streams the events, each split in two writes mid-event with a pause between, so the client
/// sees lines (and UTF-8 characters) cut across reads as on a real network.
fn sse(events: Vec<String>) -> Response<Body> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Bytes>(4);
    tokio::spawn(async move {
        for event in events {
            let bytes = event.into_bytes();
            let (head, tail) = bytes.split_at(bytes.len() / 2);
            for part in [head, tail] {
                if sender.send(Bytes::copy_from_slice(part)).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    let frames = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let bytes = receiver.recv().await?;
        Some((Ok::<_, Infallible>(Frame::data(bytes)), receiver))
    });
    Response::builder()
        .status(200)
        .header("content-type", "text/event-stream; charset=utf-8")
        .header("cache-control", "no-cache")
        .body(BodyExt::boxed(StreamBody::new(frames)))
        .expect("sse response")
}

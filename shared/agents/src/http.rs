//! One HTTP attempt against a provider, whatever its wire format: send, classify the status,
//! then read either an SSE stream or a plain JSON answer (servers that ignore `stream`).

use std::time::SystemTime;

use futures_util::StreamExt;
use reqwest::{RequestBuilder, Response};
use serde_json::Value;

use crate::error::scrub;
use crate::input::ProgressMeter;
use crate::retry::{Failure, is_retryable_status};
use crate::retry_after::retry_hint;
use crate::sse::{SseDecoder, SseEvent};

/// A model's complete answer, before its JSON is looked at.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Completion {
    pub text: String,
    /// As the provider names it; `None` when it did not say.
    pub model: Option<String>,
    /// `None` when the provider reported no usage (then we estimate).
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// The answer stopped at the token ceiling, so its JSON is probably cut off.
    pub truncated: bool,
    /// The stream said it was finished (OpenAI `[DONE]`, Anthropic `message_stop` or a stop reason).
    pub complete: bool,
}

/// What differs between providers once the bytes are in.
pub(crate) trait WireFormat {
    /// The provider's own words from an error body.
    fn error_message(body: &Value) -> Option<String>;
    /// A non-streamed answer.
    fn parse_body(body: Value) -> Result<Completion, Failure>;
    /// One streamed event, folded into the answer so far.
    fn on_event(answer: &mut Completion, event: &SseEvent) -> Result<(), Failure>;
}

/// Sends `request` once. `secret` is scrubbed from anything the provider says back.
pub(crate) async fn attempt<W: WireFormat>(
    request: RequestBuilder,
    secret: &str,
    meter: &ProgressMeter<'_>,
) -> Result<Completion, Failure> {
    meter.restart();
    let response = request
        .send()
        .await
        .map_err(|error| Failure::retryable(scrub(&format!("request failed: {}", describe(&error)), &[secret])))?;
    let status = response.status().as_u16();
    if !response.status().is_success() {
        return Err(failure_from_status::<W>(response, secret).await);
    }
    let streamed = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    let answer = if streamed {
        read_stream::<W>(response, meter).await?
    } else {
        let bytes = response
            .bytes()
            .await
            .map_err(|error| Failure::retryable(format!("reading the answer failed: {}", describe(&error))))?;
        let body: Value = serde_json::from_slice(&bytes).map_err(|error| Failure::Retryable {
            status: Some(status),
            reason: format!("the answer is not JSON ({error})"),
            retry_after: None,
        })?;
        W::parse_body(body)?
    };
    let answer = Completion {
        text: scrub_keep_layout(answer.text, secret),
        ..answer
    };
    Ok(answer)
}

/// A model could echo the key it was sent only if someone put it in the prompt; strip it anyway
/// but keep the text's layout, which `scrub` would flatten.
fn scrub_keep_layout(text: String, secret: &str) -> String {
    if secret.len() >= 4 && text.contains(secret) {
        text.replace(secret, "[redacted]")
    } else {
        text
    }
}

async fn failure_from_status<W: WireFormat>(response: Response, secret: &str) -> Failure {
    let status = response.status();
    let retry_after = retry_hint(response.headers(), status.as_u16() == 429, SystemTime::now());
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|json| W::error_message(&json))
        .unwrap_or_else(|| match body.trim() {
            "" => status.canonical_reason().unwrap_or("no reason given").to_owned(),
            text => text.to_owned(),
        });
    let message = scrub(&message, &[secret]);
    if is_retryable_status(status.as_u16()) {
        let reason = format!("HTTP {}: {message}", status.as_u16());
        Failure::Retryable {
            status: Some(status.as_u16()),
            reason,
            retry_after,
        }
    } else {
        Failure::Fatal {
            status: status.as_u16(),
            message,
        }
    }
}

async fn read_stream<W: WireFormat>(response: Response, meter: &ProgressMeter<'_>) -> Result<Completion, Failure> {
    let mut decoder = SseDecoder::default();
    let mut answer = Completion::default();
    let mut body = response.bytes_stream();
    let apply = |answer: &mut Completion, events: Vec<SseEvent>| -> Result<(), Failure> {
        for event in events {
            let before = answer.text.len();
            W::on_event(answer, &event)?;
            meter.on_text(&answer.text[before..]);
        }
        Ok(())
    };
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|error| Failure::retryable(format!("the stream broke: {}", describe(&error))))?;
        apply(&mut answer, decoder.push(&chunk))?;
    }
    apply(&mut answer, decoder.finish().into_iter().collect())?;
    if !answer.complete {
        return Err(Failure::retryable("the stream ended before the answer was complete"));
    }
    Ok(answer)
}

/// reqwest's error with its causes, which is where "connection refused" or "timed out" lives.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

//! Anthropic Messages API: `POST {base}/v1/messages`.

use reqwest::{Client, RequestBuilder};
use serde_json::{Value, json};

use crate::http::{Completion, WireFormat};
use crate::prompt::Prompt;
use crate::retry::Failure;
use crate::sse::SseEvent;

pub(crate) const API_VERSION: &str = "2023-06-01";

pub(crate) struct Anthropic;

pub(crate) fn request(
    client: &Client,
    base_url: &str,
    key: &str,
    model: &str,
    prompt: &Prompt,
    max_tokens: u32,
) -> RequestBuilder {
    let messages: Vec<Value> = prompt
        .messages
        .iter()
        .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
        .collect();
    let body = json!({
        "model": model,
        "max_tokens": max_tokens,
        "system": prompt.system,
        "messages": messages,
        "stream": true,
    });
    client
        .post(format!("{base_url}/v1/messages"))
        .header("x-api-key", key)
        .header("anthropic-version", API_VERSION)
        .json(&body)
}

/// Input tokens include prompt-cache reads and writes, which are billed as input too.
fn input_tokens(usage: &Value) -> Option<u64> {
    let base = usage["input_tokens"].as_u64()?;
    let cached = ["cache_creation_input_tokens", "cache_read_input_tokens"]
        .iter()
        .filter_map(|k| usage[k].as_u64());
    Some(base + cached.sum::<u64>())
}

/// Errors Anthropic itself calls transient, with the status it would have used.
fn transient_status(kind: &str) -> Option<u16> {
    match kind {
        "overloaded_error" => Some(529),
        "api_error" => Some(500),
        "rate_limit_error" => Some(429),
        "timeout_error" => Some(504),
        _ => None,
    }
}

impl WireFormat for Anthropic {
    fn error_message(body: &Value) -> Option<String> {
        let error = &body["error"];
        let message = error["message"].as_str()?;
        Some(match error["type"].as_str() {
            Some(kind) => format!("{message} ({kind})"),
            None => message.to_owned(),
        })
    }

    fn parse_body(body: Value) -> Result<Completion, Failure> {
        let Some(blocks) = body["content"].as_array() else {
            return Err(Failure::retryable("the answer has no content"));
        };
        let text: String = blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect();
        Ok(Completion {
            text,
            model: body["model"].as_str().map(str::to_owned),
            input_tokens: input_tokens(&body["usage"]),
            output_tokens: body["usage"]["output_tokens"].as_u64(),
            truncated: body["stop_reason"] == "max_tokens",
            complete: true,
        })
    }

    fn on_event(answer: &mut Completion, event: &SseEvent) -> Result<(), Failure> {
        let data: Value = serde_json::from_str(&event.data)
            .map_err(|error| Failure::retryable(format!("a stream event is not JSON ({error})")))?;
        let kind = if event.event.is_empty() {
            data["type"].as_str().unwrap_or_default()
        } else {
            &event.event
        };
        match kind {
            "message_start" => {
                let message = &data["message"];
                answer.model = message["model"].as_str().map(str::to_owned);
                answer.input_tokens = input_tokens(&message["usage"]);
                answer.output_tokens = message["usage"]["output_tokens"].as_u64();
            }
            "content_block_delta" if data["delta"]["type"] == "text_delta" => {
                answer.text.push_str(data["delta"]["text"].as_str().unwrap_or_default());
            }
            "message_delta" => {
                if let Some(tokens) = data["usage"]["output_tokens"].as_u64() {
                    answer.output_tokens = Some(tokens);
                }
                if let Some(reason) = data["delta"]["stop_reason"].as_str() {
                    answer.truncated = reason == "max_tokens";
                    answer.complete = true;
                }
            }
            "message_stop" => answer.complete = true,
            "error" => {
                let message = Self::error_message(&data).unwrap_or_else(|| "unknown stream error".to_owned());
                let kind = data["error"]["type"].as_str().unwrap_or_default();
                return Err(match transient_status(kind) {
                    Some(status) => Failure::Retryable {
                        status: Some(status),
                        reason: format!("the stream reported an error: {message}"),
                        retry_after: None,
                    },
                    None => Failure::Fatal { status: 400, message },
                });
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, data: Value) -> SseEvent {
        SseEvent {
            event: name.into(),
            data: data.to_string(),
        }
    }

    #[test]
    fn a_stream_accumulates_text_and_usage() {
        let events = [
            event(
                "message_start",
                json!({"type": "message_start", "message": {"model": "claude-3-5-haiku-20241022", "usage": {"input_tokens": 20, "cache_read_input_tokens": 5, "output_tokens": 1}}}),
            ),
            event("ping", json!({"type": "ping"})),
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "{\"a\""}}),
            ),
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": ":1}"}}),
            ),
            event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
            event(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}}),
            ),
            event("message_stop", json!({"type": "message_stop"})),
        ];
        let mut answer = Completion::default();
        for event in &events {
            Anthropic::on_event(&mut answer, event).unwrap();
        }
        assert_eq!(answer.text, "{\"a\":1}");
        assert_eq!((answer.input_tokens, answer.output_tokens), (Some(25), Some(9)));
        assert_eq!(answer.model.as_deref(), Some("claude-3-5-haiku-20241022"));
        assert!(answer.complete && !answer.truncated);
    }

    #[test]
    fn stream_errors_are_retryable_when_anthropic_says_they_are_transient() {
        let mut answer = Completion::default();
        let overloaded = event(
            "error",
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        );
        let result = Anthropic::on_event(&mut answer, &overloaded);
        assert!(
            matches!(result, Err(Failure::Retryable { status: Some(529), .. })),
            "{result:?}"
        );
        let invalid = event(
            "error",
            json!({"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}),
        );
        assert!(matches!(
            Anthropic::on_event(&mut answer, &invalid),
            Err(Failure::Fatal { .. })
        ));
    }

    #[test]
    fn a_plain_answer_joins_its_text_blocks() {
        let body = json!({
            "type": "message", "model": "claude-sonnet-4-20250514", "stop_reason": "max_tokens",
            "content": [{"type": "text", "text": "{\"a\""}, {"type": "tool_use"}, {"type": "text", "text": ":1}"}],
            "usage": {"input_tokens": 3, "output_tokens": 4}
        });
        let answer = Anthropic::parse_body(body).unwrap();
        assert_eq!(answer.text, "{\"a\":1}");
        assert!(answer.truncated);
        assert_eq!(answer.input_tokens, Some(3));
    }

    #[test]
    fn error_bodies_name_the_message_and_type() {
        let body = json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}});
        assert_eq!(
            Anthropic::error_message(&body).as_deref(),
            Some("invalid x-api-key (authentication_error)")
        );
    }
}

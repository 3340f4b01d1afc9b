//! What the real APIs send back, byte for byte where it matters: JSON answers, SSE event
//! sequences, and error bodies with their statuses.

use serde_json::{Value, json};

/// Which API a request was made to, from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// `POST /v1/chat/completions` (or `/chat/completions`).
    OpenAi,
    /// `POST /v1/messages`.
    Anthropic,
}

impl Wire {
    pub fn from_path(path: &str) -> Option<Self> {
        match path {
            "/v1/chat/completions" | "/chat/completions" => Some(Wire::OpenAi),
            "/v1/messages" => Some(Wire::Anthropic),
            _ => None,
        }
    }
}

/// Tokens the server reports: fixed, so tests can assert exact usage and cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The complete, non-streamed answer.
pub fn answer(wire: Wire, model: &str, text: &str, usage: Usage) -> Value {
    match wire {
        Wire::OpenAi => json!({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens,
                      "total_tokens": usage.input_tokens + usage.output_tokens}
        }),
        Wire::Anthropic => json!({
            "id": "msg_test", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
        }),
    }
}

/// How a stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Stop reason, usage, and `[DONE]` / `message_stop`.
    Complete,
    /// The provider's in-stream error event (OpenAI error chunk, Anthropic `overloaded_error`).
    Error,
    /// Nothing: the body just stops.
    Cut,
}

fn openai_chunk(model: &str, choices: Value) -> String {
    let chunk = json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1_700_000_000,
                       "model": model, "choices": choices});
    format!("data: {chunk}\n\n")
}

fn anthropic_event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// The SSE events (each a complete `…\n\n` block) that stream `pieces`.
pub fn stream_events(
    wire: Wire,
    model: &str,
    pieces: &[String],
    usage: Usage,
    include_usage: bool,
    ending: Ending,
) -> Vec<String> {
    let mut events = Vec::new();
    match wire {
        Wire::OpenAi => {
            events.push(": keep-alive\n\n".to_owned());
            let first = json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]);
            events.push(openai_chunk(model, first));
            for piece in pieces {
                let delta = json!([{"index": 0, "delta": {"content": piece}, "finish_reason": null}]);
                events.push(openai_chunk(model, delta));
            }
            match ending {
                Ending::Complete => {
                    events.push(openai_chunk(
                        model,
                        json!([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
                    ));
                    if include_usage {
                        let usage = json!({"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens,
                                           "total_tokens": usage.input_tokens + usage.output_tokens});
                        let chunk = json!({"id": "chatcmpl-test", "object": "chat.completion.chunk",
                                           "created": 1_700_000_000, "model": model, "choices": [], "usage": usage});
                        events.push(format!("data: {chunk}\n\n"));
                    }
                    events.push("data: [DONE]\n\n".to_owned());
                }
                Ending::Error => {
                    let error = json!({"error": {"message": "The server had an error while processing your request.",
                                                 "type": "server_error", "param": null, "code": null}});
                    events.push(format!("data: {error}\n\n"));
                }
                Ending::Cut => {}
            }
        }
        Wire::Anthropic => {
            let start = json!({"type": "message_start", "message": {
                "id": "msg_test", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": usage.input_tokens, "output_tokens": 1}}});
            events.push(anthropic_event("message_start", start));
            let block =
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}});
            events.push(anthropic_event("content_block_start", block));
            events.push(anthropic_event("ping", json!({"type": "ping"})));
            for piece in pieces {
                let delta =
                    json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}});
                events.push(anthropic_event("content_block_delta", delta));
            }
            match ending {
                Ending::Complete => {
                    events.push(anthropic_event(
                        "content_block_stop",
                        json!({"type": "content_block_stop", "index": 0}),
                    ));
                    let delta = json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                                       "usage": {"output_tokens": usage.output_tokens}});
                    events.push(anthropic_event("message_delta", delta));
                    events.push(anthropic_event("message_stop", json!({"type": "message_stop"})));
                }
                Ending::Error => {
                    let error =
                        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
                    events.push(anthropic_event("error", error));
                }
                Ending::Cut => {}
            }
        }
    }
    events
}

/// The provider's real error body for `status`.
pub fn error_body(wire: Wire, status: u16, detail: Option<&str>) -> Value {
    match wire {
        Wire::OpenAi => {
            let (kind, code, message) = match status {
                400 => (
                    "invalid_request_error",
                    Value::Null,
                    "Invalid request: 'messages' is malformed.",
                ),
                401 => (
                    "invalid_request_error",
                    json!("invalid_api_key"),
                    "Incorrect API key provided.",
                ),
                403 => (
                    "invalid_request_error",
                    json!("unsupported_country_region_territory"),
                    "Country not supported.",
                ),
                404 => (
                    "invalid_request_error",
                    json!("model_not_found"),
                    "The model does not exist.",
                ),
                429 => (
                    "requests",
                    json!("rate_limit_exceeded"),
                    "Rate limit reached for requests. Please try again later.",
                ),
                503 => (
                    "server_error",
                    Value::Null,
                    "The engine is currently overloaded, please try again later",
                ),
                _ => (
                    "server_error",
                    Value::Null,
                    "The server had an error while processing your request. Sorry about that!",
                ),
            };
            let message = detail.map_or(message.to_owned(), str::to_owned);
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        }
        Wire::Anthropic => {
            let (kind, message) = match status {
                400 => ("invalid_request_error", "messages: field required"),
                401 => ("authentication_error", "invalid x-api-key"),
                403 => (
                    "permission_error",
                    "Your API key does not have permission to use the specified resource.",
                ),
                404 => ("not_found_error", "The requested resource could not be found."),
                413 => (
                    "request_too_large",
                    "Request exceeds the maximum allowed number of bytes.",
                ),
                429 => (
                    "rate_limit_error",
                    "Number of request tokens has exceeded your per-minute rate limit",
                ),
                529 => ("overloaded_error", "Overloaded"),
                _ => ("api_error", "Internal server error"),
            };
            let message = detail.map_or(message.to_owned(), str::to_owned);
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
    }
}

/// `text` in pieces of `size` characters (never splitting a character).
pub fn pieces(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size.max(1)).map(|chunk| chunk.iter().collect()).collect()
}

//! OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, OpenRouter): `POST {base}/chat/completions`.

use reqwest::{Client, RequestBuilder};
use serde_json::{Value, json};

use crate::http::{Completion, WireFormat};
use crate::prompt::Prompt;
use crate::retry::Failure;
use crate::sse::SseEvent;

pub(crate) struct OpenAi;

pub(crate) fn request(client: &Client, base_url: &str, key: &str, model: &str, prompt: &Prompt) -> RequestBuilder {
    let mut messages = vec![json!({"role": "system", "content": prompt.system})];
    messages.extend(
        prompt
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content})),
    );
    let body = json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "response_format": {"type": "json_object"},
    });
    client
        .post(format!("{base_url}/chat/completions"))
        .bearer_auth(key)
        .json(&body)
}

fn usage(answer: &mut Completion, usage: &Value) {
    if let Some(tokens) = usage["prompt_tokens"].as_u64() {
        answer.input_tokens = Some(tokens);
    }
    if let Some(tokens) = usage["completion_tokens"].as_u64() {
        answer.output_tokens = Some(tokens);
    }
}

fn model(answer: &mut Completion, body: &Value) {
    if let Some(model) = body["model"].as_str().filter(|m| !m.is_empty()) {
        answer.model = Some(model.to_owned());
    }
}

impl WireFormat for OpenAi {
    fn error_message(body: &Value) -> Option<String> {
        match &body["error"] {
            Value::String(message) => Some(message.clone()),
            error => error["message"].as_str().map(str::to_owned),
        }
    }

    fn parse_body(body: Value) -> Result<Completion, Failure> {
        let Some(choice) = body["choices"].get(0) else {
            return Err(Failure::retryable("the answer has no choices"));
        };
        let message = &choice["message"];
        let text = message["content"]
            .as_str()
            .or_else(|| message["refusal"].as_str())
            .unwrap_or_default();
        let mut answer = Completion {
            text: text.to_owned(),
            truncated: choice["finish_reason"] == "length",
            complete: true,
            ..Completion::default()
        };
        model(&mut answer, &body);
        usage(&mut answer, &body["usage"]);
        Ok(answer)
    }

    fn on_event(answer: &mut Completion, event: &SseEvent) -> Result<(), Failure> {
        let data = event.data.trim();
        if data == "[DONE]" {
            answer.complete = true;
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(data)
            .map_err(|error| Failure::retryable(format!("a stream chunk is not JSON ({error})")))?;
        if let Some(message) = Self::error_message(&chunk) {
            return Err(Failure::retryable(format!("the stream reported an error: {message}")));
        }
        model(answer, &chunk);
        if let Some(choice) = chunk["choices"].get(0) {
            if let Some(text) = choice["delta"]["content"].as_str() {
                answer.text.push_str(text);
            }
            match choice["finish_reason"].as_str() {
                Some("length") => answer.truncated = true,
                Some(_) => answer.complete = true,
                None => {}
            }
        }
        usage(answer, &chunk["usage"]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(json: Value) -> SseEvent {
        SseEvent {
            event: String::new(),
            data: json.to_string(),
        }
    }

    #[test]
    fn a_stream_accumulates_content_model_and_usage() {
        let mut answer = Completion::default();
        let events = [
            data(
                json!({"model": "gpt-4o-mini-2024-07-18", "choices": [{"delta": {"role": "assistant", "content": ""}}]}),
            ),
            data(json!({"choices": [{"delta": {"content": "{\"a\":"}}]})),
            data(json!({"choices": [{"delta": {"content": "1}"}, "finish_reason": "stop"}]})),
            data(json!({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3}})),
            SseEvent {
                event: String::new(),
                data: "[DONE]".into(),
            },
        ];
        for event in &events {
            OpenAi::on_event(&mut answer, event).unwrap();
        }
        assert_eq!(answer.text, "{\"a\":1}");
        assert_eq!(answer.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
        assert_eq!((answer.input_tokens, answer.output_tokens), (Some(12), Some(3)));
        assert!(answer.complete && !answer.truncated);
    }

    #[test]
    fn an_error_chunk_is_a_retryable_failure() {
        let mut answer = Completion::default();
        let error = OpenAi::on_event(&mut answer, &data(json!({"error": {"message": "server had an error"}})));
        assert!(matches!(error, Err(Failure::Retryable { reason, .. }) if reason.contains("server had an error")));
    }

    #[test]
    fn a_plain_answer_is_read_whole() {
        let body = json!({
            "model": "gpt-4o",
            "choices": [{"message": {"role": "assistant", "content": "{}"}, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7}
        });
        let answer = OpenAi::parse_body(body).unwrap();
        assert_eq!(answer.text, "{}");
        assert!(answer.truncated);
        assert_eq!(answer.output_tokens, Some(7));
        assert!(OpenAi::parse_body(json!({"choices": []})).is_err());
    }

    #[test]
    fn error_bodies_of_openai_and_ollama_shapes_are_read() {
        let openai = json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}});
        assert_eq!(
            OpenAi::error_message(&openai).as_deref(),
            Some("Incorrect API key provided")
        );
        assert_eq!(
            OpenAi::error_message(&json!({"error": "model not found"})).as_deref(),
            Some("model not found")
        );
        assert_eq!(OpenAi::error_message(&json!({"detail": "x"})), None);
    }
}

//! The AI providers over real HTTP against the local OpenAI/Anthropic stand-in: wire formats,
//! usage and cost, retries and their budget, key hygiene, and the one-repair contract rule.

use std::sync::Mutex;

use forgeflow_agents::{AgentError, AgentInput, AgentRun, Agents, AgentsConfig, ProviderConfig, TokenProgress};
use forgeflow_domain::agent::{Agent, ProviderKind};
use forgeflow_domain::catalog::builtin_agent;
use forgeflow_domain::project::Template;
use forgeflow_tests::ai_server::{API_KEY, AiServer, Reply};
use serde_json::{Value, json};

#[path = "providers/contracts.rs"]
mod contracts;
#[path = "providers/retries.rs"]
mod retries;

pub const REVIEW: &str = r#"{"summary": "Café ✓: the code is ready to ship.", "findings": []}"#;
pub const BROKEN: &str = r#"{"summary": "", "findings": [{"severity": "urgent", "message": "x"}]}"#;

fn reviewer(provider: ProviderKind, model: &str) -> Agent {
    let mut agent = builtin_agent("reviewer").unwrap();
    agent.provider = provider;
    agent.model = model.to_owned();
    agent
}

pub fn openai() -> Agent {
    reviewer(ProviderKind::Openai, "gpt-4o-mini")
}

pub fn anthropic() -> Agent {
    reviewer(ProviderKind::Anthropic, "claude-3-5-haiku-latest")
}

fn input() -> AgentInput {
    AgentInput {
        step_id: "review".into(),
        project_name: "Book Loans".into(),
        brief: "Members borrow books.".into(),
        template: Template::RustAxum,
        instructions: None,
        inputs: [(
            "code".to_owned(),
            json!({"files": [{"path": "src/main.rs", "content": "fn main() {}"}]}),
        )]
        .into(),
        change: None,
    }
}

pub async fn run(agents: &Agents, agent: &Agent) -> Result<AgentRun, AgentError> {
    agents.run(agent, &input(), &forgeflow_agents::Unmetered, &|_| {}).await
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[tokio::test]
async fn an_openai_streamed_answer_is_parsed_costed_and_sent_correctly() {
    let server = AiServer::start().await;
    server.push(Reply::text(REVIEW));
    let result = run(&Agents::new(server.config()), &openai()).await.unwrap();
    assert_eq!(result.output, serde_json::from_str::<Value>(REVIEW).unwrap());
    assert_eq!(
        (result.input_tokens, result.output_tokens, result.attempts),
        (1_000, 500, 1)
    );
    assert!(
        close(result.cost_usd, 1_000.0 * 0.15 / 1e6 + 500.0 * 0.60 / 1e6),
        "{}",
        result.cost_usd
    );
    assert_eq!(result.model, "gpt-4o-mini");
    assert!(!result.repaired);

    let sent = &server.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {API_KEY}").as_str()));
    assert_eq!(sent.model(), "gpt-4o-mini");
    assert!(sent.streamed());
    assert_eq!(sent.body["stream_options"]["include_usage"], true);
    assert_eq!(sent.body["response_format"]["type"], "json_object");
    let messages = sent.messages();
    assert_eq!(messages[0]["role"], "system");
    assert!(
        messages[0]["content"].as_str().unwrap().contains("\"findings\""),
        "the contract is in the prompt"
    );
    assert_eq!(messages[1]["role"], "user");
    assert!(sent.last_message().contains("Members borrow books.") && sent.last_message().contains("src/main.rs"));
}

#[tokio::test]
async fn an_openai_compatible_server_that_ignores_stream_is_understood_and_prose_is_stripped() {
    let server = AiServer::start().await;
    server.push(Reply::Json(format!(
        "Here is my review:\n```json\n{REVIEW}\n```\nThanks!"
    )));
    let result = run(&Agents::new(server.config()), &openai()).await.unwrap();
    assert_eq!(result.output["findings"], json!([]));
    assert_eq!(result.output_tokens, 500);
}

#[tokio::test]
async fn an_anthropic_streamed_answer_is_parsed_costed_and_sent_correctly() {
    let server = AiServer::start().await;
    server.set_usage(2_000, 300).push(Reply::text(REVIEW));
    let result = run(&Agents::new(server.config()), &anthropic()).await.unwrap();
    assert_eq!(result.output["summary"], "Café ✓: the code is ready to ship.");
    assert_eq!(
        (result.input_tokens, result.output_tokens, result.attempts),
        (2_000, 300, 1)
    );
    assert!(
        close(result.cost_usd, 2_000.0 * 0.80 / 1e6 + 300.0 * 4.0 / 1e6),
        "{}",
        result.cost_usd
    );

    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(API_KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert!(sent.header("authorization").is_none());
    assert!(sent.streamed());
    assert!(sent.body["max_tokens"].as_u64().unwrap() > 0);
    assert!(sent.body["system"].as_str().unwrap().contains("code reviewer"));
    assert_eq!(sent.messages()[0]["role"], "user");
}

#[tokio::test]
async fn an_anthropic_plain_answer_is_understood() {
    let server = AiServer::start().await;
    server.push(Reply::Json(REVIEW.to_owned()));
    let result = run(&Agents::new(server.config()), &anthropic()).await.unwrap();
    assert_eq!(result.output["findings"], json!([]));
    assert_eq!((result.input_tokens, result.output_tokens), (1_000, 500));
}

#[tokio::test]
async fn progress_is_reported_while_streaming_and_ends_on_the_exact_count() {
    let server = AiServer::start().await;
    let long = json!({"summary": "word ".repeat(200), "findings": []}).to_string();
    server.push(Reply::text(&long));
    let seen = Mutex::new(Vec::new());
    let progress = |p: TokenProgress| seen.lock().unwrap().push(p.output_tokens);
    Agents::new(server.config())
        .run(&openai(), &input(), &forgeflow_agents::Unmetered, &progress)
        .await
        .unwrap();
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 4, "{seen:?}");
    assert_eq!(*seen.last().unwrap(), 500, "the provider's count closes the stream");
    for pair in seen[..seen.len() - 1].windows(2) {
        assert!(
            pair[1] >= pair[0] + 50,
            "throttled to one report per 50 tokens: {seen:?}"
        );
    }
}

#[tokio::test]
async fn a_wrong_key_fails_at_once_and_the_error_does_not_show_it() {
    let server = AiServer::start().await;
    let wrong = "sk-wrong-secret-key-987654321";
    let config = AgentsConfig {
        openai: ProviderConfig::new(server.openai_url(), Some(wrong)),
        anthropic: ProviderConfig::new(server.anthropic_url(), Some(wrong)),
        ..server.config()
    };
    for agent in [openai(), anthropic()] {
        let error = run(&Agents::new(config.clone()), &agent).await.unwrap_err();
        assert!(
            matches!(
                error,
                AgentError::Rejected {
                    status: 401,
                    attempts: 1,
                    ..
                }
            ),
            "{error:?}"
        );
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("987654321") && !shown.contains(wrong), "{shown}");
    }
    assert!(
        server.requests()[0].headers["authorization"].ends_with(wrong),
        "the server did see the key"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_missing_key_is_reported_before_any_request() {
    let server = AiServer::start().await;
    let config = AgentsConfig {
        anthropic: ProviderConfig::new(server.anthropic_url(), None),
        ..server.config()
    };
    let error = run(&Agents::new(config), &anthropic()).await.unwrap_err();
    assert!(error.to_string().contains("PUT /credentials/anthropic"), "{error}");
    assert_eq!(error.attempts(), 0);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_offline_agent_needs_no_server() {
    let agent = builtin_agent("product-manager").unwrap();
    let result = run(&Agents::new(AgentsConfig::default()), &agent).await.unwrap();
    assert_eq!(
        (result.attempts, result.cost_usd, result.model.as_str()),
        (1, 0.0, "offline-1")
    );
    assert!(result.output["stories"].as_array().is_some_and(|s| !s.is_empty()));
}

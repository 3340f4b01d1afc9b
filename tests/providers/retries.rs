//! Retries: which failures are tried again, how long we wait, and when we give up.

use std::time::Duration;

use forgeflow_agents::{AgentError, Agents, AgentsConfig, ProviderConfig};
use forgeflow_tests::ai_server::{API_KEY, AiServer, Reply};

use super::{REVIEW, anthropic, openai, run};

#[tokio::test]
async fn rate_limited_twice_then_answered_takes_three_attempts() {
    let server = AiServer::start().await;
    server
        .push(Reply::rate_limited("0"))
        .push(Reply::rate_limited("0"))
        .push(Reply::text(REVIEW));
    let result = run(&Agents::new(server.config()), &openai()).await.unwrap();
    assert_eq!(result.attempts, 3);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_server_failing_forever_is_given_up_after_the_budget_with_the_reason() {
    let server = AiServer::start().await;
    server.always(Reply::status(500));
    let config = server.config();
    let error = run(&Agents::new(config.clone()), &openai()).await.unwrap_err();
    assert_eq!(error.attempts(), config.retry.max_attempts);
    assert_eq!(server.requests().len() as u32, config.retry.max_attempts);
    assert!(
        matches!(error, AgentError::Exhausted { status: Some(500), .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("The server had an error"), "{error}");
    assert!(error.is_transient());
}

#[tokio::test]
async fn overloaded_and_broken_streams_are_retried() {
    let server = AiServer::start().await;
    server
        .push(Reply::status(529))
        .push(Reply::StreamError("{\"summary\":".into()))
        .push(Reply::Cut("{\"summary\": \"half".into()))
        .push(Reply::text(REVIEW));
    let result = run(&Agents::new(server.config()), &anthropic()).await.unwrap();
    assert_eq!(result.attempts, 4);

    server.push(Reply::StreamError(String::new())).push(Reply::Stream(vec![
        "{\"summary\": \"ok\",".into(),
        " \"findings\": []}".into(),
    ]));
    let result = run(&Agents::new(server.config()), &openai()).await.unwrap();
    assert_eq!((result.attempts, result.output["summary"].as_str()), (2, Some("ok")));
}

#[tokio::test]
async fn a_bad_request_is_not_retried_and_says_why() {
    let server = AiServer::start().await;
    server.always(Reply::status(400));
    let error = run(&Agents::new(server.config()), &openai()).await.unwrap_err();
    assert_eq!(error.attempts(), 1);
    assert!(error.to_string().contains("'messages' is malformed"), "{error}");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = AiServer::start().await;
    server.push(Reply::rate_limited("1")).push(Reply::text(REVIEW));
    run(&Agents::new(server.config()), &openai()).await.unwrap();
    let requests = server.requests();
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_gives_up_at_once() {
    let server = AiServer::start().await;
    server.always(Reply::rate_limited("120"));
    let error = run(&Agents::new(server.config()), &anthropic()).await.unwrap_err();
    assert_eq!(error.attempts(), 1);
    assert!(error.to_string().contains("beyond the retry budget"), "{error}");
}

#[tokio::test]
async fn an_unreachable_provider_is_retried_then_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = AiServer::start().await;
    let config = AgentsConfig {
        openai: ProviderConfig::new(format!("http://127.0.0.1:{port}/v1"), Some(API_KEY)),
        ..server.config()
    };
    let error = run(&Agents::new(config), &openai()).await.unwrap_err();
    assert!(
        matches!(
            error,
            AgentError::Exhausted {
                status: None,
                attempts: 5,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("request failed"), "{error}");
}

//! The output contract: one repair request after a breach, never two.

use forgeflow_agents::{AgentError, Agents};
use forgeflow_tests::ai_server::{AiServer, Reply};
use serde_json::json;

use super::{BROKEN, REVIEW, anthropic, openai, run};

#[tokio::test]
async fn a_contract_breach_gets_exactly_one_repair_request() {
    let server = AiServer::start().await;
    server.push(Reply::text(BROKEN)).push(Reply::text(REVIEW));
    let result = run(&Agents::new(server.config()), &openai()).await.unwrap();
    assert!(result.repaired);
    assert_eq!(
        (result.attempts, result.input_tokens, result.output_tokens),
        (2, 2_000, 1_000)
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let repair = requests[1].messages();
    assert_eq!(
        repair[repair.len() - 2],
        json!({"role": "assistant", "content": BROKEN})
    );
    let ask = requests[1].last_message();
    assert!(
        ask.contains("/findings/0/severity") && ask.contains("/summary"),
        "{ask}"
    );
}

#[tokio::test]
async fn a_second_breach_is_a_contract_error() {
    let server = AiServer::start().await;
    server
        .push(Reply::text("I would rather not."))
        .push(Reply::text(BROKEN))
        .always(Reply::text(REVIEW));
    let error = run(&Agents::new(server.config()), &anthropic()).await.unwrap_err();
    assert!(matches!(error, AgentError::Contract { attempts: 2, .. }), "{error:?}");
    assert!(error.to_string().contains("/summary"), "{error}");
    assert!(server.requests()[1].last_message().contains("no JSON object"));
    assert_eq!(server.requests().len(), 2, "one repair, no more");
}

#[tokio::test]
async fn a_failing_repair_request_counts_every_attempt() {
    let server = AiServer::start().await;
    server.push(Reply::text(BROKEN)).always(Reply::status(503));
    let error = run(&Agents::new(server.config()), &openai()).await.unwrap_err();
    assert_eq!(error.attempts(), 1 + 5);
}

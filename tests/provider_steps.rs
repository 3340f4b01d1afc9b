//! Workflow steps whose agent calls a real provider wire format (the local AI server).

use forgeflow_tests::ai_server::{AiServer, Reply};
use forgeflow_tests::{Options, TestApp, User, spawn_app_with, step};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// plan (offline product manager) → audit (a user's agent on the OpenAI-compatible provider).
async fn audit_workflow(app: &TestApp, user: &User, provider: &str) -> String {
    let agent = app
        .call(
            Method::POST,
            "/agents",
            Some(&user.token),
            Some(json!({
                "name": "Auditor",
                "system_prompt": "List the security issues of the plan as JSON.",
                "provider": provider,
                "output_contract": {"type": "object", "required": ["issues"], "properties": {"issues": {"type": "array", "items": {"type": "string"}}}}
            })),
        )
        .await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let agent_id = agent.body["id"].as_str().unwrap();
    app.create_workflow(
        user,
        json!([{"id": "plan", "agent": "product-manager"}, {"id": "audit", "agent": agent_id, "depends_on": ["plan"]}]),
    )
    .await
}

#[tokio::test]
async fn a_provider_that_answers_429_twice_then_200_succeeds_on_the_third_attempt() {
    let server = AiServer::start().await;
    server
        .push(Reply::rate_limited("0"))
        .push(Reply::rate_limited("0"))
        .push(Reply::value(&json!({"issues": ["passwords are stored in plain text"]})));
    let app = spawn_app_with(Options {
        ai: server.config(),
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Audited").await;
    let workflow = audit_workflow(&app, &user, "openai").await;
    let id = app
        .start_execution(&user, project["id"].as_str().unwrap(), Some(&workflow))
        .await;

    let execution = app.wait_for_execution(&user, &id).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    let audit = step(&execution, "audit");
    assert_eq!(audit["attempts"], 3, "{audit}");
    assert_eq!(audit["deliveries"], 1);
    assert!(audit["input_tokens"].as_u64().unwrap() > 0);
    assert!(audit["output_tokens"].as_u64().unwrap() > 0);
    assert!(
        audit["cost_usd"].as_f64().unwrap() > 0.0,
        "a priced model has a cost: {audit}"
    );
    assert_eq!(server.requests().len(), 3);
    let prompt = server.requests()[2].last_message();
    assert!(
        prompt.contains("stories"),
        "the plan reaches the dependent step as input"
    );
}

#[tokio::test]
async fn a_provider_failing_forever_fails_the_step_and_a_retry_reruns_only_that_step() {
    let server = AiServer::start().await;
    server.always(Reply::status(500));
    let app = spawn_app_with(Options {
        ai: server.config(),
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Flaky").await;
    let workflow = audit_workflow(&app, &user, "anthropic").await;
    let id = app
        .start_execution(&user, project["id"].as_str().unwrap(), Some(&workflow))
        .await;

    let failed = app.wait_for_execution(&user, &id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let audit = step(&failed, "audit");
    assert_eq!(audit["status"], "failed");
    assert_eq!(audit["attempts"], 5, "the whole retry budget was spent: {audit}");
    assert!(audit["error"].as_str().unwrap().contains("500"), "{audit}");
    assert!(
        !audit["error"]
            .as_str()
            .unwrap()
            .contains(forgeflow_tests::ai_server::API_KEY)
    );
    assert!(failed["error"].as_str().unwrap().contains("audit"));
    assert_eq!(step(&failed, "plan")["status"], "succeeded");

    server.otherwise(|_| Reply::value(&json!({"issues": []})));
    let retried = app
        .call(
            Method::POST,
            &format!("/executions/{id}/retry"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(retried.status, StatusCode::ACCEPTED, "{}", retried.body);
    let done = app.wait_for_execution(&user, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(step(&done, "plan")["deliveries"], 1, "finished steps are kept");
    assert_eq!(step(&done, "audit")["deliveries"], 2);
    assert_eq!(step(&done, "audit")["attempts"], 6, "attempts add up across runs");

    let again = app
        .call(
            Method::POST,
            &format!("/executions/{id}/retry"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "a succeeded execution is not retried"
    );
}

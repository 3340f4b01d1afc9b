//! Bring your own key: a user's OpenAI-compatible provider (base URL, key, allowed models) and
//! Anthropic key run their agents; everyone else's run on the deployment's keys, read from
//! Secrets Manager. Against moto and the local AI servers, in process and as Lambda processes.

use forgeflow_tests::ai_server::{API_KEY, AiServer, Reply};
use forgeflow_tests::{Options, TestApp, User, spawn_app_with, step};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const OWN_KEY: &str = "sk-own-key-of-the-user-42";

/// A one-step workflow whose agent runs `model` on `provider`.
async fn review_workflow(app: &TestApp, user: &User, provider: &str, model: &str) -> String {
    let agent = app
        .call(
            Method::POST,
            "/agents",
            Some(&user.token),
            Some(json!({
                "name": "Reviewer",
                "system_prompt": "Review the brief; answer JSON.",
                "provider": provider,
                "model": model,
                "output_contract": {"type": "object", "required": ["issues"], "properties": {"issues": {"type": "array", "items": {"type": "string"}}}}
            })),
        )
        .await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let agent_id = agent.body["id"].as_str().unwrap();
    app.create_workflow(user, json!([{"id": "review", "agent": agent_id}]))
        .await
}

async fn run(app: &TestApp, user: &User, workflow: &str) -> Value {
    let project = app.create_project(user, "Keyed").await;
    let id = app
        .start_execution(user, project["id"].as_str().unwrap(), Some(workflow))
        .await;
    app.wait_for_execution(user, &id).await
}

async fn store_key(app: &TestApp, user: &User, provider: &str, body: Value) -> Value {
    let put = app
        .call(
            Method::PUT,
            &format!("/credentials/{provider}"),
            Some(&user.token),
            Some(body),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    put.body
}

fn keys_sent(server: &AiServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            r.header("authorization")
                .map(|v| v.trim_start_matches("Bearer ").to_owned())
                .or_else(|| r.header("x-api-key").map(str::to_owned))
                .unwrap_or_default()
        })
        .collect()
}

fn app_options(deployment: &AiServer, allow_private_network: bool) -> Options {
    let mut ai = deployment.config();
    ai.allow_private_network = allow_private_network;
    Options {
        ai,
        ..Options::default()
    }
}

#[tokio::test]
async fn an_owners_openai_key_runs_their_agents_at_their_url_and_others_use_the_deployments() {
    let deployment = AiServer::start().await;
    deployment.always(Reply::value(&json!({"issues": ["from the deployment's provider"]})));
    let own = AiServer::start().await;
    own.accept_key(OWN_KEY)
        .always(Reply::value(&json!({"issues": ["from the user's own provider"]})));
    let app = spawn_app_with(app_options(&deployment, true)).await;
    let owner = app.register().await;
    let stored = store_key(
        &app,
        &owner,
        "openai",
        json!({"token": OWN_KEY, "base_url": own.openai_url(), "models": ["gpt-4o-mini"]}),
    )
    .await;
    assert_eq!(stored["models"], json!(["gpt-4o-mini"]));
    assert!(!stored.to_string().contains(OWN_KEY));

    let workflow = review_workflow(&app, &owner, "openai", "gpt-4o-mini").await;
    let done = run(&app, &owner, &workflow).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(keys_sent(&own), [OWN_KEY], "the owner's key, at the owner's URL");
    assert!(
        deployment.requests().is_empty(),
        "the deployment's provider was not called"
    );
    assert!(
        step(&done, "review")["cost_usd"].as_f64().unwrap() > 0.0,
        "metered all the same"
    );

    let other = app.register().await;
    let workflow = review_workflow(&app, &other, "openai", "gpt-4o-mini").await;
    let done = run(&app, &other, &workflow).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(
        keys_sent(&deployment),
        [API_KEY],
        "a user without a key uses the deployment's"
    );
    assert_eq!(own.requests().len(), 1, "and never another user's");
}

#[tokio::test]
async fn a_model_outside_the_keys_list_fails_the_step_at_once_without_a_call() {
    let own = AiServer::start().await;
    own.accept_key(OWN_KEY);
    let app = spawn_app_with(app_options(&own, true)).await;
    let user = app.register().await;
    store_key(
        &app,
        &user,
        "openai",
        json!({"token": OWN_KEY, "base_url": own.openai_url(), "models": ["gpt-4o"]}),
    )
    .await;
    let workflow = review_workflow(&app, &user, "openai", "gpt-4o-mini").await;
    let failed = run(&app, &user, &workflow).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let review = step(&failed, "review");
    let error = review["error"].as_str().unwrap();
    assert!(error.contains("does not allow the model \"gpt-4o-mini\""), "{error}");
    assert_eq!(review["deliveries"], 1, "a refusal is final, not retried: {review}");
    assert!(own.requests().is_empty(), "no provider was called");
}

#[tokio::test]
async fn an_owners_base_url_into_the_private_network_is_refused_before_any_call() {
    let own = AiServer::start().await;
    own.accept_key(OWN_KEY);
    // As deployed: user URLs must be https and public.
    let app = spawn_app_with(app_options(&own, false)).await;
    let user = app.register().await;
    for url in [own.openai_url(), "https://169.254.169.254/latest".to_owned()] {
        store_key(&app, &user, "openai", json!({"token": OWN_KEY, "base_url": url})).await;
        let workflow = review_workflow(&app, &user, "openai", "gpt-4o-mini").await;
        let failed = run(&app, &user, &workflow).await;
        assert_eq!(failed["status"], "failed", "{failed}");
        let error = step(&failed, "review")["error"].as_str().unwrap().to_owned();
        assert!(error.contains("base URL is refused"), "{url}: {error}");
    }
    assert!(own.requests().is_empty(), "nothing reached the address");
}

#[tokio::test]
async fn an_owners_anthropic_key_goes_to_anthropic_with_their_models() {
    let server = AiServer::start().await;
    server.accept_key(OWN_KEY).always(Reply::value(&json!({"issues": []})));
    let app = spawn_app_with(app_options(&server, false)).await;
    let user = app.register().await;
    let refused = app
        .call(
            Method::PUT,
            "/credentials/anthropic",
            Some(&user.token),
            Some(json!({"token": OWN_KEY, "base_url": "https://example.com"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.error_field(), "base_url");
    store_key(
        &app,
        &user,
        "anthropic",
        json!({"token": OWN_KEY, "models": ["claude-3-5-haiku-latest"]}),
    )
    .await;
    let workflow = review_workflow(&app, &user, "anthropic", "claude-3-5-haiku-latest").await;
    let done = run(&app, &user, &workflow).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(keys_sent(&server), [OWN_KEY]);

    let removed = app
        .call(Method::DELETE, "/credentials/anthropic", Some(&user.token), None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let done = run(&app, &user, &workflow).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(keys_sent(&server), [OWN_KEY, API_KEY], "back on the deployment's key");
}

/// As deployed: the step-worker is its own process under its own role, with no key in its
/// environment. The deployment's key reaches it only through its Secrets Manager secret, the
/// owner's only through KMS.
#[tokio::test]
async fn as_lambda_processes_keys_come_from_secrets_manager_and_kms_only() {
    let deployment = AiServer::start().await;
    deployment.always(Reply::value(&json!({"issues": []})));
    let own = AiServer::start().await;
    own.accept_key(OWN_KEY).always(Reply::value(&json!({"issues": []})));
    let mut options = app_options(&deployment, true);
    options.processes = true;
    let app = spawn_app_with(options).await;

    let owner = app.register().await;
    store_key(
        &app,
        &owner,
        "openai",
        json!({"token": OWN_KEY, "base_url": own.openai_url()}),
    )
    .await;
    let workflow = review_workflow(&app, &owner, "openai", "gpt-4o-mini").await;
    let done = run(&app, &owner, &workflow).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(keys_sent(&own), [OWN_KEY]);

    let other = app.register().await;
    let workflow = review_workflow(&app, &other, "openai", "gpt-4o-mini").await;
    let done = run(&app, &other, &workflow).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(
        keys_sent(&deployment),
        [API_KEY],
        "the deployment's key, from its secret"
    );
}

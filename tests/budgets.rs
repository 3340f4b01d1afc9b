//! Budgets against the fake OpenAI and Anthropic servers: a call that could pass a budget is
//! never made, usage is counted from what the provider reports (streamed usage included), a run
//! over budget stops as `budget_exceeded` keeping what finished, and a raised budget resumes it
//! without paying twice for finished steps.

use forgeflow_tests::ai_server::{AiServer, Reply};
use forgeflow_tests::{Options, TestApp, User, spawn_app_with, step};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// plan (offline) → audit → recheck, both on `provider`'s default model.
async fn audited(app: &TestApp, user: &User, provider: &str) -> (String, String) {
    let agent = app
        .call(
            Method::POST,
            "/agents",
            Some(&user.token),
            Some(json!({
                "name": "Auditor",
                "system_prompt": "List the security issues of the plan as JSON.",
                "provider": provider,
                "output_contract": {"type": "object", "required": ["issues"], "properties": {"issues": {"type": "array"}}}
            })),
        )
        .await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let id = agent.body["id"].as_str().unwrap();
    let workflow = app
        .create_workflow(
            user,
            json!([
                {"id": "plan", "agent": "product-manager"},
                {"id": "audit", "agent": id, "depends_on": ["plan"]},
                {"id": "recheck", "agent": id, "depends_on": ["audit"]}
            ]),
        )
        .await;
    let project = app.create_project(user, "Budgeted").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (project, workflow)
}

async fn start(app: &TestApp, user: &User, project: &str, workflow: &str, budget: Value) -> String {
    let started = app
        .call(
            Method::POST,
            &format!("/projects/{project}/executions"),
            Some(&user.token),
            Some(json!({"workflow": workflow, "budget": budget})),
        )
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    started.body["id"].as_str().unwrap().to_owned()
}

async fn retry(app: &TestApp, user: &User, id: &str, budget: Value) -> Value {
    let retried = app
        .call(
            Method::POST,
            &format!("/executions/{id}/retry"),
            Some(&user.token),
            Some(json!({"budget": budget})),
        )
        .await;
    assert_eq!(retried.status, StatusCode::ACCEPTED, "{}", retried.body);
    app.wait_for_execution(user, id).await
}

async fn usage(app: &TestApp, user: &User) -> Value {
    let usage = app.call(Method::GET, "/usage", Some(&user.token), None).await;
    assert_eq!(usage.status, StatusCode::OK, "{}", usage.body);
    usage.body
}

#[tokio::test]
async fn a_call_that_could_pass_the_runs_budget_is_never_made_and_a_raised_budget_resumes_the_run() {
    let server = AiServer::start().await;
    server
        .set_usage(1_000, 500)
        .always(Reply::value(&json!({"issues": ["none"]})));
    let app = spawn_app_with(Options {
        ai: server.config(),
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let (project, workflow) = audited(&app, &user, "openai").await;

    // gpt-4o-mini: the output limit alone (8192 tokens) may cost $0.0049, more than $0.001.
    let id = start(&app, &user, &project, &workflow, json!({"max_cost_usd": 0.001})).await;
    let stopped = app.wait_for_execution(&user, &id).await;

    assert_eq!(stopped["status"], "budget_exceeded", "{stopped}");
    assert!(
        stopped["error"]
            .as_str()
            .unwrap()
            .contains("the execution's budget ($0.0010)"),
        "{stopped}"
    );
    assert_eq!(step(&stopped, "plan")["status"], "succeeded", "what finished is kept");
    assert_eq!(step(&stopped, "audit")["status"], "failed");
    assert!(
        server.requests().is_empty(),
        "no money was spent: the call was never made"
    );
    assert_eq!(stopped["spent"]["cost_usd"], 0.0);

    let resumed = retry(&app, &user, &id, json!({"max_cost_usd": 1.0})).await;
    assert_eq!(resumed["status"], "succeeded", "{resumed}");
    assert_eq!(
        step(&resumed, "plan")["deliveries"],
        1,
        "the finished step is not run again"
    );
    assert_eq!(server.requests().len(), 2, "audit and recheck, once each");
    assert!(
        server.requests().iter().all(|r| r.streamed()),
        "usage came in the stream"
    );
    // 1,000 in and 500 out per call at $0.15 / $0.60 per million, as the server reported.
    let per_call = (1_000.0 * 0.15 + 500.0 * 0.60) / 1_000_000.0;
    let spent = resumed["spent"]["cost_usd"].as_f64().unwrap();
    assert!((spent - 2.0 * per_call).abs() < 1e-9, "{spent}");
    assert_eq!(resumed["budget"]["max_cost_usd"], 1.0);

    let month = usage(&app, &user).await;
    assert!(
        (month["spent"]["cost_usd"].as_f64().unwrap() - spent).abs() < 1e-9,
        "{month}"
    );
    let plan_tokens = step(&resumed, "plan")["input_tokens"].as_u64().unwrap()
        + step(&resumed, "plan")["output_tokens"].as_u64().unwrap();
    assert_eq!(
        month["spent"]["tokens"].as_u64().unwrap(),
        plan_tokens + 2 * 1_500,
        "{month}"
    );
    let models: Vec<&str> = month["by_model"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert!(models.contains(&"gpt-4o-mini"), "{month}");
    assert_eq!(month["by_project"][0]["project_id"], project.as_str());
}

#[tokio::test]
async fn the_monthly_budget_stops_anthropic_calls_and_usage_past_the_estimate_stops_the_run_after_its_step() {
    let server = AiServer::start().await;
    server
        .set_usage(2_000, 300)
        .always(Reply::value(&json!({"issues": []})));
    let app = spawn_app_with(Options {
        ai: server.config(),
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let (project, workflow) = audited(&app, &user, "anthropic").await;
    let set = app
        .call(
            Method::PUT,
            "/usage/budget",
            Some(&user.token),
            Some(json!({"max_cost_usd": 0.002})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);

    let id = start(&app, &user, &project, &workflow, json!({})).await;
    let stopped = app.wait_for_execution(&user, &id).await;
    assert_eq!(stopped["status"], "budget_exceeded", "{stopped}");
    assert!(
        stopped["error"].as_str().unwrap().contains("your monthly budget"),
        "{stopped}"
    );
    assert!(server.requests().is_empty());
    assert_eq!(usage(&app, &user).await["budget"]["max_cost_usd"], 0.002);

    // Raised: the audit runs; the provider then reports far more input than the prompt held,
    // which passes the run's own cap after the call: the audit is kept, the recheck never runs.
    app.call(
        Method::PUT,
        "/usage/budget",
        Some(&user.token),
        Some(json!({"max_cost_usd": 10.0})),
    )
    .await;
    server.set_usage(1_000_000, 300);
    let over = retry(&app, &user, &id, json!({"max_cost_usd": 0.5})).await;
    assert_eq!(over["status"], "budget_exceeded", "{over}");
    assert_eq!(step(&over, "audit")["status"], "succeeded", "{over}");
    assert_ne!(step(&over, "recheck")["status"], "succeeded");
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.requests()[0].model(), "claude-3-5-haiku-latest");
    assert!(over["spent"]["cost_usd"].as_f64().unwrap() > 0.5, "{over}");
    let month = usage(&app, &user).await;
    assert_eq!(month["by_model"][0]["model"], "claude-3-5-haiku-latest", "{month}");
}

#[tokio::test]
async fn estimates_prices_and_bad_budgets() {
    let app = spawn_app_with(Options::default()).await;
    let user = app.register().await;
    let (project, workflow) = audited(&app, &user, "openai").await;

    let estimate = app
        .call(
            Method::GET,
            &format!("/projects/{project}/estimate?workflow={workflow}"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(estimate.status, StatusCode::OK, "{}", estimate.body);
    let steps = estimate.body["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0]["cost_usd"]["high"], 0.0, "the offline plan is free");
    let audit = &steps[1];
    assert_eq!(audit["model"], "gpt-4o-mini");
    assert!(audit["cost_usd"]["low"].as_f64().unwrap() > 0.0);
    assert!(audit["cost_usd"]["high"].as_f64().unwrap() > audit["cost_usd"]["low"].as_f64().unwrap());
    assert!(
        steps[2]["input_tokens"]["low"].as_u64() > audit["input_tokens"]["low"].as_u64(),
        "the recheck reads the audit"
    );
    let unknown = app
        .call(
            Method::GET,
            &format!("/projects/{project}/estimate?workflow=nope"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["error"]["field"], "workflow");

    let prices = app.call(Method::GET, "/prices", None, None).await;
    assert_eq!(prices.status, StatusCode::OK);
    assert!(
        prices.body["models"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["prefix"] == "gpt-4o-mini")
    );

    let month = app
        .call(Method::GET, "/usage?month=2026-13", Some(&user.token), None)
        .await;
    assert_eq!(month.body["error"]["field"], "month");
    let negative = app
        .call(
            Method::PUT,
            "/usage/budget",
            Some(&user.token),
            Some(json!({"max_cost_usd": -1})),
        )
        .await;
    assert_eq!(negative.body["error"]["field"], "budget.max_cost_usd");
}

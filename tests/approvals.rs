//! Approval gates: a gated step waits for its owner (no Lambda does), who approves it, edits and
//! approves it (checked against the agent's contract; later steps read the edit), or rejects it
//! with feedback (it runs again, told why). Retry, redelivery and resume never pass a gate, and
//! a deadline cancels the wait.

use chrono::{Duration, Utc};
use forgeflow_tests::{TestApp, User, spawn_app, sqs_batch, step};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn gated(app: &TestApp, user: &User, body: Value) -> (String, String) {
    let project = app.create_project(user, "Gated").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = app
        .call(
            Method::POST,
            &format!("/projects/{project}/executions"),
            Some(&user.token),
            Some(body),
        )
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    (project, started.body["id"].as_str().unwrap().to_owned())
}

async fn decide(
    app: &TestApp,
    user: &User,
    id: &str,
    step: &str,
    decision: &str,
    body: Option<Value>,
) -> forgeflow_tests::TestResponse {
    app.call(
        Method::POST,
        &format!("/executions/{id}/steps/{step}/{decision}"),
        Some(&user.token),
        body,
    )
    .await
}

/// Delivers a step's message again, as SQS may at any time.
async fn redeliver(app: &TestApp, id: &str, step: &str) {
    let job = json!({"execution_id": id, "step_id": step}).to_string();
    let response =
        forgeflow_workers::step::handler(&app.step_worker, sqs_batch([job]), Utc::now() + Duration::minutes(5)).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
}

async fn events(app: &TestApp, user: &User, id: &str) -> Vec<Value> {
    let page = app
        .call(
            Method::GET,
            &format!("/executions/{id}/events?limit=1000"),
            Some(&user.token),
            None,
        )
        .await;
    page.body["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn gates_wait_for_their_owner_who_edits_approves_and_rejects_and_nothing_else_passes_them() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (project, id) = gated(&app, &user, json!({"approvals": ["plan", "architecture"]})).await;

    let waiting = app.wait_for_execution(&user, &id).await;
    assert_eq!(waiting["status"], "awaiting_approval", "{waiting}");
    assert_eq!(step(&waiting, "plan")["status"], "awaiting_approval");
    assert_eq!(step(&waiting, "architecture")["status"], "pending");
    assert!(waiting["approval_deadline"].is_string());
    let proposed = step(&waiting, "plan")["output"].clone();
    assert!(
        proposed["stories"].as_array().is_some_and(|s| !s.is_empty()),
        "the artifact to review: {waiting}"
    );
    let kinds: Vec<String> = events(&app, &user, &id)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.contains(&"approval_requested".to_owned()), "{kinds:?}");

    // Nothing but the owner passes the gate: not a redelivery, not a retry, not the next step's message.
    redeliver(&app, &id, "plan").await;
    redeliver(&app, &id, "architecture").await;
    let retry = app
        .call(
            Method::POST,
            &format!("/executions/{id}/retry"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(retry.error_code(), "not_retryable");
    let still = app
        .call(Method::GET, &format!("/executions/{id}"), Some(&user.token), None)
        .await
        .body;
    assert_eq!(still["status"], "awaiting_approval");
    assert_eq!(step(&still, "architecture")["status"], "pending", "{still}");
    assert_eq!(step(&still, "plan")["deliveries"], 1);

    // An edit that breaks the contract is refused; a good one is what the next steps read.
    let broken = decide(
        &app,
        &user,
        &id,
        "plan",
        "approve",
        Some(json!({"output": {"stories": "none"}})),
    )
    .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{}", broken.body);
    assert_eq!(broken.body["error"]["field"], "output");
    let wrong_step = decide(&app, &user, &id, "architecture", "approve", None).await;
    assert_eq!(wrong_step.error_code(), "not_awaiting_approval");
    let mut edited = proposed.clone();
    edited["stories"][0]["title"] = json!("Borrow a book with one tap (edited)");
    let approved = decide(&app, &user, &id, "plan", "approve", Some(json!({"output": edited}))).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let again = decide(&app, &user, &id, "plan", "approve", None).await;
    assert_eq!(again.error_code(), "not_awaiting_approval", "a gate is passed once");

    let at_architecture = app.wait_for_execution(&user, &id).await;
    assert_eq!(at_architecture["status"], "awaiting_approval", "{at_architecture}");
    assert_eq!(step(&at_architecture, "architecture")["status"], "awaiting_approval");
    let key = format!("executions/{id}/steps/plan");
    let blobs = &app.context.engine.blobs;
    let stored: Value = blobs.get_json(&format!("{key}.json")).await.unwrap();
    assert_eq!(stored, edited, "the next steps read the edit");
    let kept: Value = blobs.get_json(&format!("{key}.proposed.json")).await.unwrap();
    assert_eq!(kept, proposed, "the agent's own answer is kept beside it");

    // Rejected with feedback: the step runs again (its counters add up) and waits again.
    let empty = decide(
        &app,
        &user,
        &id,
        "architecture",
        "reject",
        Some(json!({"feedback": "  "})),
    )
    .await;
    assert_eq!(empty.body["error"]["field"], "feedback");
    let rejected = decide(
        &app,
        &user,
        &id,
        "architecture",
        "reject",
        Some(json!({"feedback": "Keep the routes in one module per resource."})),
    )
    .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.body);
    let rerun = app.wait_for_execution(&user, &id).await;
    assert_eq!(rerun["status"], "awaiting_approval", "{rerun}");
    let architecture = step(&rerun, "architecture");
    assert_eq!(architecture["deliveries"], 2);
    assert_eq!(architecture["rejections"], 1);
    assert_eq!(architecture["attempts"], 2, "both runs are counted");
    assert!(
        architecture["input_tokens"].as_u64().unwrap() > step(&waiting, "plan")["input_tokens"].as_u64().unwrap_or(0)
    );

    assert_eq!(
        decide(&app, &user, &id, "architecture", "approve", None).await.status,
        StatusCode::OK
    );
    let done = app.wait_for_execution(&user, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let generation = crate::generations::wait_for_generation(&app, &user, &id).await;
    assert_eq!(generation["status"], "ready");
    let stories = app
        .call(
            Method::GET,
            &format!("/projects/{project}/stories?execution={id}"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(
        stories.body["items"][0]["title"], "Borrow a book with one tap (edited)",
        "{}",
        stories.body
    );
    let kinds: Vec<String> = events(&app, &user, &id)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    for kind in ["approval_given", "approval_rejected"] {
        assert!(kinds.contains(&kind.to_owned()), "{kinds:?}");
    }
}

#[tokio::test]
async fn a_deadline_cancels_the_wait_and_a_retry_asks_again() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, id) = gated(&app, &user, json!({"approvals": ["plan"], "approval_hours": 1})).await;
    let waiting = app.wait_for_execution(&user, &id).await;
    assert_eq!(waiting["status"], "awaiting_approval", "{waiting}");

    let scheduler = forgeflow_local::workers::scheduler(&app.context.clients, &app.stack.resources(), app.publisher());
    let early = forgeflow_workers::scheduler::tick(&scheduler, Utc::now() + Duration::minutes(59))
        .await
        .unwrap();
    assert_eq!(early.expired, 0, "not before its deadline");
    let late = forgeflow_workers::scheduler::tick(&scheduler, Utc::now() + Duration::minutes(61))
        .await
        .unwrap();
    assert_eq!(late.expired, 1);
    let cancelled = app
        .call(Method::GET, &format!("/executions/{id}"), Some(&user.token), None)
        .await
        .body;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(step(&cancelled, "plan")["status"], "cancelled");
    assert!(cancelled["error"].as_str().unwrap().contains("deadline"));
    let finished: Vec<Value> = events(&app, &user, &id)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "execution_finished")
        .collect();
    assert_eq!(finished.len(), 1, "its listeners are told: {finished:?}");
    assert_eq!(finished[0]["status"], "cancelled");
    assert_eq!(
        decide(&app, &user, &id, "plan", "approve", None).await.error_code(),
        "not_awaiting_approval"
    );

    let retried = app
        .call(
            Method::POST,
            &format!("/executions/{id}/retry"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(retried.status, StatusCode::ACCEPTED, "{}", retried.body);
    let again = app.wait_for_execution(&user, &id).await;
    assert_eq!(
        again["status"], "awaiting_approval",
        "the retried step waits for its owner again: {again}"
    );
    assert_eq!(step(&again, "architecture")["status"], "pending");
}

#[tokio::test]
async fn gates_on_unknown_steps_bad_deadlines_and_bad_budgets_are_refused() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Refused").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (body, field) in [
        (json!({"approvals": ["nope"]}), "approvals"),
        (json!({"approvals": ["plan"], "approval_hours": 0}), "approval_hours"),
        (json!({"approval_hours": 100000}), "approval_hours"),
        (json!({"budget": {"max_cost_usd": 0}}), "budget.max_cost_usd"),
        (json!({"budget": {"max_tokens": 0}}), "budget.max_tokens"),
    ] {
        let refused = app
            .call(
                Method::POST,
                &format!("/projects/{project}/executions"),
                Some(&user.token),
                Some(body),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert_eq!(refused.body["error"]["field"], field);
    }
    let (_, id) = gated(&app, &user, json!({"approvals": ["plan"]})).await;
    app.wait_for_execution(&user, &id).await;
    let missing = decide(&app, &user, &id, "nope", "approve", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let other = app.register().await;
    let theirs = decide(&app, &other, &id, "plan", "approve", None).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "another user's run is not found");
}

/// An approval whose next steps could not be queued leaves the run failed, never running with
/// nothing queued; a retry sends the step whose message was lost, and the run goes on.
#[tokio::test]
async fn a_retry_sends_a_step_whose_message_was_lost_after_an_approval() {
    use forgeflow_domain::execution::{ExecutionStatus, StepStatus};

    let app = spawn_app().await;
    let user = app.register().await;
    let (_, id) = gated(&app, &user, json!({"approvals": ["plan"]})).await;
    assert_eq!(app.wait_for_execution(&user, &id).await["status"], "awaiting_approval");
    // What an approve leaves when SQS fails right after its transaction: the decision made, the
    // next step claimed but never sent, and the run failed by the approve's handler.
    let executions = &app.context.engine.executions;
    let run: forgeflow_domain::Id<_> = id.parse().unwrap();
    executions.decide(run, "plan", None).await.unwrap();
    executions
        .transition_step(run, "architecture", &[StepStatus::Pending], StepStatus::Queued)
        .await
        .unwrap();
    executions
        .transition(
            run,
            &[ExecutionStatus::Running],
            ExecutionStatus::Failed,
            Some("lost"),
            Utc::now(),
        )
        .await
        .unwrap();

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
    assert_eq!(
        step(&done, "plan")["deliveries"],
        1,
        "the approved step is not run again"
    );
}

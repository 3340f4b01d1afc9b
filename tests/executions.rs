use std::collections::BTreeMap;

use forgeflow_domain::Id;
use forgeflow_domain::execution::{Execution, StepRun, StepStatus};
use forgeflow_tests::{Options, spawn_app, spawn_app_with, step};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn the_full_project_workflow_succeeds_offline_and_plans_the_project() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Library").await;
    let project_id = project["id"].as_str().unwrap();
    let id = app.start_execution(&user, project_id, None).await;

    let execution = app.wait_for_execution(&user, &id).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    for name in ["plan", "architecture", "code", "tests", "review"] {
        let step = step(&execution, name);
        assert_eq!(step["status"], "succeeded", "{name}: {step}");
        assert_eq!(step["attempts"], 1, "{name}");
        assert_eq!(step["deliveries"], 1, "{name}");
        assert!(step["output_tokens"].as_u64().unwrap() > 0, "{name}");
        assert!(step["duration_ms"].as_i64().is_some(), "{name}");
    }
    assert!(execution["totals"]["output_tokens"].as_u64().unwrap() > 0);

    let stories = app
        .call(
            Method::GET,
            &format!("/projects/{project_id}/stories"),
            Some(&user.token),
            None,
        )
        .await;
    let sprints = app
        .call(
            Method::GET,
            &format!("/projects/{project_id}/sprints"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(stories.body["execution_id"], id.as_str());
    let stories = stories.body["items"].as_array().unwrap();
    assert!(!stories.is_empty());
    assert!(
        stories
            .iter()
            .all(|s| !s["acceptance_criteria"].as_array().unwrap().is_empty())
    );
    let sprints = sprints.body["items"].as_array().unwrap();
    let planned: usize = sprints.iter().map(|s| s["story_ids"].as_array().unwrap().len()).sum();
    assert_eq!(planned, stories.len(), "every story is in exactly one sprint");

    // Its generation job was sent: the generation carries the execution's id.
    let generation_path = format!("/generations/{id}");
    let mut generation = app.call(Method::GET, &generation_path, Some(&user.token), None).await;
    for _ in 0..100 {
        if generation.status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        generation = app.call(Method::GET, &generation_path, Some(&user.token), None).await;
    }
    assert_eq!(generation.status, StatusCode::OK, "{}", generation.body);
    assert_eq!(generation.body["execution_id"], id.as_str());
    assert_eq!(generation.body["project_id"], project_id);

    let listed = app
        .call(
            Method::GET,
            &format!("/projects/{project_id}/executions"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(listed.body["items"][0]["id"], id.as_str());
    assert_eq!(listed.body["items"][0]["status"], "succeeded");
}

#[tokio::test]
async fn a_diamond_runs_its_join_step_exactly_once() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Diamond").await;
    let workflow = app
        .create_workflow(
            &user,
            json!([
                {"id": "plan", "agent": "product-manager"},
                {"id": "left", "agent": "architect", "depends_on": ["plan"]},
                {"id": "right", "agent": "architect", "depends_on": ["plan"]},
                {"id": "join", "agent": "reviewer", "depends_on": ["left", "right"]}
            ]),
        )
        .await;
    let id = app
        .start_execution(&user, project["id"].as_str().unwrap(), Some(&workflow))
        .await;
    let execution = app.wait_for_execution(&user, &id).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    assert_eq!(step(&execution, "join")["deliveries"], 1);
    assert_eq!(
        app.drain_queue("steps").await,
        Vec::<Value>::new(),
        "no stray step messages"
    );
}

/// Two parents that finish at the same moment both try to queue the join step.
#[tokio::test]
async fn two_parents_finishing_at_once_queue_the_child_once() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Race").await;
    let workflow = app
        .create_workflow(
            &user,
            json!([
                {"id": "a", "agent": "architect"},
                {"id": "b", "agent": "architect"},
                {"id": "join", "agent": "reviewer", "depends_on": ["a", "b"]}
            ]),
        )
        .await;
    let id = app
        .start_execution(&user, project["id"].as_str().unwrap(), Some(&workflow))
        .await;
    app.drain_queue("steps").await;
    let engine = &app.context.engine;
    let execution_id: Id<Execution> = id.parse().unwrap();
    let (execution, _) = engine.executions.load(execution_id).await.unwrap().unwrap();
    let mut runs: BTreeMap<String, StepRun> = BTreeMap::new();
    for parent in ["a", "b"] {
        let mut run = engine
            .executions
            .start_step(execution_id, parent, chrono::Utc::now(), chrono::Utc::now())
            .await
            .unwrap();
        run.status = StepStatus::Succeeded;
        engine.executions.finish_step(execution_id, &run).await.unwrap();
        runs.insert(parent.into(), run);
    }
    runs.insert("join".into(), StepRun::new("join", StepStatus::Pending));
    let (first, second) = tokio::join!(
        engine.enqueue_ready(&execution, &runs),
        engine.enqueue_ready(&execution, &runs)
    );
    assert_eq!(first.unwrap().len() + second.unwrap().len(), 1);
    let messages = app.drain_queue("steps").await;
    assert_eq!(messages, [json!({"execution_id": id, "step_id": "join"})]);
}

#[tokio::test]
async fn cancelling_stops_the_steps_that_have_not_started() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Cancelled").await;
    let id = app.start_execution(&user, project["id"].as_str().unwrap(), None).await;
    let cancelled = app
        .call(
            Method::POST,
            &format!("/executions/{id}/cancel"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert!(
        cancelled.body["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "cancelled")
    );

    // The plan step's message was already queued: delivering it now runs nothing.
    let job = serde_json::to_string(&json!({"execution_id": id, "step_id": "plan"})).unwrap();
    let event = forgeflow_tests::sqs_batch([job]);
    let response = forgeflow_workers::step::handler(
        &app.step_worker,
        event,
        chrono::Utc::now() + chrono::Duration::minutes(1),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let after = app
        .call(Method::GET, &format!("/executions/{id}"), Some(&user.token), None)
        .await;
    assert_eq!(step(&after.body, "plan")["deliveries"], 0);
    assert_eq!(after.body["status"], "cancelled");

    let again = app
        .call(
            Method::POST,
            &format!("/executions/{id}/cancel"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_worker_that_dies_mid_step_is_replaced_after_the_visibility_timeout() {
    let app = spawn_app_with(Options {
        visibility_timeout: Some(1),
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Crash").await;
    let workflow = app
        .create_workflow(&user, json!([{"id": "plan", "agent": "product-manager"}]))
        .await;
    let id = app
        .start_execution(&user, project["id"].as_str().unwrap(), Some(&workflow))
        .await;
    let execution_id: Id<Execution> = id.parse().unwrap();
    let now = chrono::Utc::now();
    app.context
        .engine
        .executions
        .start_step(execution_id, "plan", now, now + chrono::Duration::milliseconds(500))
        .await
        .expect("the doomed worker takes the step");
    // The message is still on the queue; a worker started now receives it once it is visible.
    let workers = app.start_workers().await;
    let finished = app.wait_for_execution(&user, &id).await;
    drop(workers);
    assert_eq!(finished["status"], "succeeded", "{finished}");
    let plan = step(&finished, "plan");
    assert_eq!(plan["deliveries"], 2, "the second delivery took over: {plan}");
    assert_eq!(plan["status"], "succeeded");
}

#[tokio::test]
async fn a_step_that_keeps_failing_ends_in_the_dlq_and_says_why() {
    let app = spawn_app_with(Options {
        visibility_timeout: Some(1),
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Poison").await;
    let workflow = app
        .create_workflow(&user, json!([{"id": "plan", "agent": "product-manager"}, {"id": "layout", "agent": "architect", "depends_on": ["plan"]}]))
        .await;
    let id = app
        .start_execution(&user, project["id"].as_str().unwrap(), Some(&workflow))
        .await;
    let execution_id: Id<Execution> = id.parse().unwrap();
    // Finish `plan` by hand without writing its output: `layout` can never read its input.
    let engine = &app.context.engine;
    app.drain_queue("steps").await;
    let mut plan = engine
        .executions
        .start_step(execution_id, "plan", chrono::Utc::now(), chrono::Utc::now())
        .await
        .unwrap();
    plan.status = StepStatus::Succeeded;
    engine.executions.finish_step(execution_id, &plan).await.unwrap();
    let (execution, runs) = engine.executions.load(execution_id).await.unwrap().unwrap();
    engine.enqueue_ready(&execution, &runs).await.unwrap();

    let workers = app.start_workers().await;
    let finished = app.wait_for_execution(&user, &id).await;
    drop(workers);
    assert_eq!(finished["status"], "failed", "{finished}");
    let layout = step(&finished, "layout");
    assert_eq!(layout["status"], "failed");
    assert!(
        layout["error"].as_str().unwrap().contains("gave up after 5 deliveries"),
        "{layout}"
    );
    assert!(finished["error"].as_str().unwrap().contains("layout"));
    // SQS moves the message to the DLQ on the receive after the last allowed one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut dead = Vec::new();
    while dead.is_empty() && std::time::Instant::now() < deadline {
        let _ = app.drain_queue("steps").await;
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        dead = app.drain_queue("steps-dlq").await;
    }
    assert_eq!(dead, [json!({"execution_id": id, "step_id": "layout"})]);
}

#[tokio::test]
async fn another_users_execution_is_not_found() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let owner = app.register().await;
    let stranger = app.register().await;
    let project = app.create_project(&owner, "Mine").await;
    let project_id = project["id"].as_str().unwrap();
    let id = app.start_execution(&owner, project_id, None).await;
    for (method, path) in [
        (Method::GET, format!("/executions/{id}")),
        (Method::POST, format!("/executions/{id}/cancel")),
        (Method::POST, format!("/executions/{id}/retry")),
        (Method::GET, format!("/projects/{project_id}/executions")),
        (Method::POST, format!("/projects/{project_id}/executions")),
        (Method::GET, format!("/projects/{project_id}/stories")),
    ] {
        let response = app.call(method, &path, Some(&stranger.token), None).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn starting_with_an_unknown_workflow_is_a_400_on_workflow() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "P").await;
    let path = format!("/projects/{}/executions", project["id"].as_str().unwrap());
    let response = app
        .call(
            Method::POST,
            &path,
            Some(&user.token),
            Some(json!({"workflow": "nope"})),
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.error_field(), "workflow");
    let retry = app
        .call(
            Method::POST,
            &format!("/executions/{}/retry", Id::<Execution>::new()),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(retry.status, StatusCode::NOT_FOUND);
}

/// When a job has had its last delivery is the queue's redrive policy, read from the queue: a
/// queue that moves messages to its DLQ after 3 receives makes the third the last, and a queue
/// without a policy never has a last one.
#[tokio::test]
async fn the_last_delivery_is_read_from_the_queues_redrive_policy() {
    use forgeflow_store::JobQueue;
    use forgeflow_workers::batch::ReceiveLimit;

    let app = spawn_app().await;
    let sqs = &app.context.clients.sqs;
    let queue = |name: String, policy: Option<String>| async move {
        let mut create = sqs.create_queue().queue_name(name);
        if let Some(policy) = policy {
            create = create.attributes(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy, policy);
        }
        let url = create.send().await.unwrap().queue_url.unwrap();
        ReceiveLimit::new(JobQueue::new(sqs.clone(), &url))
    };
    let dlq_arn = format!("arn:aws:sqs:us-east-1:123456789012:{}-dlq", app.prefix);
    sqs.create_queue()
        .queue_name(format!("{}-dlq", app.prefix))
        .send()
        .await
        .unwrap();
    // CloudFormation writes the count as a string, the console as a number: both are read.
    for policy in [
        json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
        json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}),
    ] {
        let limit = queue(
            format!("{}-three-{}", app.prefix, policy["maxReceiveCount"].is_string()),
            Some(policy.to_string()),
        )
        .await;
        assert!(!limit.is_last(2).await);
        assert!(limit.is_last(3).await, "{policy}");
    }
    let unlimited = queue(format!("{}-unlimited", app.prefix), None).await;
    assert!(!unlimited.is_last(1000).await);
}

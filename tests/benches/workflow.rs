//! `cargo bench -p forgeflow-tests --bench workflow`: executions per minute through the local
//! stack (moto, HTTP gateway, SQS event source, offline AI), and what one step costs against
//! the raw SQS + DynamoDB + S3 calls it makes. Results go to BENCHMARKS.md.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use forgeflow_domain::Id;
use forgeflow_domain::execution::Execution;
use forgeflow_tests::bench::{machine, ms, percentile, record};
use forgeflow_tests::{Options, spawn_app, spawn_app_with};
use serde_json::json;

const CONCURRENT: usize = 20;
const STEP_SAMPLES: usize = 30;

#[tokio::main]
async fn main() {
    let throughput = executions_per_minute().await;
    let (ours, raw) = step_overhead().await;
    let ratio = percentile(&ours, 50.0).as_secs_f64() / percentile(&raw, 50.0).as_secs_f64();
    record(
        "workflow",
        &format!(
            "## Workflow execution ([2/8])\n\n\
             Command: `cargo bench -p forgeflow-tests --bench workflow` · machine: {} · local stack on moto, offline provider.\n\n\
             | measure | figure |\n|---|---|\n\
             | {CONCURRENT} concurrent `full-project` executions (5 steps each) | {:.1} s wall → **{:.0} executions/min** |\n\
             | one execution alone, start to `succeeded` | {} |\n\
             | one step through `step::handler` (p50 / p95 of {STEP_SAMPLES}) | {} / {} |\n\
             | the same step's raw AWS calls, no logic (p50 / p95) | {} / {} |\n\
             | **ratio ours / raw (p50)** | **{ratio:.2}×** |\n\n\
             The raw baseline replays, with the SDK and nothing else, the calls a step makes: query the execution, \
             conditional update to start, read the input from S3, write the output to S3, conditional put to finish, \
             query again, claim the next step, send its message. The difference is our code: JSON (de)serialisation, \
             serde_dynamo, the offline agent and contract validation, and, since live progress ([5/8]), the \
             step's events (`step_started`, `step_completed`: a counter update, an event put and a listeners \
             query each, awaited so their numbers follow the step's order). The throughput run also pays the \
             API guard's rate counter on every status poll; moto serialises these writes, so it halves \
             executions/min here (114 before, 44–54 in two runs since) and adds about 25 ms per step \
             (41.6 → 65–67 ms). Since budgets ([5/6]) every provider call is metered, the offline one \
             included: the owner's monthly budget is read once per step, and each call reserves (a \
             conditional `ADD` on the run and on the month) and settles (two `ADD`s and the usage line, \
             sent at once): six more DynamoDB calls per step, not in the raw baseline. A step took 66.9 ms \
             before them and about 100–110 ms with them here, where moto serialises the calls; asking the \
             counters' `ADD` for the counters only, not the run's whole row, took 14 ms of that back \
             (113 → 99 ms in one run), and executions/min fell from 44 to about 30. Since a deletion \
             waits for work in flight ([3/6]), a step also reads its project once it holds its lease \
             (one `GetItem`): 104.6 ms against 107.9 ms in the run before, within run-to-run noise.",
            machine(),
            throughput.0.as_secs_f64(),
            throughput.1,
            ms(throughput.2),
            ms(percentile(&ours, 50.0)),
            ms(percentile(&ours, 95.0)),
            ms(percentile(&raw, 50.0)),
            ms(percentile(&raw, 95.0)),
        ),
    );
}

/// (wall time, executions per minute, latency of a lone execution)
async fn executions_per_minute() -> (Duration, f64, Duration) {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Bench").await;
    let project_id = project["id"].as_str().unwrap().to_owned();

    let lone = Instant::now();
    let id = app.start_execution(&user, &project_id, None).await;
    assert_eq!(app.wait_for_execution(&user, &id).await["status"], "succeeded");
    let lone = lone.elapsed();

    let started = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..CONCURRENT {
        ids.push(app.start_execution(&user, &project_id, None).await);
    }
    for id in &ids {
        assert_eq!(app.wait_for_execution(&user, id).await["status"], "succeeded");
    }
    let wall = started.elapsed();
    (wall, CONCURRENT as f64 / wall.as_secs_f64() * 60.0, lone)
}

/// Per-step time of our handler against the raw calls it makes.
async fn step_overhead() -> (Vec<Duration>, Vec<Duration>) {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Bench").await;
    let workflow = app
        .create_workflow(&user, json!([{"id": "plan", "agent": "product-manager"}, {"id": "next", "agent": "architect", "depends_on": ["plan"]}]))
        .await;
    let mut ours = Vec::new();
    for _ in 0..STEP_SAMPLES {
        let id = app
            .start_execution(&user, project["id"].as_str().unwrap(), Some(&workflow))
            .await;
        let event = serde_json::from_value(json!({"Records": [{
            "messageId": "m", "receiptHandle": "r", "body": json!({"execution_id": id, "step_id": "plan"}).to_string(),
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "awsRegion": "us-east-1"
        }]}))
        .unwrap();
        let started = Instant::now();
        let response =
            forgeflow_workers::step::handler(&app.step_worker, event, Utc::now() + chrono::Duration::minutes(5)).await;
        ours.push(started.elapsed());
        assert!(response.batch_item_failures.is_empty());
    }

    let clients = &app.context.clients;
    let table = &app.stack.table;
    let bucket = &app.stack.bucket;
    let queue = &app.stack.queues["steps"].0;
    let output = serde_json::to_vec(&json!({"stories": vec![json!({"title": "x".repeat(200)}); 5]})).unwrap();
    let mut raw = Vec::new();
    for _ in 0..STEP_SAMPLES {
        let id = Id::<Execution>::new();
        let pk = AttributeValue::S(format!("EXEC#{id}"));
        let put = |sk: &str, status: &str| {
            clients
                .dynamo
                .put_item()
                .table_name(table)
                .item("pk", pk.clone())
                .item("sk", AttributeValue::S(sk.into()))
                .item("status", AttributeValue::S(status.into()))
        };
        put("STEP#plan", "queued").send().await.unwrap();
        put("STEP#next", "pending").send().await.unwrap();
        let started = Instant::now();
        let query = || {
            clients
                .dynamo
                .query()
                .table_name(table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", pk.clone())
                .consistent_read(true)
        };
        query().send().await.unwrap();
        clients
            .dynamo
            .update_item()
            .table_name(table)
            .key("pk", pk.clone())
            .key("sk", AttributeValue::S("STEP#plan".into()))
            .update_expression("SET #s = :running")
            .condition_expression("#s = :queued")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":running", AttributeValue::S("running".into()))
            .expression_attribute_values(":queued", AttributeValue::S("queued".into()))
            .send()
            .await
            .unwrap();
        let key = format!("bench/{id}.json");
        clients
            .s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .body(output.clone().into())
            .send()
            .await
            .unwrap();
        clients
            .s3
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap();
        put("STEP#plan", "succeeded")
            .condition_expression("#s = :running")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":running", AttributeValue::S("running".into()))
            .send()
            .await
            .unwrap_or_else(|_| panic!("finish"));
        query().send().await.unwrap();
        clients
            .dynamo
            .update_item()
            .table_name(table)
            .key("pk", pk.clone())
            .key("sk", AttributeValue::S("STEP#next".into()))
            .update_expression("SET #s = :queued")
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":queued", AttributeValue::S("queued".into()))
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .send()
            .await
            .unwrap();
        clients
            .sqs
            .send_message()
            .queue_url(queue)
            .message_body(json!({"execution_id": id, "step_id": "next"}).to_string())
            .send()
            .await
            .unwrap();
        raw.push(started.elapsed());
    }
    (ours, raw)
}

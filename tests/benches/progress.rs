//! `cargo bench -p forgeflow-tests --bench progress`: how fast progress reaches WebSocket
//! clients on the local stack — latency from a worker's publish to the client's receive, and
//! the time to fan one event out to 1,000 subscribed connections. Results go to BENCHMARKS.md.

use std::time::{Duration, Instant};

use forgeflow_domain::progress::{ProgressEvent, Topic};
use forgeflow_progress::{Publisher, Sender};
use forgeflow_tests::bench::{machine, ms, percentile, record};
use forgeflow_tests::ws::WsClient;
use forgeflow_tests::{TestApp, User, spawn_app};

const LATENCY_SAMPLES: usize = 200;
const FAN_OUT: usize = 1_000;

#[tokio::main]
async fn main() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (ours, raw) = latency(&app, &user).await;
    let (connect, fan_out, raw_fan_out) = fan_out(&app, &user).await;
    let ratio = |ours: Duration, raw: Duration| ours.as_secs_f64() / raw.as_secs_f64();
    record(
        "progress",
        &format!(
            "## Live progress over WebSocket ([5/8])\n\n\
             Command: `cargo bench -p forgeflow-tests --bench progress` · machine: {} · local stack on moto: \
             the worker's `Publisher` stores the event (counter update + put), reads the topic's listeners \
             and posts through the local `@connections` endpoint to a real socket.\n\n\
             | measure | figure | baseline: the same frames, PostToConnection only | ratio |\n|---|---|---|---|\n\
             | one event, publish → client receive (p50 / p95 of {LATENCY_SAMPLES}) | {} / {} | {} / {} | {:.2}× |\n\
             | one event to {FAN_OUT} subscribed connections, until all received | {} | {} | {:.2}× |\n\
             | opening and subscribing {FAN_OUT} connections (`$connect` + `subscribe` each) | {:.1} s | | |\n\n\
             The baseline skips what makes an event replayable and findable (the two DynamoDB writes and the \
             listeners query); the ratio is their price. In AWS the two writes are single-digit milliseconds \
             each and PostToConnection is a regional call, so expect tens of milliseconds, not these loopback figures.",
            machine(),
            ms(percentile(&ours, 50.0)),
            ms(percentile(&ours, 95.0)),
            ms(percentile(&raw, 50.0)),
            ms(percentile(&raw, 95.0)),
            ratio(percentile(&ours, 50.0), percentile(&raw, 50.0)),
            ms(fan_out),
            ms(raw_fan_out),
            ratio(fan_out, raw_fan_out),
            connect.as_secs_f64(),
        ),
    );
}

fn publisher(app: &TestApp) -> Publisher {
    Publisher::at(&app.context.clients, &app.stack.table, Some(&app.url))
}

fn sender(app: &TestApp) -> Sender {
    Sender::new(&app.context.clients.config, &app.url)
}

/// A topic the user may listen to: one of their executions.
async fn topic_of(app: &TestApp, user: &User) -> Topic {
    let project = app.create_project(user, "Bench").await;
    let execution = app.start_execution(user, project["id"].as_str().unwrap(), None).await;
    app.wait_for_execution(user, &execution).await;
    format!("execution:{execution}").parse().unwrap()
}

fn event(n: u64) -> ProgressEvent {
    ProgressEvent::StepProgress {
        step: "code".into(),
        output_tokens: n,
    }
}

async fn subscribed(app: &TestApp, user: &User, topic: &Topic) -> WsClient {
    let mut client = WsClient::connect(&app.gateway.ws_url(), &user.token).await.unwrap();
    client.subscribe(&topic.to_string(), u64::MAX / 2).await;
    client.until(|frame| frame["type"] == "subscribed").await;
    client
}

/// (publish → receive, PostToConnection → receive) for one listener.
async fn latency(app: &TestApp, user: &User) -> (Vec<Duration>, Vec<Duration>) {
    let topic = topic_of(app, user).await;
    let mut client = subscribed(app, user, &topic).await;
    let publisher = publisher(app);
    let mut ours = Vec::new();
    for n in 0..LATENCY_SAMPLES as u64 {
        let start = Instant::now();
        publisher.publish(topic, event(n)).await;
        let frame = client.next(Duration::from_secs(5)).await.expect("the event");
        assert_eq!(frame["events"][0]["output_tokens"], n);
        ours.push(start.elapsed());
    }
    let connection = only_connection(app, &topic).await;
    let sender = sender(app);
    let mut raw = Vec::new();
    for n in 0..LATENCY_SAMPLES {
        let start = Instant::now();
        sender.post(&connection, &format!(r#"{{"n":{n}}}"#)).await.unwrap();
        client.next(Duration::from_secs(5)).await.expect("the frame");
        raw.push(start.elapsed());
    }
    client.close().await;
    (ours, raw)
}

async fn only_connection(app: &TestApp, topic: &Topic) -> String {
    let listeners = app.context.connections.listeners(topic).await.unwrap();
    assert_eq!(listeners.len(), 1);
    listeners[0].clone()
}

/// (time to connect and subscribe all, publish → all received, raw posts → all received)
async fn fan_out(app: &TestApp, user: &User) -> (Duration, Duration, Duration) {
    let topic = topic_of(app, user).await;
    let started = Instant::now();
    let mut clients = Vec::with_capacity(FAN_OUT);
    for _ in 0..FAN_OUT {
        clients.push(subscribed(app, user, &topic).await);
    }
    let connect = started.elapsed();
    assert_eq!(app.context.connections.listeners(&topic).await.unwrap().len(), FAN_OUT);

    // Each client reports when the event arrived, then waits for the baseline's frame.
    let (arrived, mut arrivals) = tokio::sync::mpsc::unbounded_channel();
    let receivers = clients
        .into_iter()
        .map(|mut client| {
            let arrived = arrived.clone();
            tokio::spawn(async move {
                let event = client.next(Duration::from_secs(60)).await.expect("the event");
                assert_eq!(event["events"][0]["output_tokens"], 7);
                arrived.send(Instant::now()).unwrap();
                let raw = client.next(Duration::from_secs(60)).await.expect("the raw frame");
                assert_eq!(raw["type"], "raw");
                Instant::now()
            })
        })
        .collect::<Vec<_>>();
    let start = Instant::now();
    publisher(app).publish(topic, event(7)).await;
    let mut last = start;
    for _ in 0..FAN_OUT {
        last = last.max(arrivals.recv().await.unwrap());
    }
    let ours = last.duration_since(start);

    let listeners = app.context.connections.listeners(&topic).await.unwrap();
    let raw_start = Instant::now();
    let gone = sender(app).fan_out(&listeners, &[r#"{"type":"raw"}"#.to_owned()]).await;
    assert!(gone.is_empty());
    let mut raw_last = raw_start;
    for receiver in receivers {
        raw_last = raw_last.max(receiver.await.unwrap());
    }
    let raw = raw_last.duration_since(raw_start);
    (connect, ours, raw)
}

//! Live progress over real WebSockets to the local gateway: the handshake's token check, who may
//! listen to what, events in order, replay without gap or duplicate, and gone connections.

use std::time::Duration;

use chrono::Utc;
use forgeflow_domain::progress::{MAX_FRAME_BYTES, ProgressEvent, Topic};
use forgeflow_progress::Publisher;
use forgeflow_store::Connection;
use forgeflow_tests::ws::{Refused, WsClient, deduplicated, events_of, has_kind};
use forgeflow_tests::{TestApp, User, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

async fn connected(app: &TestApp, user: &User) -> WsClient {
    WsClient::connect(&app.gateway.ws_url(), &user.token)
        .await
        .expect("handshake accepted")
}

/// A connection id as a URL path segment (ids are base64: `=`, `+` and `/` need escaping).
fn aws_smithy_percent(id: &str) -> String {
    id.replace('%', "%25")
        .replace('=', "%3D")
        .replace('+', "%2B")
        .replace('/', "%2F")
}

/// Waits for the run's closing event: the status turns before that event is published, and a
/// test that counts or publishes on the topic must not race it.
async fn closed(app: &TestApp, topic: &Topic) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let events = app.context.events.after(topic, 0, 1000).await.unwrap();
        if events
            .iter()
            .any(|stored| matches!(stored.event, ProgressEvent::ExecutionFinished { .. }))
        {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the run never closed its stream");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An execution of `user`'s on a fresh project.
async fn started(app: &TestApp, user: &User) -> (String, String) {
    let project = app.create_project(user, "Live").await;
    let project_id = project["id"].as_str().unwrap().to_owned();
    let execution = app.start_execution(user, &project_id, None).await;
    (project_id, execution)
}

#[tokio::test]
async fn the_handshake_needs_a_valid_token() {
    let app = spawn_app().await;
    let user = app.register().await;
    let url = app.gateway.ws_url();

    let Err(Refused(status)) = WsClient::connect_url(&url).await else {
        panic!("admitted without a token")
    };
    assert_eq!(status, 401);
    let Err(Refused(status)) = WsClient::connect(&url, "a.b.c").await else {
        panic!("admitted with a forged token")
    };
    assert_eq!(status, 401);
    let Err(Refused(status)) = WsClient::connect_url(&format!("{url}?token=not-a-jwt")).await else {
        panic!("admitted with a bad query token")
    };
    assert_eq!(status, 401);
    let now = Utc::now().timestamp();
    let not_yet_valid = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": user.id, "iss": "forgeflow", "aud": "forgeflow-api", "iat": now, "nbf": now + 600, "exp": now + 1200}),
        &jsonwebtoken::EncodingKey::from_secret(app.jwt_secret.as_bytes()),
    )
    .unwrap();
    let Err(Refused(status)) = WsClient::connect(&url, &not_yet_valid).await else {
        panic!("admitted with a token whose nbf is in the future")
    };
    assert_eq!(status, 401);
    assert_eq!(app.gateway.websocket().open_connections(), 0);

    // Offered as a subprotocol: the server picks ours, never echoes the token.
    let mut socket = WsClient::connect(&url, &user.token).await.unwrap();
    assert_eq!(socket.protocol.as_deref(), Some("forgeflow.v1"));
    socket.send(json!({"action": "ping"})).await;
    assert_eq!(socket.next(WAIT).await.unwrap(), json!({"type": "pong"}));

    // In the query string.
    let mut socket = WsClient::connect_url(&format!("{url}?token={}", user.token))
        .await
        .unwrap();
    socket.send(json!({"action": "ping"})).await;
    assert_eq!(socket.next(WAIT).await.unwrap()["type"], "pong");
}

#[tokio::test]
async fn bad_messages_get_error_frames_naming_the_field() {
    let app = spawn_app().await;
    let user = app.register().await;
    let mut socket = connected(&app, &user).await;
    let cases = [
        (json!("not an object"), "body"),
        (json!({"topic": "x"}), "action"),
        (json!({"action": "subscribe"}), "topic"),
        (json!({"action": "subscribe", "topic": "user:1"}), "topic"),
        (
            json!({"action": "subscribe", "topic": format!("execution:{}", uuid::Uuid::now_v7()), "after_seq": "3"}),
            "after_seq",
        ),
    ];
    for (message, field) in cases {
        socket.send(message.clone()).await;
        let frame = socket.next(WAIT).await.unwrap();
        assert_eq!(frame["type"], "error", "{message}: {frame}");
        assert_eq!(frame["field"], field, "{message}: {frame}");
    }
    // A well-formed topic naming nothing of the caller's: not found, as on the HTTP API.
    socket
        .subscribe(&format!("execution:{}", uuid::Uuid::now_v7()), 0)
        .await;
    let frame = socket.next(WAIT).await.unwrap();
    assert_eq!(
        (frame["type"].as_str(), frame["code"].as_str()),
        (Some("error"), Some("not_found"))
    );
}

#[tokio::test]
async fn another_users_topics_are_refused_and_never_delivered() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let stranger = app.register().await;
    let mut spy = connected(&app, &stranger).await;
    let (project, execution) = started(&app, &owner).await;

    for topic in [
        format!("execution:{execution}"),
        format!("generation:{execution}"),
        format!("project:{project}"),
    ] {
        spy.subscribe(&topic, 0).await;
        let frame = spy.next(WAIT).await.unwrap();
        assert_eq!(frame["type"], "error", "{topic}: {frame}");
        assert_eq!(frame["code"], "not_found");
        assert_eq!(frame["field"], "topic");
        assert_eq!(frame["topic"], topic.as_str());
    }
    // The owner hears the run end; the stranger hears nothing of it.
    let mut socket = connected(&app, &owner).await;
    socket.subscribe(&format!("execution:{execution}"), 0).await;
    socket.until(|frame| has_kind(frame, "execution_finished")).await;
    assert!(spy.next(Duration::from_millis(500)).await.is_none());
}

#[tokio::test]
async fn a_run_streams_its_events_in_order_and_files_coalesced() {
    let app = spawn_app().await;
    let user = app.register().await;
    let mut socket = connected(&app, &user).await;
    let (project, execution) = started(&app, &user).await;
    let execution_topic = format!("execution:{execution}");
    let generation_topic = format!("generation:{execution}");
    let project_topic = format!("project:{project}");
    for topic in [&execution_topic, &generation_topic, &project_topic] {
        socket.subscribe(topic, 0).await;
    }
    // The project's topic hears of the generation last (after the generation's own topic).
    let frames = socket
        .until(|frame| has_kind(frame, "generation_ready") && frame["topic"] == project_topic.as_str())
        .await;
    assert!(socket.frame_sizes.iter().all(|size| *size <= MAX_FRAME_BYTES));

    // Subscribed while the run went on, so an event may come live and replayed: kept once.
    // Every number then, none missing, the run's end last.
    let steps = deduplicated(&frames, &execution_topic);
    let seqs: Vec<u64> = steps.keys().copied().collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    let first = steps.values().next().unwrap();
    assert_eq!(first["kind"], "execution_started", "{first}");
    assert_eq!(first["project_id"], project.as_str());
    let last = steps.values().last().unwrap();
    assert_eq!(last["kind"], "execution_finished");
    assert_eq!(last["status"], "succeeded");
    // Each step starts before it completes, and every step of the workflow completed.
    let run = app.wait_for_execution(&user, &execution).await;
    for step in run["steps"].as_array().unwrap() {
        let id = &step["id"];
        let seq_of = |kind: &str| {
            steps
                .iter()
                .find(|(_, e)| e["kind"] == kind && &e["step"] == id)
                .map(|(seq, _)| *seq)
                .unwrap_or_else(|| panic!("no {kind} for {id}"))
        };
        assert!(seq_of("step_started") < seq_of("step_completed"), "{id}");
        let completed = &steps[&seq_of("step_completed")];
        assert_eq!(completed["output_tokens"], step["output_tokens"], "{id}");
    }

    // Files: a few coalesced reports, counting up to the total, then ready.
    let files = deduplicated(&frames, &generation_topic);
    let written: Vec<&Value> = files.values().filter(|e| e["kind"] == "files_written").collect();
    let ready = files.values().last().unwrap();
    assert_eq!(ready["kind"], "generation_ready");
    let total = ready["files"].as_u64().unwrap();
    assert!(total > 5, "{ready}");
    assert!(
        written.len() as u64 <= total / 2 + 1,
        "{} reports for {total} files",
        written.len()
    );
    assert_eq!(written.last().unwrap()["written"], total);
    let counts: Vec<u64> = written.iter().map(|e| e["written"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|pair| pair[0] < pair[1]), "{counts:?}");

    // The project's topic carries a run's start and the outcomes only.
    let outcomes = deduplicated(&frames, &project_topic);
    let kinds: Vec<&str> = outcomes.values().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["execution_started", "execution_finished", "generation_ready"]);
}

#[tokio::test]
async fn a_client_that_reconnects_sees_no_gap_and_no_duplicate() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, execution) = started(&app, &user).await;
    let topic = format!("execution:{execution}");

    // Hear the first few events, then drop off mid-run.
    let mut first = connected(&app, &user).await;
    first.subscribe(&topic, 0).await;
    let mut heard = Vec::new();
    while deduplicated(&heard, &topic).len() < 3 {
        heard.push(first.next(Duration::from_secs(30)).await.expect("an early event"));
    }
    first.close().await;
    let resume_after = *deduplicated(&heard, &topic).keys().last().unwrap();
    app.wait_for_execution(&user, &execution).await;

    // Come back: exactly what was missed (nothing twice: the run has ended, so nothing is
    // published while the replay runs), then `subscribed` with the last number.
    let mut second = connected(&app, &user).await;
    second.subscribe(&topic, resume_after).await;
    let replayed = second.until(|frame| frame["type"] == "subscribed").await;
    let missed = events_of(&replayed, &topic);
    let last_seq = replayed.last().unwrap()["last_seq"].as_u64().unwrap();
    assert_eq!(missed.keys().next().copied(), Some(resume_after + 1));
    assert_eq!(missed.keys().last().copied(), Some(last_seq));
    let mut all = deduplicated(&heard, &topic);
    for (seq, event) in missed {
        assert!(all.insert(seq, event).is_none(), "seq {seq} twice");
    }
    assert_eq!(
        all.keys().copied().collect::<Vec<_>>(),
        (1..=last_seq).collect::<Vec<_>>()
    );
    assert_eq!(all[&last_seq]["kind"], "execution_finished");

    // The same over HTTP, in pages.
    let mut over_http = Vec::new();
    let mut after = 0;
    loop {
        let page = app
            .call(
                Method::GET,
                &format!("/executions/{execution}/events?after={after}&limit=4"),
                Some(&user.token),
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.body["last_seq"], last_seq);
        let events = page.body["events"].as_array().unwrap().clone();
        if events.is_empty() {
            break;
        }
        after = page.body["next_after"].as_u64().unwrap();
        over_http.extend(events);
    }
    let http_seqs: Vec<u64> = over_http.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(http_seqs, (1..=last_seq).collect::<Vec<_>>());
    assert_eq!(over_http.last().unwrap(), &all[&last_seq]);
}

#[tokio::test]
async fn the_events_endpoint_is_owner_only_and_checks_its_parameters() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let stranger = app.register().await;
    let (_, execution) = started(&app, &owner).await;
    let path = format!("/executions/{execution}/events");
    let response = app.call(Method::GET, &path, Some(&stranger.token), None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.call(Method::GET, &path, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    for (query, field) in [
        ("after=-1", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=x", "limit"),
    ] {
        let response = app
            .call(Method::GET, &format!("{path}?{query}"), Some(&owner.token), None)
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.body["error"]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn a_long_replay_comes_in_frames_within_the_limit() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, execution) = started(&app, &user).await;
    app.wait_for_execution(&user, &execution).await;
    let topic: Topic = format!("execution:{execution}").parse().unwrap();
    closed(&app, &topic).await;
    let before = app.context.events.last_seq(&topic).await.unwrap();
    for n in 0..300 {
        let event = ProgressEvent::StepFailed {
            step: format!("step-{n}"),
            error: "x".repeat(5_000),
        };
        app.context
            .events
            .append(&topic, event.bounded(), Utc::now())
            .await
            .unwrap();
    }
    let mut socket = connected(&app, &user).await;
    socket.subscribe(&topic.to_string(), 0).await;
    let frames = socket.until(|frame| frame["type"] == "subscribed").await;
    let events = events_of(&frames, &topic.to_string());
    assert_eq!(events.len() as u64, before + 300);
    let ours: Vec<&str> = events
        .values()
        .filter_map(|event| event["step"].as_str())
        .filter(|step| step.starts_with("step-"))
        .collect();
    let expected: Vec<String> = (0..300).map(|n| format!("step-{n}")).collect();
    assert_eq!(ours, expected);
    assert!(frames.len() > 10, "{} frames", frames.len());
    assert!(
        socket.frame_sizes.iter().all(|size| *size <= MAX_FRAME_BYTES),
        "{:?}",
        socket.frame_sizes
    );
}

#[tokio::test]
async fn closing_the_socket_forgets_the_connection() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, execution) = started(&app, &user).await;
    let topic: Topic = format!("execution:{execution}").parse().unwrap();
    let mut socket = connected(&app, &user).await;
    socket.subscribe(&topic.to_string(), 0).await;
    socket.until(|frame| frame["type"] == "subscribed").await;
    assert_eq!(app.context.connections.listeners(&topic).await.unwrap().len(), 1);
    socket.close().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !app.context.connections.listeners(&topic).await.unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the subscription outlived its socket"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.gateway.websocket().open_connections(), 0);
}

#[tokio::test]
async fn a_gone_connection_is_removed_by_the_next_publish() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, execution) = started(&app, &user).await;
    // Once the run is over nothing else publishes to its topic during the test.
    app.wait_for_execution(&user, &execution).await;
    let topic: Topic = format!("execution:{execution}").parse().unwrap();
    closed(&app, &topic).await;
    // A connection whose $disconnect never ran: its rows remain, its socket does not.
    let ghost = Connection::new("R2hvc3RDb25uPQ==", user.id.parse().unwrap(), Utc::now());
    app.context.connections.open(&ghost).await.unwrap();
    app.context.connections.subscribe(&ghost, &topic).await.unwrap();
    let mut live = connected(&app, &user).await;
    live.subscribe(&topic.to_string(), u64::MAX / 2).await;
    live.until(|frame| frame["type"] == "subscribed").await;
    assert_eq!(app.context.connections.listeners(&topic).await.unwrap().len(), 2);

    let publisher = Publisher::at(&app.context.clients, &app.stack.table, Some(&app.url));
    let event = ProgressEvent::StepProgress {
        step: "code".into(),
        output_tokens: 42,
    };
    publisher.publish(topic, event).await;

    // The live one got it; the ghost answered 410 and is gone with its subscription.
    let frame = live.next(WAIT).await.unwrap();
    assert_eq!(frame["events"][0]["output_tokens"], 42);
    assert!(app.context.connections.get(&ghost.id).await.unwrap().is_none());
    assert_eq!(app.context.connections.listeners(&topic).await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_management_endpoint_speaks_the_sdks_wire_format() {
    let app = spawn_app().await;
    let user = app.register().await;
    let mut socket = connected(&app, &user).await;
    socket.send(json!({"action": "ping"})).await;
    socket.next(WAIT).await.unwrap();
    let (id, _) = {
        let rows = app
            .context
            .clients
            .dynamo
            .scan()
            .table_name(&app.stack.table)
            .filter_expression("sk = :sk")
            .expression_attribute_values(":sk", aws_sdk_dynamodb::types::AttributeValue::S("CONN".into()))
            .send()
            .await
            .unwrap();
        let item = rows.items().first().cloned().expect("the connection row");
        (item["id"].as_s().unwrap().clone(), item)
    };
    let config = aws_sdk_apigatewaymanagement::config::Builder::from(&app.context.clients.config)
        .endpoint_url(&app.url)
        .build();
    let client = aws_sdk_apigatewaymanagement::Client::from_conf(config);

    let described = client.get_connection().connection_id(&id).send().await.unwrap();
    assert_eq!(described.identity().unwrap().source_ip(), Some("127.0.0.1"));
    assert!(described.connected_at().is_some());

    client
        .post_to_connection()
        .connection_id(&id)
        .data(aws_sdk_apigatewaymanagement::primitives::Blob::new(
            r#"{"type":"hello"}"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(socket.next(WAIT).await.unwrap()["type"], "hello");

    // API Gateway's 128 KB message limit.
    let too_large = client
        .post_to_connection()
        .connection_id(&id)
        .data(aws_sdk_apigatewaymanagement::primitives::Blob::new(vec![
            b'x';
            129 * 1024
        ]))
        .send()
        .await
        .unwrap_err();
    assert!(too_large.into_service_error().is_payload_too_large_exception());

    // As in AWS, only signed calls from known principals get through (SigV4, execute-api).
    let path = format!("{}/@connections/{}", app.url, aws_smithy_percent(&id));
    let unsigned = app.http.post(&path).body("{}").send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    assert_eq!(
        unsigned.json::<Value>().await.unwrap()["message"],
        "Missing Authentication Token"
    );
    // A post signed as `credentials`: what API Gateway answers it.
    let post_as = |credentials: aws_sdk_apigatewaymanagement::config::Credentials| {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(&app.context.clients.config)
            .endpoint_url(&app.url)
            .credentials_provider(credentials)
            .build();
        let id = id.clone();
        async move {
            aws_sdk_apigatewaymanagement::Client::from_conf(config)
                .post_to_connection()
                .connection_id(&id)
                .data(aws_sdk_apigatewaymanagement::primitives::Blob::new("{}"))
                .send()
                .await
                .unwrap_err()
        }
    };
    let stranger = aws_sdk_apigatewaymanagement::config::Credentials::new("AKIASTRANGER", "guess", None, None, "test");
    let refused = post_as(stranger).await;
    assert_eq!(refused.raw_response().map(|r| r.status().as_u16()), Some(403));
    let admin = app.context.clients.config.credentials_provider().unwrap();
    let admin = aws_sdk_apigatewaymanagement::config::ProvideCredentials::provide_credentials(&admin)
        .await
        .unwrap();
    let wrong_secret = aws_sdk_apigatewaymanagement::config::Credentials::new(
        admin.access_key_id(),
        "not-the-secret",
        None,
        None,
        "test",
    );
    let refused = post_as(wrong_secret).await;
    let response = refused.raw_response().expect("an answer");
    assert_eq!(response.status().as_u16(), 403);
    let body = std::str::from_utf8(response.body().bytes().unwrap()).unwrap();
    assert!(body.contains("signature we calculated does not match"), "{body}");
    assert!(
        socket.next(Duration::from_millis(300)).await.is_none(),
        "nothing refused reached the socket"
    );

    client.delete_connection().connection_id(&id).send().await.unwrap();
    assert!(
        socket.next(WAIT).await.is_none(),
        "the socket stays open after DeleteConnection"
    );
    let gone = client.get_connection().connection_id(&id).send().await.unwrap_err();
    assert!(gone.into_service_error().is_gone_exception());
}

#[tokio::test]
async fn a_cancelled_run_ends_its_stream_at_once() {
    // No workers: the run waits on its first step until it is cancelled.
    let app = forgeflow_tests::spawn_app_with(forgeflow_tests::Options {
        workers: false,
        ..forgeflow_tests::Options::default()
    })
    .await;
    let user = app.register().await;
    let (project, execution) = started(&app, &user).await;
    let mut socket = connected(&app, &user).await;
    socket.subscribe(&format!("execution:{execution}"), 0).await;
    socket.subscribe(&format!("project:{project}"), 0).await;
    socket.until(|frame| frame["type"] == "subscribed").await;
    socket.until(|frame| frame["type"] == "subscribed").await;

    let cancelled = app
        .call(
            Method::POST,
            &format!("/executions/{execution}/cancel"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let frames = socket
        .until(|frame| has_kind(frame, "execution_finished") && frame["topic"] == format!("project:{project}"))
        .await;
    for topic in [format!("execution:{execution}"), format!("project:{project}")] {
        let events = events_of(&frames, &topic);
        let finished = events
            .values()
            .find(|e| e["kind"] == "execution_finished")
            .expect(&topic);
        assert_eq!(finished["status"], "cancelled", "{topic}");
    }
}

#[tokio::test]
async fn an_export_streams_its_phases_then_its_outcome() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (project, execution) = started(&app, &user).await;
    let mut socket = connected(&app, &user).await;
    socket.subscribe(&format!("generation:{execution}"), 0).await;
    socket.until(|frame| has_kind(frame, "generation_ready")).await;

    let export = app
        .call(
            Method::POST,
            &format!("/generations/{execution}/exports"),
            Some(&user.token),
            Some(json!({"target": {"type": "zip"}})),
        )
        .await;
    assert_eq!(export.status, StatusCode::ACCEPTED, "{}", export.body);
    let export_id = export.body["id"].as_str().unwrap();
    let topic = format!("export:{export_id}");
    socket.subscribe(&topic, 0).await;
    let frames = socket.until(|frame| has_kind(frame, "export_done")).await;
    let events: Vec<Value> = deduplicated(&frames, &topic).into_values().collect();
    let phases: Vec<(&str, u64, u64)> = events
        .iter()
        .filter(|e| e["kind"] == "export_phase")
        .map(|e| {
            (
                e["phase"].as_str().unwrap(),
                e["done"].as_u64().unwrap(),
                e["total"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(phases, [("committing", 1, 2), ("delivering", 2, 2)]);
    let done = events.last().unwrap();
    assert_eq!(done["kind"], "export_done");
    assert_eq!(done["target"], "zip");
    assert_eq!(done["project_id"], project.as_str());
    let commit = done["commit"].as_str().expect("the commit it made");
    assert!(
        commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
        "{commit}"
    );
    let stored = app
        .call(Method::GET, &format!("/exports/{export_id}"), Some(&user.token), None)
        .await;
    assert_eq!(
        (stored.body["status"].as_str(), stored.body["phase"].as_str()),
        (Some("succeeded"), Some("done"))
    );
}

fn ws_limits(per_connection: u64, per_user: u64) -> forgeflow_api::guard::RateLimits {
    let window = |limit| forgeflow_domain::rate_limit::RateLimit { limit, window_s: 60 };
    forgeflow_api::guard::RateLimits {
        per_user: window(1_000_000),
        auth_per_ip: window(1_000_000),
        ws_per_connection: window(per_connection),
        ws_per_user: window(per_user),
    }
}

/// Past its limit a connection's messages get `rate_limited` error frames, and a client that
/// keeps sending is disconnected; the user's limit spans their connections.
#[tokio::test]
async fn websocket_messages_are_metered_per_connection_and_per_user() {
    let app = forgeflow_tests::spawn_app_with(forgeflow_tests::Options {
        workers: false,
        rate_limits: ws_limits(4, 6),
        ..forgeflow_tests::Options::default()
    })
    .await;
    let user = app.register().await;
    let mut socket = connected(&app, &user).await;
    for _ in 0..4 {
        socket.send(json!({"action": "ping"})).await;
        assert_eq!(socket.next(WAIT).await.unwrap()["type"], "pong");
    }
    socket.send(json!({"action": "ping"})).await;
    let refused = socket.next(WAIT).await.unwrap();
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    // A malformed message counts too, and is refused for the rate, not parsed.
    socket
        .send(json!({"action": "subscribe", "topic": "x".repeat(100_000)}))
        .await;
    assert_eq!(socket.next(WAIT).await.unwrap()["code"], "rate_limited");
    for _ in 0..2 {
        socket.send(json!({"action": "ping"})).await;
        assert_eq!(socket.next(WAIT).await.unwrap()["code"], "rate_limited");
    }
    // Twice the limit: the last refusal, then the server closes the socket.
    socket.send(json!({"action": "ping"})).await;
    let last = socket.next(WAIT).await.unwrap();
    assert!(last["message"].as_str().unwrap().contains("closing"), "{last}");
    assert_eq!(socket.next(WAIT).await, None, "the connection is closed");

    // The user's own budget (6) is spent by the first socket's 9 messages: a second connection
    // is refused at once.
    let mut second = connected(&app, &user).await;
    second.send(json!({"action": "ping"})).await;
    assert_eq!(second.next(WAIT).await.unwrap()["code"], "rate_limited");
    // Another user is counted apart.
    let other = app.register().await;
    let mut theirs = connected(&app, &other).await;
    theirs.send(json!({"action": "ping"})).await;
    assert_eq!(theirs.next(WAIT).await.unwrap()["type"], "pong");
}

/// A malformed message is a client error naming its field, even near the size limit.
#[tokio::test]
async fn a_malformed_message_near_the_size_limit_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let user = app.register().await;
    let mut socket = connected(&app, &user).await;
    socket
        .send(json!({"action": "subscribe", "topic": "x".repeat(120_000)}))
        .await;
    let refused = socket.next(WAIT).await.unwrap();
    assert_eq!(refused["code"], "invalid_request", "{refused}");
    assert_eq!(refused["field"], "topic");
    socket
        .send(json!({"action": "subscribe", "topic": "execution:x", "after_seq": "many"}))
        .await;
    assert_eq!(socket.next(WAIT).await.unwrap()["field"], "after_seq");
}

/// The WebSocket's counters failing open: messages are answered when the counter is unreachable.
#[tokio::test]
async fn an_unreachable_counter_lets_websocket_messages_through() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, execution) = started(&app, &user).await;
    let topic = format!("execution:{execution}");
    let mut socket = connected(&app, &user).await;
    socket.subscribe(&topic, u64::MAX).await;
    socket.until(|frame| frame["type"] == "subscribed").await;
    let listeners = app
        .context
        .connections
        .listeners(&topic.parse().unwrap())
        .await
        .unwrap();
    let connection_id = listeners.first().expect("the socket listens").clone();

    let context = app.context_counting_in("no-such-table", ws_limits(0, 0)).await;
    let sender = forgeflow_progress::Sender::new(&app.context.clients.config, &app.url);
    // API Gateway's own `$default` event (the sample), for this connection.
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/ws-ws-default.json");
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(sample).unwrap()).unwrap();
    event["requestContext"]["connectionId"] = json!(connection_id);
    event["body"] = json!(r#"{"action":"ping"}"#);
    let event = serde_json::from_value(event).unwrap();
    let response = forgeflow_realtime::message::handler(&context, &sender, event).await;
    assert_eq!(response.status_code, 200);
    let frames = socket
        .until(|frame| frame["type"] == "pong" || frame["type"] == "error")
        .await;
    assert_eq!(frames.last().unwrap()["type"], "pong", "{frames:?}");
}

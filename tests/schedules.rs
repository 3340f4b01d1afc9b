use chrono::{Duration, Utc};
use forgeflow_local::workers;
use forgeflow_tests::{TestApp, User, spawn_app};
use forgeflow_workers::scheduler::tick;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A project with a ready generation: its id.
async fn generated_project(app: &TestApp, user: &User, settings: Value) -> String {
    let created = app
        .call(
            Method::POST,
            "/projects",
            Some(&user.token),
            Some(json!({"name": "Nightly", "brief": "A service that lends books.", "settings": settings})),
        )
        .await;
    let project = created.body["id"].as_str().unwrap().to_owned();
    let execution = app.start_execution(user, &project, None).await;
    assert_eq!(app.wait_for_execution(user, &execution).await["status"], "succeeded");
    for _ in 0..300 {
        let generation = app
            .call(
                Method::GET,
                &format!("/generations/{execution}"),
                Some(&user.token),
                None,
            )
            .await;
        if generation.body["status"] == "ready" {
            return project;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no ready generation");
}

async fn exports_of(app: &TestApp, user: &User, project: &str) -> Vec<Value> {
    let listed = app
        .call(
            Method::GET,
            &format!("/projects/{project}/exports"),
            Some(&user.token),
            None,
        )
        .await;
    listed.body["items"].as_array().unwrap().clone()
}

async fn put_schedule(app: &TestApp, user: &User, project: &str, body: Value) -> forgeflow_tests::TestResponse {
    app.call(
        Method::PUT,
        &format!("/projects/{project}/export-schedule"),
        Some(&user.token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_due_schedule_exports_once_per_slot_however_often_it_ticks() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = generated_project(&app, &user, json!({})).await;
    let set = put_schedule(
        &app,
        &user,
        &project,
        json!({"expression": "*/5 * * * *", "target": {"type": "zip"}}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let scheduler = workers::scheduler(&app.context.clients, &app.stack.resources(), app.publisher());

    let before = tick(&scheduler, Utc::now()).await.unwrap();
    assert_eq!(before.enqueued, 0, "not due yet");

    // No tick for an hour, then two overlapping ticks and a duplicate: one catch-up export.
    let later = Utc::now() + Duration::hours(1);
    let (a, b) = tokio::join!(tick(&scheduler, later), tick(&scheduler, later));
    assert_eq!(a.unwrap().enqueued + b.unwrap().enqueued, 1);
    assert_eq!(
        tick(&scheduler, later).await.unwrap().enqueued,
        0,
        "the same tick again does nothing"
    );
    let exports = exports_of(&app, &user, &project).await;
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert_eq!(exports[0]["target"]["type"], "zip");

    let schedule = app
        .call(
            Method::GET,
            &format!("/projects/{project}/export-schedule"),
            Some(&user.token),
            None,
        )
        .await;
    let next_run: chrono::DateTime<Utc> = schedule.body["next_run"].as_str().unwrap().parse().unwrap();
    assert!(next_run > later, "the next run moved past the tick");
    assert!(next_run <= later + Duration::minutes(5));
}

#[tokio::test]
async fn a_disabled_schedule_never_fires() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = generated_project(&app, &user, json!({})).await;
    let body = json!({"expression": "rate(1 minute)", "target": {"type": "tar.gz"}, "enabled": false});
    assert_eq!(put_schedule(&app, &user, &project, body).await.status, StatusCode::OK);
    let scheduler = workers::scheduler(&app.context.clients, &app.stack.resources(), app.publisher());
    let report = tick(&scheduler, Utc::now() + Duration::days(2)).await.unwrap();
    assert_eq!(report.due, 0);
    assert!(exports_of(&app, &user, &project).await.is_empty());
}

#[tokio::test]
async fn auto_export_runs_when_a_generation_becomes_ready() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = generated_project(&app, &user, json!({"auto_export": true})).await;
    let mut exports = Vec::new();
    for _ in 0..100 {
        exports = exports_of(&app, &user, &project).await;
        if exports.len() == 1 && exports[0]["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert_eq!(exports[0]["target"]["type"], "tar.gz");
    assert_eq!(exports[0]["status"], "succeeded", "{exports:?}");
}

#[tokio::test]
async fn bad_schedules_name_the_field_and_are_private() {
    let app = spawn_app().await;
    let user = app.register().await;
    let stranger = app.register().await;
    let project = app.create_project(&user, "P").await["id"].as_str().unwrap().to_owned();
    let cases = [
        (
            json!({"expression": "every night", "target": {"type": "zip"}}),
            "expression",
        ),
        (
            json!({"expression": "0 3 * * *", "time_zone": "Mars/Olympus", "target": {"type": "zip"}}),
            "time_zone",
        ),
        (
            json!({"expression": "0 3 * * *", "target": {"type": "github", "repository": "x"}}),
            "target.repository",
        ),
        (json!({"expression": "0 3 * * *"}), "target"),
    ];
    for (body, field) in cases {
        let response = put_schedule(&app, &user, &project, body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_field(), field, "{body}: {}", response.body);
    }
    let ok = json!({"expression": "30 2 * * *", "time_zone": "Europe/Berlin", "target": {"type": "zip"}});
    assert_eq!(
        put_schedule(&app, &user, &project, ok.clone()).await.status,
        StatusCode::OK
    );
    assert_eq!(
        put_schedule(&app, &stranger, &project, ok).await.status,
        StatusCode::NOT_FOUND
    );
    let path = format!("/projects/{project}/export-schedule");
    assert_eq!(
        app.call(Method::GET, &path, Some(&stranger.token), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&user.token), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::GET, &path, Some(&user.token), None).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn hook(app: &TestApp, user: &User, project: &str) -> (String, String) {
    let created = app
        .call(
            Method::POST,
            &format!("/projects/{project}/hooks"),
            Some(&user.token),
            Some(json!({"target": {"type": "zip"}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    (
        created.body["id"].as_str().unwrap().to_owned(),
        created.body["secret"].as_str().unwrap().to_owned(),
    )
}

/// A project's hooks are listed whole, so there are at most 20; removing one makes room.
#[tokio::test]
async fn a_project_has_at_most_twenty_hooks() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Hooks").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(hook(&app, &user, &project).await.0);
    }
    let path = format!("/projects/{project}/hooks");
    let refused = app
        .call(
            Method::POST,
            &path,
            Some(&user.token),
            Some(json!({"target": {"type": "zip"}})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.error_code(), "too_many_hooks");
    let listed = app.call(Method::GET, &path, Some(&user.token), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 20);

    let removed = app
        .call(Method::DELETE, &format!("/hooks/{}", ids[0]), Some(&user.token), None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    hook(&app, &user, &project).await;
}

async fn deliver(app: &TestApp, hook_id: &str, body: &str, signature: &str) -> forgeflow_tests::TestResponse {
    let request = app
        .raw(Method::POST, &format!("/hooks/{hook_id}"))
        .header("content-type", "application/json")
        .header("x-forgeflow-signature", signature)
        .body(body.to_owned());
    app.send(request).await
}

#[tokio::test]
async fn a_signed_webhook_exports_once_and_bad_or_stale_signatures_enqueue_nothing() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = generated_project(&app, &user, json!({})).await;
    let (id, secret) = hook(&app, &user, &project).await;
    let body = r#"{"pipeline":"nightly"}"#;
    let sign =
        |secret: &str, at: i64, body: &str| forgeflow_domain::webhook::sign(secret.as_bytes(), at, body.as_bytes());
    let now = Utc::now().timestamp();

    let refusals = [
        ("no signature", String::new()),
        ("wrong secret", sign("0123456789abcdef", now, body)),
        ("tampered body", sign(&secret, now, r#"{"pipeline":"evil"}"#)),
        ("stale", sign(&secret, now - 3600, body)),
        ("malformed", "v1=abc".to_owned()),
    ];
    for (what, signature) in refusals {
        let response = deliver(&app, &id, body, &signature).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{what}");
    }
    assert!(exports_of(&app, &user, &project).await.is_empty(), "nothing enqueued");

    let signature = sign(&secret, now, body);
    let first = deliver(&app, &id, body, &signature).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.body);
    let replay = deliver(&app, &id, body, &signature).await;
    assert_eq!(
        replay.status,
        StatusCode::UNAUTHORIZED,
        "a replay is refused: {}",
        replay.body
    );
    assert_eq!(exports_of(&app, &user, &project).await.len(), 1);

    let rotated = app
        .call(Method::POST, &format!("/hooks/{id}/rotate"), Some(&user.token), None)
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    let later = sign(&secret, now + 1, body);
    assert_eq!(
        deliver(&app, &id, body, &later).await.status,
        StatusCode::UNAUTHORIZED,
        "the old secret is dead"
    );
    let stranger = app.register().await;
    let theirs = app
        .call(
            Method::POST,
            &format!("/hooks/{id}/rotate"),
            Some(&stranger.token),
            None,
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

/// The owner finds a project's hooks later (never their secrets) and removes one: its URL then
/// refuses even a well-signed call. Another user sees and removes nothing.
#[tokio::test]
async fn hooks_are_listed_without_secrets_and_a_removed_one_refuses_calls() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = generated_project(&app, &user, json!({})).await;
    let (first, first_secret) = hook(&app, &user, &project).await;
    let (second, _) = hook(&app, &user, &project).await;
    let listed = app
        .call(
            Method::GET,
            &format!("/projects/{project}/hooks"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.as_str(), second.as_str()], "oldest first");
    assert_eq!(listed.body["items"][0]["url"], format!("/hooks/{first}"));
    assert!(!listed.body.to_string().contains(&first_secret), "{}", listed.body);
    assert!(listed.body["items"][0].get("secret").is_none());

    let stranger = app.register().await;
    for (method, path) in [
        (Method::GET, format!("/projects/{project}/hooks")),
        (Method::DELETE, format!("/hooks/{first}")),
    ] {
        let theirs = app.call(method, &path, Some(&stranger.token), None).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{path}");
    }

    let removed = app
        .call(Method::DELETE, &format!("/hooks/{first}"), Some(&user.token), None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    let body = r#"{"after":"removal"}"#;
    let signature = forgeflow_domain::webhook::sign(first_secret.as_bytes(), Utc::now().timestamp(), body.as_bytes());
    assert_eq!(
        deliver(&app, &first, body, &signature).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(exports_of(&app, &user, &project).await.is_empty(), "nothing enqueued");
    let again = app
        .call(Method::DELETE, &format!("/hooks/{first}"), Some(&user.token), None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let left = app
        .call(
            Method::GET,
            &format!("/projects/{project}/hooks"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(left.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(left.body["items"][0]["id"], second.as_str());
}

/// A delivered request, re-sent with its header spelled another way or carrying another
/// secret's signature too, is the same delivery: refused, and nothing more is enqueued.
#[tokio::test]
async fn a_webhook_replay_is_refused_however_its_header_is_spelled() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = generated_project(&app, &user, json!({})).await;
    let (id, secret) = hook(&app, &user, &project).await;
    let body = r#"{"pipeline":"nightly"}"#;
    let now = Utc::now().timestamp();
    let signature = forgeflow_domain::webhook::sign(secret.as_bytes(), now, body.as_bytes());
    let v1 = signature.split_once(",v1=").unwrap().1.to_owned();
    let first = deliver(&app, &id, body, &signature).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.body);

    let other = forgeflow_domain::webhook::sign(b"another-secret", now, body.as_bytes());
    let other_v1 = other.split_once(",v1=").unwrap().1.to_owned();
    let respelled = [
        format!("t={now},v1={v1},v1={v1}"),
        format!("v1={v1},t={now}"),
        format!("t={now}, v1={v1}"),
        format!("t={now},v1={}", v1.to_uppercase()),
        format!("t=0{now},v1={v1}"),
        format!("t={now},v0=x,v1={v1}"),
        format!("t={now},v1={v1},v1={other_v1}"),
        format!("t={now},v1={other_v1},v1={v1}"),
    ];
    for header in respelled {
        let response = deliver(&app, &id, body, &header).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{header}: {}", response.body);
    }
    assert_eq!(exports_of(&app, &user, &project).await.len(), 1);

    // After a rotation, the same signed content carrying both the old and the new `v1` is still
    // the request already served; new content signed with the new secret is served.
    let rotated = app
        .call(Method::POST, &format!("/hooks/{id}/rotate"), Some(&user.token), None)
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_secret = rotated.body["secret"].as_str().unwrap().as_bytes().to_vec();
    let sign_new = |at: i64| forgeflow_domain::webhook::sign(&new_secret, at, body.as_bytes());
    let new_v1 = sign_new(now).split_once(",v1=").unwrap().1.to_owned();
    for header in [
        format!("t={now},v1={v1},v1={new_v1}"),
        format!("t={now},v1={new_v1},v1={v1}"),
        format!("t={now},v1={new_v1}"),
    ] {
        let response = deliver(&app, &id, body, &header).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{header}: {}", response.body);
    }
    let old_only = forgeflow_domain::webhook::sign(secret.as_bytes(), now + 1, body.as_bytes());
    assert_eq!(
        deliver(&app, &id, body, &old_only).await.status,
        StatusCode::UNAUTHORIZED
    );
    let fresh = deliver(&app, &id, body, &sign_new(now + 2)).await;
    assert_eq!(fresh.status, StatusCode::ACCEPTED, "{}", fresh.body);
}

/// The documented body limit holds for the webhook too, signed or not.
#[tokio::test]
async fn a_signed_webhook_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = generated_project(&app, &user, json!({})).await;
    let (id, secret) = hook(&app, &user, &project).await;
    let body = format!(
        r#"{{"padding":"{}"}}"#,
        "x".repeat(forgeflow_api::request::MAX_BODY_BYTES)
    );
    let now = Utc::now().timestamp();
    let signature = forgeflow_domain::webhook::sign(secret.as_bytes(), now, body.as_bytes());
    let response = deliver(&app, &id, &body, &signature).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", response.body);
    assert_eq!(response.body["error"]["field"], "body");
    assert!(exports_of(&app, &user, &project).await.is_empty());
}

/// Everything under `prefix` in the artifacts bucket.
async fn objects_under(app: &TestApp, prefix: &str) -> Vec<String> {
    let listed = app
        .context
        .clients
        .s3
        .list_objects_v2()
        .bucket(&app.stack.bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

/// Rows in the table whose `attribute` is `value` (a `gsi1` partition or a base-table one).
async fn rows_where(app: &TestApp, index: Option<&str>, attribute: &str, value: &str) -> usize {
    let query = app
        .context
        .clients
        .dynamo
        .query()
        .table_name(&app.stack.table)
        .set_index_name(index.map(str::to_owned))
        .key_condition_expression("#k = :v")
        .expression_attribute_names("#k", attribute)
        .expression_attribute_values(":v", aws_sdk_dynamodb::types::AttributeValue::S(value.to_owned()));
    query.send().await.unwrap().items().len()
}

/// The project's newest generation, as `GET /projects/{id}/generations` lists it.
async fn newest_generation(app: &TestApp, user: &User, project: &str) -> Value {
    let listed = app
        .call(
            Method::GET,
            &format!("/projects/{project}/generations"),
            Some(&user.token),
            None,
        )
        .await;
    listed.body["items"][0].clone()
}

/// Deleting a project removes or disarms everything it owns: its rows, files, archives and git
/// history go, its hook and schedule stop at once, its pending jobs find nothing to do; the
/// audit log keeps its entries.
#[tokio::test]
async fn deleting_a_project_removes_and_disarms_everything_it_owns() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = generated_project(&app, &user, json!({})).await;
    let newest = newest_generation(&app, &user, &project).await;
    let generation = newest["id"].as_str().unwrap().to_owned();
    let execution = newest["execution_id"].as_str().unwrap().to_owned();
    let (hook_id, secret) = hook(&app, &user, &project).await;
    let body = r#"{"pipeline":"nightly"}"#;
    let signed = forgeflow_domain::webhook::sign(secret.as_bytes(), Utc::now().timestamp(), body.as_bytes());
    assert_eq!(
        deliver(&app, &hook_id, body, &signed).await.status,
        StatusCode::ACCEPTED
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while exports_of(&app, &user, &project)
        .await
        .first()
        .map(|e| e["status"].clone())
        != Some(json!("succeeded"))
    {
        assert!(std::time::Instant::now() < deadline, "the export never finished");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let export = exports_of(&app, &user, &project).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let set = put_schedule(
        &app,
        &user,
        &project,
        json!({"expression": "*/5 * * * *", "target": {"type": "zip"}}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let prefixes = [
        format!("executions/{execution}/"),
        format!("generations/{generation}/"),
        format!("exports/{export}/"),
        format!("projects/{project}/"),
    ];
    for prefix in &prefixes {
        assert!(
            !objects_under(&app, prefix).await.is_empty(),
            "{prefix} holds nothing to begin with"
        );
    }

    let deleted = app
        .call(Method::DELETE, &format!("/projects/{project}"), Some(&user.token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED, "{}", deleted.body);
    // Gone for the API at once; the hook and the schedule are dead at once.
    for path in [
        format!("/projects/{project}"),
        format!("/projects/{project}/generations"),
        format!("/projects/{project}/exports"),
        format!("/projects/{project}/export-schedule"),
    ] {
        let response = app.call(Method::GET, &path, Some(&user.token), None).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}: {}", response.body);
    }
    let again = forgeflow_domain::webhook::sign(secret.as_bytes(), Utc::now().timestamp() + 1, body.as_bytes());
    assert_eq!(
        deliver(&app, &hook_id, body, &again).await.status,
        StatusCode::UNAUTHORIZED
    );
    let scheduler = workers::scheduler(&app.context.clients, &app.stack.resources(), app.publisher());
    assert_eq!(
        tick(&scheduler, Utc::now() + Duration::hours(2))
            .await
            .unwrap()
            .enqueued,
        0
    );
    // Deleting again while it runs is accepted (and restarts a stalled deletion).
    let repeat = app
        .call(Method::DELETE, &format!("/projects/{project}"), Some(&user.token), None)
        .await;
    assert!(
        matches!(repeat.status, StatusCode::ACCEPTED | StatusCode::NOT_FOUND),
        "{}",
        repeat.body
    );

    app.wait_until_project_removed(&user, &project).await;
    for prefix in &prefixes {
        assert_eq!(objects_under(&app, prefix).await, Vec::<String>::new(), "{prefix}");
    }
    for kind in ["EXECUTIONS", "GENERATIONS", "EXPORTS", "HOOKS"] {
        let partition = format!("PROJECT#{project}#{kind}");
        assert_eq!(rows_where(&app, Some("gsi1"), "gsi1pk", &partition).await, 0, "{kind}");
    }
    assert_eq!(rows_where(&app, None, "pk", &format!("EXEC#{execution}")).await, 0);
    assert_eq!(rows_where(&app, None, "pk", &format!("REPO#{project}")).await, 0);
    assert_eq!(
        app.call(
            Method::GET,
            &format!("/generations/{generation}"),
            Some(&user.token),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let audit = app.call(Method::GET, "/audit?limit=100", Some(&user.token), None).await;
    let deletions = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "DELETE /projects/{id}")
        .count();
    assert!(deletions >= 1, "the audit log keeps the deletion: {}", audit.body);
}

/// What a project owns is reached by its own id too (`/generations/{id}`, `/exports/{id}`, a
/// run, a hook, their topics). Once the project is marked for deletion, and before the
/// project-deleter has reached any of it, every such route answers as for an id that never existed.
#[tokio::test]
async fn a_project_being_deleted_takes_everything_it_owns_out_of_the_api_at_once() {
    use forgeflow_tests::ws::WsClient;

    let app = spawn_app().await;
    let user = app.register().await;
    let project = generated_project(&app, &user, json!({})).await;
    let generation = newest_generation(&app, &user, &project).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let export = app
        .call(
            Method::POST,
            &format!("/generations/{generation}/exports"),
            Some(&user.token),
            Some(json!({"target": {"type": "zip"}})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (hook_id, _) = hook(&app, &user, &project).await;
    let routes = [
        (Method::GET, format!("/executions/{generation}")),
        (Method::GET, format!("/executions/{generation}/events")),
        (Method::POST, format!("/executions/{generation}/retry")),
        (Method::GET, format!("/generations/{generation}")),
        (Method::GET, format!("/generations/{generation}/files/README.md")),
        (
            Method::GET,
            format!("/generations/{generation}/diff?against={generation}"),
        ),
        (Method::POST, format!("/generations/{generation}/exports")),
        (Method::GET, format!("/exports/{export}")),
        (Method::POST, format!("/hooks/{hook_id}/rotate")),
        (Method::DELETE, format!("/hooks/{hook_id}")),
    ];
    let reads = |method: &Method| *method == Method::GET;
    for (method, path) in routes.iter().filter(|(method, _)| reads(method)) {
        let response = app.call(method.clone(), path, Some(&user.token), None).await;
        assert!(response.status.is_success(), "{path} before: {}", response.body);
    }

    // Marked as DELETE marks it, with no deletion job queued: nothing is removed yet.
    let owner = user.id.parse().unwrap();
    app.context
        .projects
        .mark_deleting(owner, project.parse().unwrap(), Utc::now())
        .await
        .unwrap();
    for (method, path) in &routes {
        let body = (*method == Method::POST && path.ends_with("/exports")).then(|| json!({"target": {"type": "zip"}}));
        let response = app.call(method.clone(), path, Some(&user.token), body).await;
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            response.body
        );
    }
    let mut socket = WsClient::connect(&app.gateway.ws_url(), &user.token)
        .await
        .expect("handshake");
    for topic in [
        format!("execution:{generation}"),
        format!("generation:{generation}"),
        format!("export:{export}"),
        format!("project:{project}"),
    ] {
        socket.subscribe(&topic, 0).await;
        let frame = socket.next(std::time::Duration::from_secs(5)).await.expect("an answer");
        assert_eq!(frame["type"], "error", "{topic}: {frame}");
        assert_eq!(frame["code"], "not_found", "{topic}: {frame}");
    }
    assert!(
        !objects_under(&app, &format!("generations/{generation}/"))
            .await
            .is_empty(),
        "the files are still there: only the API stopped serving them"
    );
}

/// `DELETE /projects/{project}` (202), and the job it queued with a project-deleter to run it by
/// hand (the tests that call this run no workers).
async fn deletion_started(
    app: &TestApp,
    user: &User,
    project: &str,
) -> (
    forgeflow_domain::project::DeletionJob,
    forgeflow_workers::deletion::ProjectDeleter,
) {
    let deleted = app
        .call(Method::DELETE, &format!("/projects/{project}"), Some(&user.token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED, "{}", deleted.body);
    let job = forgeflow_domain::project::DeletionJob {
        project_id: project.parse().unwrap(),
        owner: user.id.parse().unwrap(),
    };
    let deleter =
        forgeflow_workers::deletion::ProjectDeleter::from_clients(&app.context.clients, &app.stack.resources());
    (job, deleter)
}

/// A worker that took a step just before the project was marked may still be writing its
/// output: the deletion waits for it (the step is held under a live lease) instead of finishing
/// first and leaving what the worker writes next behind. A step taken after the mark never runs.
#[tokio::test]
async fn a_deletion_waits_for_the_work_in_flight_and_nothing_starts_after_it() {
    use forgeflow_domain::execution::StepStatus;
    use forgeflow_workers::batch::JobError;

    let app = forgeflow_tests::spawn_app_with(forgeflow_tests::Options {
        workers: false,
        ..forgeflow_tests::Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "In flight").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let executions = &app.context.engine.executions;
    let root = |runs: &std::collections::BTreeMap<String, forgeflow_domain::execution::StepRun>| {
        let queued = runs.values().find(|run| run.status == StepStatus::Queued);
        queued.expect("a root step is queued").step_id.clone()
    };
    let execution = app.start_execution(&user, &project, None).await.parse().unwrap();
    let first = root(&executions.load(execution).await.unwrap().unwrap().1);
    let later = app.start_execution(&user, &project, None).await.parse().unwrap();
    let second = root(&executions.load(later).await.unwrap().unwrap().1);
    // A worker took the first run's step a moment before the deletion; its lease runs as long
    // as its invocation.
    executions
        .start_step(execution, &first, Utc::now(), Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    let (job, deleter) = deletion_started(&app, &user, &project).await;

    // The other run's step, delivered now, sees the mark once it holds the step and stops.
    let job_json = json!({"execution_id": later.to_string(), "step_id": second}).to_string();
    let response = forgeflow_workers::step::handler(
        &app.step_worker,
        forgeflow_tests::sqs_batch([job_json]),
        Utc::now() + Duration::minutes(5),
    )
    .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let (_, runs) = executions.load(later).await.unwrap().unwrap();
    assert_eq!(runs[&second].status, StepStatus::Cancelled);
    assert!(runs[&second].output_key.is_none(), "it never ran");

    // A few seconds of invocation left: the deletion waits, then hands over to the next delivery.
    let short = Utc::now() + Duration::seconds(63);
    let waited = forgeflow_workers::deletion::delete(&deleter, &job, short).await;
    assert!(matches!(waited, Err(JobError::Retryable(_))), "{waited:?}");
    assert!(
        executions.load(execution).await.unwrap().is_some(),
        "the held run is left"
    );
    assert!(
        app.context
            .projects
            .get_any(job.owner, job.project_id)
            .await
            .unwrap()
            .is_some()
    );

    // The first worker ends; the next delivery finishes the deletion.
    executions
        .transition_step(execution, &first, &[StepStatus::Running], StepStatus::Cancelled)
        .await
        .unwrap();
    forgeflow_workers::deletion::delete(&deleter, &job, Utc::now() + Duration::minutes(5))
        .await
        .unwrap();
    for run in [execution, later] {
        assert!(executions.load(run).await.unwrap().is_none());
        assert!(objects_under(&app, &format!("executions/{run}/")).await.is_empty());
    }
    assert!(
        app.context
            .projects
            .get_any(job.owner, job.project_id)
            .await
            .unwrap()
            .is_none()
    );
}

/// A deletion is resumable: one cut short by its invocation's deadline leaves the project
/// marked, and the next delivery finishes it; a duplicate delivery after that is harmless.
#[tokio::test]
async fn a_deletion_cut_short_is_finished_by_the_next_delivery() {
    let app = forgeflow_tests::spawn_app_with(forgeflow_tests::Options {
        workers: false,
        ..forgeflow_tests::Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Cut short").await;
    let id = project["id"].as_str().unwrap();
    let (job, deleter) = deletion_started(&app, &user, id).await;
    let late = forgeflow_workers::deletion::delete(&deleter, &job, Utc::now()).await;
    assert!(
        matches!(late, Err(forgeflow_workers::batch::JobError::Retryable(_))),
        "{late:?}"
    );
    assert!(
        app.context
            .projects
            .get_any(job.owner, job.project_id)
            .await
            .unwrap()
            .is_some()
    );
    let in_time = Utc::now() + Duration::minutes(5);
    forgeflow_workers::deletion::delete(&deleter, &job, in_time)
        .await
        .unwrap();
    assert!(
        app.context
            .projects
            .get_any(job.owner, job.project_id)
            .await
            .unwrap()
            .is_none()
    );
    forgeflow_workers::deletion::delete(&deleter, &job, in_time)
        .await
        .unwrap();

    // A stray job for a live project deletes nothing.
    let live = app.create_project(&user, "Alive").await;
    let stray = forgeflow_domain::project::DeletionJob {
        project_id: live["id"].as_str().unwrap().parse().unwrap(),
        owner: job.owner,
    };
    let refused = forgeflow_workers::deletion::delete(&deleter, &stray, in_time).await;
    assert!(
        matches!(refused, Err(forgeflow_workers::batch::JobError::Final(_))),
        "{refused:?}"
    );
    assert!(
        app.context
            .projects
            .get(stray.owner, stray.project_id)
            .await
            .unwrap()
            .is_some()
    );
}

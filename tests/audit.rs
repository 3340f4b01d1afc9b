//! Rate limits (429 with Retry-After, recovery after the window) and the audit log (an entry per
//! successful change, each user seeing only their own).

use std::time::Duration;

use forgeflow_api::guard::RateLimits;
use forgeflow_domain::rate_limit::RateLimit;
use forgeflow_tests::{Options, spawn_app_with, unique_email};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn limits(per_user: u64, auth_per_ip: u64, window_s: u64) -> RateLimits {
    RateLimits {
        per_user: RateLimit {
            limit: per_user,
            window_s,
        },
        auth_per_ip: RateLimit {
            limit: auth_per_ip,
            window_s,
        },
        ws_per_connection: RateLimit {
            limit: 1_000_000,
            window_s,
        },
        ws_per_user: RateLimit {
            limit: 1_000_000,
            window_s,
        },
    }
}

/// A counter that cannot be reached lets requests through: the limit protects the service, and
/// an outage of the counter must not become one of the service.
#[tokio::test]
async fn an_unreachable_rate_counter_lets_requests_through() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    // A limit of 0 refuses every request the counter sees; an unreachable counter sees none.
    for (table, status) in [("no-such-table", 200), (app.stack.table.as_str(), 429)] {
        let context = app.context_counting_in(table, limits(0, 0, 60)).await;
        let request = lambda_http::http::Request::builder()
            .uri("/me")
            .header("authorization", format!("Bearer {}", user.token))
            .body(lambda_http::Body::Empty)
            .unwrap();
        let response = forgeflow_api::guarded(&context, request, |req| {
            forgeflow_api_lambda::http("auth-me", &context, req)
        })
        .await;
        assert_eq!(response.status(), status, "counters in {table}: {:?}", response.body());
    }
}

#[tokio::test]
async fn a_user_over_the_limit_gets_429_with_retry_after_then_recovers() {
    let app = spawn_app_with(Options {
        workers: false,
        rate_limits: limits(5, 1_000, 2),
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let other = app.register().await;
    // Start at a fresh window so all five fit in it.
    let now = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(
        2_000 - (now.timestamp_millis() % 2_000) as u64 + 50,
    ))
    .await;
    for _ in 0..5 {
        let response = app.call(Method::GET, "/me", Some(&user.token), None).await;
        assert_eq!(response.status, StatusCode::OK);
    }
    let refused = app.call(Method::GET, "/me", Some(&user.token), None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "rate_limited");
    let retry_after: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    // Another user is counted apart.
    assert_eq!(
        app.call(Method::GET, "/me", Some(&other.token), None).await.status,
        StatusCode::OK
    );
    // A refused change changes nothing and leaves no audit entry.
    let refused = app
        .call(
            Method::POST,
            "/projects",
            Some(&user.token),
            Some(json!({"name": "Refused", "brief": "A brief that is long enough to pass.", "template": "rust-axum"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let response = app.call(Method::GET, "/projects", Some(&user.token), None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(
        response.body["items"].as_array().unwrap().len(),
        0,
        "the refused create wrote a project"
    );
}

#[tokio::test]
async fn login_attempts_are_limited_per_address() {
    let app = spawn_app_with(Options {
        workers: false,
        rate_limits: limits(1_000, 3, 60),
        ..Options::default()
    })
    .await;
    let email = unique_email();
    let body = json!({"email": email, "password": "correct horse battery staple"});
    assert_eq!(
        app.call(Method::POST, "/auth/register", None, Some(body.clone()))
            .await
            .status,
        StatusCode::CREATED
    );
    let wrong = json!({"email": email, "password": "wrong password guess"});
    for _ in 0..2 {
        let response = app.call(Method::POST, "/auth/login", None, Some(wrong.clone())).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    }
    // The right password too: the address has used its attempts.
    let response = app.call(Method::POST, "/auth/login", None, Some(body)).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn every_change_is_audited_and_users_see_only_their_own() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let alice = app.register().await;
    let bob = app.register().await;
    let login = json!({"email": alice.email, "password": "correct horse battery"});
    let session = app.call(Method::POST, "/auth/login", None, Some(login)).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    let project = app.create_project(&alice, "Audited").await;
    let id = project["id"].as_str().unwrap();
    let renamed = app
        .call(
            Method::PATCH,
            &format!("/projects/{id}"),
            Some(&alice.token),
            Some(json!({"version": 1, "name": "Renamed"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    // Refused and read-only calls leave no entry.
    let refused = app
        .call(
            Method::PATCH,
            &format!("/projects/{id}"),
            Some(&alice.token),
            Some(json!({"version": 1, "name": "Stale"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    app.call(Method::GET, &format!("/projects/{id}"), Some(&alice.token), None)
        .await;
    let deleted = app
        .call(Method::DELETE, &format!("/projects/{id}"), Some(&alice.token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED);

    let page = app.call(Method::GET, "/audit?limit=2", Some(&alice.token), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let mut entries = page.body["items"].as_array().unwrap().clone();
    let cursor = page.body["next_cursor"].as_str().expect("a second page").to_owned();
    let rest = app
        .call(
            Method::GET,
            &format!("/audit?limit=10&cursor={cursor}"),
            Some(&alice.token),
            None,
        )
        .await;
    entries.extend(rest.body["items"].as_array().unwrap().clone());
    assert!(rest.body["next_cursor"].is_null());
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "DELETE /projects/{id}",
            "PATCH /projects/{id}",
            "POST /projects",
            "POST /auth/login",
            "POST /auth/register"
        ]
    );
    for entry in &entries {
        assert_eq!(entry["user_id"], alice.id.as_str());
        assert!(!entry["request_id"].as_str().unwrap().is_empty());
        assert!(entry["at"].is_string());
    }
    assert_eq!(entries[0]["path"], format!("/projects/{id}"));
    assert_eq!(entries[0]["status"], 202);

    // Bob sees his own registration and nothing of Alice's.
    let bobs = app.call(Method::GET, "/audit", Some(&bob.token), None).await;
    let bob_entries = bobs.body["items"].as_array().unwrap();
    assert_eq!(bob_entries.len(), 1, "{bob_entries:?}");
    assert_eq!(bob_entries[0]["action"], "POST /auth/register");
    assert!(bob_entries.iter().all(|e| e["user_id"] == bob.id.as_str()));
    assert_eq!(
        app.call(Method::GET, "/audit", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let bad = app
        .call(Method::GET, "/audit?cursor=forged", Some(&bob.token), None)
        .await;
    assert_eq!(bad.body["error"]["field"], "cursor");
}

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use aws_sdk_dynamodb::types::AttributeValue;
use forgeflow_domain::credential::Forge;
use forgeflow_tests::{Options, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::json;

const TOKEN: &str = "ghp_ThisIsAVerySecretTokenValue1234567890";

/// Everything this test binary logs, as the JSON lines a Lambda would print.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber per test binary");
        logs
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_token_is_stored_encrypted_and_never_returned_or_logged() {
    let logs = captured_logs();
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let put = app
        .call(
            Method::PUT,
            "/credentials/github",
            Some(&user.token),
            Some(json!({"token": TOKEN})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["set"], true);
    let get = app
        .call(Method::GET, "/credentials/github", Some(&user.token), None)
        .await;
    assert_eq!(get.body["set"], true);
    let gitlab = app
        .call(Method::GET, "/credentials/gitlab", Some(&user.token), None)
        .await;
    assert_eq!(gitlab.body["set"], false);
    for body in [&put.body, &get.body] {
        assert!(!body.to_string().contains("ThisIsAVerySecret"), "{body}");
    }

    let item = app
        .context
        .clients
        .dynamo
        .get_item()
        .table_name(&app.stack.table)
        .key("pk", AttributeValue::S(format!("USER#{}", user.id)))
        .key("sk", AttributeValue::S("CREDENTIAL#github".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("a credential row");
    let stored = format!("{item:?}");
    assert!(
        !stored.contains("ThisIsAVerySecret"),
        "the row holds only ciphertext: {stored}"
    );

    let revealed = app
        .context
        .credentials
        .reveal(user.id.parse().unwrap(), Forge::Github)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revealed.expose(), TOKEN, "the export-worker can decrypt it");

    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(text.contains("credential stored"), "the store is logged: {text}");
    assert!(!text.contains("ThisIsAVerySecret"), "but never the token");
}

#[tokio::test]
async fn a_credential_can_be_deleted_once_and_is_private_to_its_owner() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let owner = app.register().await;
    let stranger = app.register().await;
    app.call(
        Method::PUT,
        "/credentials/gitlab",
        Some(&owner.token),
        Some(json!({"token": "glpat-abcdef"})),
    )
    .await;
    let theirs = app
        .call(Method::GET, "/credentials/gitlab", Some(&stranger.token), None)
        .await;
    assert_eq!(theirs.body["set"], false);
    let deleted = app
        .call(Method::DELETE, "/credentials/gitlab", Some(&owner.token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = app
        .call(Method::DELETE, "/credentials/gitlab", Some(&owner.token), None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.call(Method::GET, "/credentials/gitlab", Some(&owner.token), None)
            .await
            .body["set"],
        false
    );
}

#[tokio::test]
async fn bad_credential_requests_name_the_field() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let cases = [
        ("/credentials/bitbucket", json!({"token": "x"}), "provider"),
        ("/credentials/github", json!({"token": ""}), "token"),
        ("/credentials/github", json!({"token": "two words"}), "token"),
        ("/credentials/github", json!({"secret": "x"}), "secret"),
    ];
    for (path, body, field) in cases {
        let response = app.call(Method::PUT, path, Some(&user.token), Some(body.clone())).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{path} {body}");
        assert_eq!(response.error_field(), field, "{path} {body}: {}", response.body);
        assert!(!response.body.to_string().contains("two words"));
    }
}

#[tokio::test]
async fn an_ai_providers_key_shows_its_settings_but_never_itself() {
    let logs = captured_logs();
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let key = "sk-proj-MyOwnVerySecretOpenAiKey0042";
    let put = app
        .call(
            Method::PUT,
            "/credentials/openai",
            Some(&user.token),
            Some(json!({"token": key, "base_url": "https://openrouter.ai/api/v1/", "models": ["openai/gpt-4o-mini"]})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let get = app
        .call(Method::GET, "/credentials/openai", Some(&user.token), None)
        .await;
    for body in [&put.body, &get.body] {
        assert_eq!(body["provider"], "openai");
        assert_eq!(body["set"], true);
        assert_eq!(body["base_url"], "https://openrouter.ai/api/v1");
        assert_eq!(body["models"], json!(["openai/gpt-4o-mini"]));
        assert!(!body.to_string().contains("VerySecret"), "{body}");
    }
    let anthropic = app
        .call(Method::GET, "/credentials/anthropic", Some(&user.token), None)
        .await;
    assert_eq!(anthropic.body["set"], false);
    assert!(anthropic.body.get("base_url").is_none(), "{}", anthropic.body);

    for (path, body, field) in [
        (
            "/credentials/openai",
            json!({"token": key, "base_url": "file:///etc/passwd"}),
            "base_url",
        ),
        ("/credentials/openai", json!({"token": key, "models": []}), "models"),
        (
            "/credentials/anthropic",
            json!({"token": key, "base_url": "https://api.example.com"}),
            "base_url",
        ),
        (
            "/credentials/github",
            json!({"token": key, "models": ["gpt-4o"]}),
            "models",
        ),
        ("/credentials/ollama", json!({"token": key}), "provider"),
    ] {
        let refused = app.call(Method::PUT, path, Some(&user.token), Some(body)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{path}: {}", refused.body);
        assert_eq!(refused.error_field(), field, "{path}: {}", refused.body);
        assert!(!refused.body.to_string().contains("VerySecret"), "{}", refused.body);
    }
    let still = app
        .call(Method::GET, "/credentials/openai", Some(&user.token), None)
        .await;
    assert_eq!(
        still.body["base_url"], "https://openrouter.ai/api/v1",
        "a refused PUT changes nothing"
    );

    let item = app
        .context
        .clients
        .dynamo
        .get_item()
        .table_name(&app.stack.table)
        .key("pk", AttributeValue::S(format!("USER#{}", user.id)))
        .key("sk", AttributeValue::S("CREDENTIAL#openai".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("a credential row");
    assert!(!format!("{item:?}").contains("VerySecret"), "only ciphertext is stored");
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(!text.contains("VerySecret"), "never logged");
}

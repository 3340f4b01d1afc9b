//! One `spawn_app` per test: its own table, bucket, queues and secret in the test binary's moto,
//! and its own gateway on a free port, so tests run in parallel without sharing state.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use forgeflow_api::ApiContext;
use forgeflow_api::context::SecretSource;
use forgeflow_local::{Gateway, Moto, Stack, bootstrap, moto};
use forgeflow_store::Clients;
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The emulator shared by the tests of this binary, started on first use.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| Moto::start().expect("moto starts (run `make setup` if it is not installed)"))
}

pub struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    pub context: Arc<ApiContext>,
    pub stack: Stack,
    /// The JWT signing key, read back from Secrets Manager, for tests that forge tokens.
    pub jwt_secret: String,
    _gateway: Gateway,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestResponse {
    /// The `field` of an error body.
    pub fn error_field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or("<none>")
    }

    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("<none>")
    }
}

/// A signed-in test user.
pub struct User {
    pub id: String,
    pub email: String,
    pub token: String,
}

pub async fn spawn_app() -> TestApp {
    let endpoint = moto().endpoint().to_owned();
    let clients = Clients::from_sdk_config(&moto::sdk_config(&endpoint).await);
    let prefix = format!("t{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let stack = bootstrap(&clients, &prefix).await.expect("bootstrap");
    let secret_id = stack.secrets["jwt"].clone();
    let jwt_secret = clients
        .secrets
        .get_secret_value()
        .secret_id(&secret_id)
        .send()
        .await
        .expect("jwt secret exists")
        .secret_string
        .expect("string secret");
    let context = ApiContext::load(clients, stack.resources(), SecretSource::SecretsManager(secret_id))
        .await
        .expect("context");
    let context = Arc::new(context);
    let gateway = Gateway::start(context.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("gateway");
    TestApp {
        url: gateway.url(),
        http: reqwest::Client::new(),
        context,
        stack,
        jwt_secret,
        _gateway: gateway,
    }
}

pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::now_v7().simple())
}

impl TestApp {
    /// Sends a request; `body` is sent as JSON when it is a value.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> TestResponse {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// Sends a prepared request (for raw bodies, odd headers).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> TestResponse {
        let response = request.send().await.expect("request reaches the gateway");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        TestResponse { status, headers, body }
    }

    pub fn raw(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    pub async fn register(&self) -> User {
        let email = unique_email();
        let response = self
            .call(
                Method::POST,
                "/auth/register",
                None,
                Some(json!({"email": email, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "register: {}", response.body);
        User {
            id: response.body["user"]["id"].as_str().expect("user id").to_owned(),
            email,
            token: response.body["token"].as_str().expect("token").to_owned(),
        }
    }

    pub async fn create_project(&self, user: &User, name: &str) -> Value {
        let response = self
            .call(
                Method::POST,
                "/projects",
                Some(&user.token),
                Some(json!({"name": name, "brief": "A small web service that tracks book loans."})),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::CREATED,
            "create project: {}",
            response.body
        );
        response.body
    }
}

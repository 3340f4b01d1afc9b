//! One `spawn_app` per test: its own table, bucket, queues and secret in the test binary's moto,
//! and its own gateway on a free port, so tests run in parallel without sharing state.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use forgeflow_agents::{Agents, AgentsConfig};
use forgeflow_api::ApiContext;
use forgeflow_api::context::SecretSource;
use forgeflow_api::guard::RateLimits;
use forgeflow_domain::rate_limit::RateLimit;
use forgeflow_local::functions::ApiFunctions;
use forgeflow_local::principals::{self, Principals};
use forgeflow_local::workers::{self, WorkerSettings, Workers};
use forgeflow_local::{Gateway, Moto, Stack, bootstrap, iam};
use forgeflow_store::Clients;
use forgeflow_workers::keys::ProviderKeys;
use forgeflow_workers::step::StepWorker;
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The emulator shared by the tests of this binary, started on first use.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| Moto::start().expect("moto starts (run `make setup` if it is not installed)"))
}

/// How a test wants its stack.
pub struct Options {
    /// Run the SQS workers (as Lambda's event source mapping would).
    pub workers: bool,
    /// AI providers; the default is the offline one.
    pub ai: AgentsConfig,
    /// Seconds before a failed record is delivered again (short, so tests see redeliveries).
    pub visibility_timeout: Option<i32>,
    /// Where the export-worker finds GitHub and GitLab.
    pub forges: forgeflow_workers::export::ForgeSettings,
    /// Rate limits; tests that do not test them get limits they cannot reach.
    pub rate_limits: RateLimits,
    /// Run every function as its own processes (the debug `forgeflow-api` and worker binaries
    /// behind the Runtime API), as `make run` does, instead of in this process.
    pub processes: bool,
}

impl Default for Options {
    fn default() -> Self {
        let unreachable = RateLimit {
            limit: 1_000_000,
            window_s: 60,
        };
        Self {
            workers: true,
            ai: AgentsConfig::default(),
            visibility_timeout: Some(2),
            forges: Default::default(),
            rate_limits: RateLimits {
                per_user: unreachable,
                auth_per_ip: unreachable,
                ws_per_connection: unreachable,
                ws_per_user: unreachable,
            },
            processes: false,
        }
    }
}

pub struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    pub context: Arc<ApiContext>,
    pub stack: Stack,
    /// The JWT signing key, read back from Secrets Manager, for tests that forge tokens.
    pub jwt_secret: String,
    /// The step-worker, for tests that deliver messages themselves.
    pub step_worker: Arc<StepWorker>,
    ai: AgentsConfig,
    settings: WorkerSettings,
    workers: Option<Workers>,
    /// The workers as processes (`Options::processes`); dropping them stops their event sources.
    _worker_processes: Option<forgeflow_local::worker_processes::WorkerProcesses>,
    pub gateway: Gateway,
    /// The stack's resource prefix.
    pub prefix: String,
    /// Every function's role, assumed on first use.
    roles: tokio::sync::OnceCell<Principals>,
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

/// The step `id` of an execution's view.
pub fn step<'a>(execution: &'a Value, id: &str) -> &'a Value {
    execution["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["id"] == id))
        .unwrap_or_else(|| panic!("no step {id} in {execution}"))
}

/// A signed-in test user.
pub struct User {
    pub id: String,
    pub email: String,
    pub token: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let clients = Clients::from_sdk_config(&moto().sdk_config().await);
    let prefix = format!("t{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    // The harness's provider keys become the deployment's, in its secrets, as in AWS.
    let deployment_key = |name: &str| {
        let config = match name {
            "FORGEFLOW_OPENAI_API_KEY" => &options.ai.openai,
            "FORGEFLOW_ANTHROPIC_API_KEY" => &options.ai.anthropic,
            _ => return None,
        };
        config.api_key.as_ref().map(|key| key.expose().to_owned())
    };
    let stack = bootstrap(&clients, &prefix, &deployment_key).await.expect("bootstrap");
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
    let mut context = ApiContext::load(
        clients.clone(),
        stack.resources(),
        SecretSource::SecretsManager(secret_id),
    )
    .await
    .expect("context");
    context.rate_limits = options.rate_limits;
    let bound = Gateway::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("gateway");
    let context = Arc::new(context.with_ws_endpoint(&bound.url()));
    // `@connections` checks SigV4 against the principals it knows: the admin the in-process side
    // signs as, and each role as it is created.
    let keys = bound.keys().clone();
    keys.trust_config(&moto().sdk_config().await).await;
    let roles = tokio::sync::OnceCell::new();
    let gateway = if options.processes {
        let env = lambda::process_environment(&stack, &bound.url(), &options);
        let binary = lambda::debug_binary("forgeflow-api");
        let principals = roles.get_or_init(|| create_principals(&stack, &prefix, &keys)).await;
        let functions = ApiFunctions::new(&binary, &env, principals);
        bound.serve_functions(context.clone(), Arc::new(functions))
    } else {
        bound.serve(context.clone())
    };
    let settings = WorkerSettings {
        visibility_timeout: options.visibility_timeout,
        forges: options.forges.clone(),
        tick_every: None,
        ws_endpoint: Some(gateway.url()),
    };
    let worker_processes = if options.processes && options.workers {
        let env = lambda::process_environment(&stack, &gateway.url(), &options);
        let step = lambda::debug_binary("step-worker");
        let binaries = step.parent().expect("target/<profile>").to_path_buf();
        let principals = roles.get_or_init(|| create_principals(&stack, &prefix, &keys)).await;
        Some(forgeflow_local::worker_processes::start(
            &clients,
            &stack,
            &binaries,
            &env,
            principals,
            options.visibility_timeout,
            None,
        ))
    } else {
        None
    };
    let (step_worker, workers) = if options.workers && !options.processes {
        let workers = workers::start(&clients, &stack, Agents::new(options.ai.clone()), &settings).await;
        (workers.step.clone(), Some(workers))
    } else {
        let engine = forgeflow_store::engine::engine(&clients, &stack.resources());
        let publisher = settings.publisher(&clients, &stack.resources());
        (
            Arc::new(StepWorker::new(
                engine,
                Agents::new(options.ai.clone()),
                ProviderKeys::from_clients(&clients, &stack.resources()),
                publisher,
            )),
            None,
        )
    };
    TestApp {
        url: gateway.url(),
        http: reqwest::Client::new(),
        context,
        stack,
        jwt_secret,
        step_worker,
        ai: options.ai,
        settings,
        workers,
        _worker_processes: worker_processes,
        gateway,
        prefix,
        roles,
    }
}

/// Every function's role on `stack`, assumed (`forgeflow-local` does the same in process mode).
async fn create_principals(stack: &Stack, prefix: &str, keys: &forgeflow_local::sigv4::Keys) -> Principals {
    let principals = principals::create(&moto().sdk_config().await, stack, prefix, &iam::roles())
        .await
        .expect("function roles");
    keys.trust_principals(&principals);
    principals
}

/// An SQS batch as Lambda receives it: one first-delivery record per body, each its own message.
pub fn sqs_batch<B: Into<String>>(bodies: impl IntoIterator<Item = B>) -> aws_lambda_events::sqs::SqsEvent {
    let records: Vec<Value> = bodies
        .into_iter()
        .map(|body| {
            serde_json::json!({
                "messageId": uuid::Uuid::now_v7().to_string(), "receiptHandle": "r", "body": body.into(),
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": records })).expect("an SQS event")
}

pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::now_v7().simple())
}

impl TestApp {
    /// Every function's role session on this stack (created the first time it is asked for).
    pub async fn principals(&self) -> &Principals {
        self.roles
            .get_or_init(|| create_principals(&self.stack, &self.prefix, self.gateway.keys()))
            .await
    }

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

    /// Every page of a listing, following `next_cursor` from `path` (which carries its own
    /// `?limit=`): each page's items, each page checked to fit a Lambda response (6 MB).
    pub async fn pages(&self, user: &User, path: &str) -> Vec<Vec<Value>> {
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(cursor) => format!("{path}&cursor={cursor}"),
                None => path.to_owned(),
            };
            let response = self
                .raw(Method::GET, &url)
                .bearer_auth(&user.token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{url}");
            let bytes = response.bytes().await.unwrap();
            assert!(
                bytes.len() < 6_000_000,
                "page {} of {path} is {} bytes",
                pages.len(),
                bytes.len()
            );
            let page: Value = serde_json::from_slice(&bytes).unwrap();
            pages.push(page["items"].as_array().unwrap().clone());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return pages,
            }
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

impl TestApp {
    /// The running workers (the app must have been spawned with them).
    pub fn workers(&self) -> &Workers {
        self.workers.as_ref().expect("spawned with workers")
    }

    /// The generate-worker, built as its Lambda builds it (also for apps without pollers).
    pub fn workers_generate(&self) -> forgeflow_workers::generate::GenerateWorker {
        let resources = self.stack.resources();
        let publisher = self.settings.publisher(&self.context.clients, &resources);
        forgeflow_workers::generate::GenerateWorker::from_clients(&self.context.clients, &resources, publisher)
    }

    /// A context on this stack with `limits`, counting in `counters_table` (a missing table makes
    /// every counter unreachable).
    pub async fn context_counting_in(&self, counters_table: &str, limits: RateLimits) -> ApiContext {
        let mut context = ApiContext::load(
            self.context.clients.clone(),
            self.stack.resources(),
            SecretSource::Value(self.jwt_secret.clone()),
        )
        .await
        .expect("context");
        context.rate_counters = forgeflow_store::RateCounters::new(self.context.clients.dynamo.clone(), counters_table);
        context.rate_limits = limits;
        context
    }

    /// Waits (up to a minute) for the project-deleter to remove `project`'s row.
    pub async fn wait_until_project_removed(&self, user: &User, project: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let (owner, id) = (user.id.parse().expect("user id"), project.parse().expect("project id"));
        while self.context.projects.get_any(owner, id).await.expect("read").is_some() {
            assert!(std::time::Instant::now() < deadline, "the project was never removed");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// The export-worker, built as its Lambda builds it (also for apps without pollers).
    pub fn workers_export(&self) -> forgeflow_workers::export::ExportWorker {
        let resources = self.stack.resources();
        let publisher = self.settings.publisher(&self.context.clients, &resources);
        forgeflow_workers::export::ExportWorker::from_clients(
            &self.context.clients,
            &resources,
            self.settings.forges.clone(),
            publisher,
        )
    }

    /// How this app's workers publish progress (stored, and posted to its sockets).
    pub fn publisher(&self) -> forgeflow_progress::Publisher {
        self.settings.publisher(&self.context.clients, &self.stack.resources())
    }

    /// The import-worker, built as its Lambda builds it (also for apps without pollers).
    pub fn workers_import(&self) -> forgeflow_workers::import::ImportWorker {
        let resources = self.stack.resources();
        let publisher = self.settings.publisher(&self.context.clients, &resources);
        forgeflow_workers::import::ImportWorker::from_clients(
            &self.context.clients,
            &resources,
            self.settings.forges.clone(),
            publisher,
        )
    }

    /// Starts the SQS workers for an app spawned without them; dropping the result stops them.
    pub async fn start_workers(&self) -> Workers {
        workers::start(
            &self.context.clients,
            &self.stack,
            Agents::new(self.ai.clone()),
            &self.settings,
        )
        .await
    }

    /// Polls `GET /executions/{id}` until the execution leaves `running` (or 60 s pass).
    /// One file of a generation, as text, through `GET /generations/{id}/files/{path}`.
    pub async fn generation_file(&self, user: &User, generation: &str, path: &str) -> String {
        let response = self
            .raw(Method::GET, &format!("/generations/{generation}/files/{path}"))
            .bearer_auth(&user.token)
            .send()
            .await
            .expect("the gateway answers");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.expect("a text body")
    }

    pub async fn wait_for_execution(&self, user: &User, id: &str) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let response = self
                .call(Method::GET, &format!("/executions/{id}"), Some(&user.token), None)
                .await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.body);
            if response.body["status"] != "running" {
                return response.body;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "execution still running: {}",
                response.body
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Starts `workflow` (default `full-project`) on `project_id`, returning the execution id.
    pub async fn start_execution(&self, user: &User, project_id: &str, workflow: Option<&str>) -> String {
        let body = workflow.map(|workflow| json!({ "workflow": workflow }));
        let response = self
            .call(
                Method::POST,
                &format!("/projects/{project_id}/executions"),
                Some(&user.token),
                body,
            )
            .await;
        assert_eq!(response.status, StatusCode::ACCEPTED, "{}", response.body);
        response.body["id"].as_str().expect("execution id").to_owned()
    }

    /// Messages waiting on a queue of this test's stack (queue id from resources.json).
    pub async fn drain_queue(&self, queue: &str) -> Vec<Value> {
        let url = if queue.ends_with("-dlq") {
            self.stack.queues[queue.trim_end_matches("-dlq")].1.clone()
        } else {
            self.stack.queues[queue].0.clone()
        };
        let mut bodies = Vec::new();
        loop {
            let output = self
                .context
                .clients
                .sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive");
            let messages = output.messages.unwrap_or_default();
            if messages.is_empty() {
                return bodies;
            }
            for message in messages {
                bodies.push(serde_json::from_str(message.body().unwrap_or("null")).unwrap_or(Value::Null));
            }
        }
    }

    /// A workflow of the caller's, returning its id.
    pub async fn create_workflow(&self, user: &User, steps: Value) -> String {
        let response = self
            .call(
                Method::POST,
                "/workflows",
                Some(&user.token),
                Some(json!({"name": "test workflow", "steps": steps})),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        response.body["id"].as_str().expect("workflow id").to_owned()
    }
}

pub mod ai_server;
pub mod bench;
pub mod forge_server;
pub mod lambda;
pub mod loopback;
pub mod ws;

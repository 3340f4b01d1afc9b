//! `cargo bench -p forgeflow-tests --bench lambda`, after `make package`: the deployable artifacts
//! (every function's zip and binary size) and cold starts of the release binaries CDK ships, each
//! started as its own process against a Lambda Runtime API (`forgeflow_local::runtime_api`) with
//! the local stack on moto behind it, beside a hello-world `lambda_runtime` function built with the
//! same profile. Results go to BENCHMARKS.md.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use forgeflow_local::manifest;
use forgeflow_local::runtime_api::{Init, Outcome};
use forgeflow_tests::bench::{machine, ms, percentile, record};
use forgeflow_tests::lambda::{Function, binary_of};
use forgeflow_tests::{Options, TestApp, User, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

const COLD_STARTS: usize = 12;
const TIMEOUT: Duration = Duration::from_secs(30);
const BASELINE: &str = "hello-lambda";
const API_BINARY: &str = "forgeflow-api";

#[tokio::main]
async fn main() {
    let dir = lambda_dir();
    let sizes = size_table(&dir);
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let fixture = Fixture::new(&app).await;
    let subjects = [
        BASELINE,
        "openapi-get",
        "auth-login",
        "projects-get",
        "ws-connect",
        "step-worker",
        "generate-worker",
        "export-worker",
    ];
    let mut results = BTreeMap::new();
    for function in subjects {
        let binary = extract(&dir, artifact_of(function));
        let mut runs = Vec::new();
        for round in 0..COLD_STARTS {
            let events = [
                fixture.event(function, 2 * round),
                fixture.event(function, 2 * round + 1),
            ];
            runs.push(cold_start(&app, function, &binary, events).await);
        }
        println!("{function}: {:?}", summary(&runs));
        results.insert(function, runs);
    }
    record("lambda", &report(&sizes, &results, &subjects));
}

/// One cold start: (init, first invocation, warm invocation, peak RSS in KiB, init steps).
type Run = (Duration, Duration, Duration, u64, InitSteps);

/// What init spent its time on, from the function's own log lines (`sdk config loaded`,
/// `jwt key read`, each with its milliseconds).
#[derive(Debug, Default, Clone, Copy)]
struct InitSteps {
    sdk_config_ms: Option<f64>,
    jwt_key_ms: Option<f64>,
}

impl InitSteps {
    fn from_logs(output: &str) -> Self {
        let mut steps = Self::default();
        for line in output.lines() {
            let Ok(entry) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let ms = entry["fields"]["ms"].as_f64();
            match entry["fields"]["message"].as_str() {
                Some("sdk config loaded") if steps.sdk_config_ms.is_none() => steps.sdk_config_ms = ms,
                Some("jwt key read") if steps.jwt_key_ms.is_none() => steps.jwt_key_ms = ms,
                _ => {}
            }
        }
        steps
    }
}

async fn cold_start(app: &TestApp, function: &str, binary: &Path, events: [Value; 2]) -> Run {
    let (mut process, init) = Function::start(app, binary, function).await;
    let Init::Ready(ready) = init else {
        panic!("{function} did not start: {init:?}");
    };
    let mut timings = Vec::new();
    for event in events {
        let sent = Instant::now();
        let outcome = process
            .api
            .invoke(event.to_string(), TIMEOUT)
            .await
            .expect("invocation");
        timings.push(sent.elapsed());
        check(function, &outcome);
    }
    let rss = process.peak_rss_kib();
    // The init lines are written before the first poll; the reader has them by now.
    let steps = InitSteps::from_logs(&process.output());
    let _ = process.process.kill().await;
    (ready - process.started, timings[0], timings[1], rss, steps)
}

fn check(function: &str, outcome: &Outcome) {
    let Outcome::Response(body) = outcome else {
        panic!("{function} failed: {outcome:?}");
    };
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let ok = match function {
        BASELINE => body["hello"] == "world",
        "step-worker" | "generate-worker" | "export-worker" => {
            body["batchItemFailures"].as_array().is_some_and(Vec::is_empty)
        }
        "ws-connect" => body["statusCode"] == 200,
        _ => body["statusCode"].as_u64().is_some_and(|status| status < 300),
    };
    assert!(ok, "{function} answered {body}");
}

/// Ids the events need: a user, a project, and per invocation a step, generation or export
/// of its own, so every invocation does the same real work.
struct Fixture {
    user: User,
    project: String,
    steps: Vec<String>,
    generations: Vec<String>,
    exports: Vec<String>,
    execution: String,
}

impl Fixture {
    async fn new(app: &TestApp) -> Self {
        let user = app.register().await;
        let project = app.create_project(&user, "Cold starts").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let execution = app.start_execution(&user, &project, None).await;
        run_to_completion(app, &execution).await;
        let generate = app.workers_generate();
        let job = json!({"generation_id": execution, "execution_id": execution, "project_id": project, "owner": user.id, "template": "rust-axum"});
        let done = forgeflow_workers::generate::handler(
            &generate,
            sqs_event(&job),
            chrono::Utc::now() + chrono::Duration::minutes(5),
        )
        .await;
        assert!(done.batch_item_failures.is_empty());
        let invocations = 2 * COLD_STARTS;
        let mut fixture = Self {
            user,
            project,
            steps: Vec::new(),
            generations: Vec::new(),
            exports: Vec::new(),
            execution,
        };
        for _ in 0..invocations {
            let id = app.start_execution(&fixture.user, &fixture.project, None).await;
            fixture.steps.push(id);
            let created = app
                .call(
                    Method::POST,
                    &format!("/projects/{}/generations", fixture.project),
                    Some(&fixture.user.token),
                    Some(json!({"execution_id": fixture.execution})),
                )
                .await;
            fixture
                .generations
                .push(created.body["id"].as_str().expect("a generation").to_owned());
            let export = app
                .call(
                    Method::POST,
                    &format!("/generations/{}/exports", fixture.execution),
                    Some(&fixture.user.token),
                    Some(json!({"target": {"type": "zip"}})),
                )
                .await;
            fixture
                .exports
                .push(export.body["id"].as_str().expect("an export").to_owned());
        }
        fixture
    }

    fn event(&self, function: &str, n: usize) -> Value {
        let token = &self.user.token;
        match function {
            BASELINE => json!({"n": n}),
            "openapi-get" => sample("apigw-openapi-get"),
            "auth-login" => {
                let mut event = sample("apigw-auth-login");
                event["body"] = json!({"email": self.user.email, "password": "correct horse battery"})
                    .to_string()
                    .into();
                event
            }
            "projects-get" => {
                let mut event = sample("apigw-projects-get");
                let path = format!("/projects/{}", self.project);
                event["headers"]["authorization"] = format!("Bearer {token}").into();
                event["rawPath"] = path.clone().into();
                event["requestContext"]["http"]["path"] = path.into();
                event["pathParameters"]["id"] = self.project.clone().into();
                event
            }
            "ws-connect" => {
                let mut event = sample("ws-ws-connect");
                let offered = format!("forgeflow.v1, {token}");
                event["headers"]["Sec-WebSocket-Protocol"] = offered.clone().into();
                event["multiValueHeaders"]["Sec-WebSocket-Protocol"] = json!([offered]);
                event["requestContext"]["connectionId"] = format!("cold-{n}").into();
                event
            }
            "step-worker" => sqs(&json!({"execution_id": self.steps[n], "step_id": "plan"})),
            "generate-worker" => {
                let id = &self.generations[n];
                sqs(
                    &json!({"generation_id": id, "execution_id": self.execution, "project_id": self.project, "owner": self.user.id, "template": "rust-axum"}),
                )
            }
            "export-worker" => sqs(&json!({"export_id": self.exports[n]})),
            other => panic!("no event for {other}"),
        }
    }
}

async fn run_to_completion(app: &TestApp, execution: &str) {
    use forgeflow_domain::execution::{ExecutionStatus, StepStatus};
    let id = execution.parse().expect("an execution id");
    for _ in 0..10 {
        let (run, steps) = app.context.engine.executions.load(id).await.unwrap().unwrap();
        if run.status == ExecutionStatus::Succeeded {
            return;
        }
        for step in steps.values().filter(|step| step.status == StepStatus::Queued) {
            let event = sqs_event(&json!({"execution_id": execution, "step_id": step.step_id}));
            let deadline = chrono::Utc::now() + chrono::Duration::minutes(5);
            forgeflow_workers::step::handler(&app.step_worker, event, deadline).await;
        }
    }
    panic!("the execution did not finish");
}

fn sample(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../events/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("the sample exists")).expect("JSON")
}

/// The SQS sample with `body` as its one record's body.
fn sqs(body: &Value) -> Value {
    let mut event = sample("sqs-step-worker");
    event["Records"][0]["body"] = body.to_string().into();
    event["Records"][0]["messageId"] = uuid::Uuid::now_v7().to_string().into();
    event
}

fn sqs_event(body: &Value) -> aws_lambda_events::sqs::SqsEvent {
    serde_json::from_value(sqs(body)).expect("an SQS event")
}

fn lambda_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("lambda");
    assert!(
        dir.join(API_BINARY).join("bootstrap.zip").exists(),
        "{} has no artifacts: run `make package` first",
        dir.display()
    );
    dir
}

/// The binary a function ships (the baseline is its own).
fn artifact_of(function: &str) -> &str {
    if function == BASELINE {
        BASELINE
    } else {
        binary_of(function)
    }
}

/// Unzips `binary`'s bootstrap into a temporary directory kept for the run.
fn extract(dir: &Path, binary: &str) -> PathBuf {
    let out = std::env::temp_dir().join(format!("forgeflow-cold-{}-{binary}", std::process::id()));
    std::fs::create_dir_all(&out).expect("temp dir");
    let path = out.join("bootstrap");
    let file = std::fs::File::open(dir.join(binary).join("bootstrap.zip")).expect("the zip");
    let mut archive = zip::ZipArchive::new(file).expect("a zip");
    let mut entry = archive.by_name("bootstrap").expect("a bootstrap entry");
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).expect("read");
    std::fs::write(&path, bytes).expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Function → (zip bytes, binary bytes, binary it ships).
fn size_table(dir: &Path) -> Vec<(String, (u64, u64, String))> {
    let mut functions: Vec<String> = manifest::routes().into_iter().map(|r| r.function).collect();
    functions.extend(manifest::websocket().routes.into_iter().map(|r| r.function));
    functions.extend(manifest::workers().into_iter().map(|w| w.function));
    functions.push(BASELINE.to_owned());
    functions
        .into_iter()
        .map(|function| {
            let zip_path = dir.join(&function).join("bootstrap.zip");
            let zipped = std::fs::metadata(&zip_path)
                .unwrap_or_else(|_| panic!("{} is missing: run `make package`", zip_path.display()))
                .len();
            let file = std::fs::File::open(&zip_path).expect("the zip");
            let mut archive = zip::ZipArchive::new(file).expect("a zip");
            let unzipped = archive.by_name("bootstrap").expect("a bootstrap entry").size();
            let binary = artifact_of(&function).to_owned();
            (function, (zipped, unzipped, binary))
        })
        .collect()
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / 1024.0 / 1024.0)
}

fn summary(runs: &[Run]) -> [Duration; 6] {
    let pick = |f: fn(&Run) -> Duration| runs.iter().map(f).collect::<Vec<_>>();
    let (init, first, warm) = (pick(|r| r.0), pick(|r| r.1), pick(|r| r.2));
    [
        percentile(&init, 50.0),
        percentile(&init, 95.0),
        percentile(&first, 50.0),
        percentile(&first, 95.0),
        percentile(&warm, 50.0),
        percentile(&warm, 95.0),
    ]
}

fn report(sizes: &[(String, (u64, u64, String))], results: &BTreeMap<&str, Vec<Run>>, order: &[&str]) -> String {
    let mut text = format!(
        "## Lambda artifacts and cold starts ([1/6])\n\n\
         Command: `make package && cargo bench -p forgeflow-tests --bench lambda` · machine: {} · the zips in \
         `target/lambda/<function>/bootstrap.zip` as CDK ships them (release profile, x86_64, linked by \
         cargo-lambda with zig).\n\n\
         ### Sizes\n\n\
         Every function's zip and unzipped `bootstrap`. The HTTP and WebSocket functions ship the same \
         `forgeflow-api` binary (one CDK asset, uploaded once); each worker has its own.\n\n\
         | function | binary | zip | binary unzipped |\n|---|---|---|---|\n",
        machine()
    );
    for (function, (zipped, unzipped, binary)) in sizes {
        text.push_str(&format!(
            "| `{function}` | `{binary}` | {} | {} |\n",
            mib(*zipped),
            mib(*unzipped)
        ));
    }
    let baseline = summary(&results[BASELINE]);
    text.push_str(&format!(
        "\n### Cold starts\n\n\
         Each function started {COLD_STARTS} times as a fresh process (the bootstrap from its zip, the environment \
         CDK gives it with endpoints on the local stack, `_HANDLER` set as Lambda sets it) against a Lambda \
         Runtime API on loopback, with moto behind it. *init*: process start → its first \
         `GET /runtime/invocation/next`; *first*: the first invocation, event handed over → response; *warm*: \
         the second. Each invocation does real work of its own (a login with argon2, a step of a fresh execution, a \
         generation, a zip export). Peak RSS is the process's VmHWM after both invocations.\n\n\
         | function | init p50 / p95 | init ÷ hello-world | of init: SDK config / JWT key read (p50) | first p50 / p95 | warm p50 / p95 | first ÷ warm (p50) | peak RSS p50 |\n\
         |---|---|---|---|---|---|---|---|\n"
    ));
    for function in order {
        let runs = &results[function];
        let s = summary(runs);
        let mut rss: Vec<u64> = runs.iter().map(|r| r.3).collect();
        rss.sort();
        let step = |pick: fn(&InitSteps) -> Option<f64>| {
            let mut values: Vec<f64> = runs.iter().filter_map(|r| pick(&r.4)).collect();
            values.sort_by(f64::total_cmp);
            values
                .get(values.len() / 2)
                .map_or("–".to_owned(), |v| format!("{v:.1} ms"))
        };
        text.push_str(&format!(
            "| `{function}` | {} / {} | {:.2}× | {} / {} | {} / {} | {} / {} | {:.2}× | {:.1} MiB |\n",
            ms(s[0]),
            ms(s[1]),
            s[0].as_secs_f64() / baseline[0].as_secs_f64(),
            step(|i| i.sdk_config_ms),
            step(|i| i.jwt_key_ms),
            ms(s[2]),
            ms(s[3]),
            ms(s[4]),
            ms(s[5]),
            s[2].as_secs_f64() / s[4].as_secs_f64(),
            rss[rss.len() / 2] as f64 / 1024.0,
        ));
    }
    text
}

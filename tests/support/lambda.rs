//! A deployed function's binary started as its own process, as Lambda starts it: the
//! environment CDK gives it (endpoints on the local stack), what Lambda itself sets
//! (`_HANDLER`, `AWS_LAMBDA_*`) and a Runtime API of its own to poll.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use forgeflow_local::runtime_api::{Init, RuntimeApi};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Child;
use tokio::task::JoinHandle;

use crate::TestApp;

pub struct Function {
    pub api: RuntimeApi,
    pub process: Child,
    /// When the process was spawned.
    pub started: Instant,
    /// Its stdout and stderr lines, read as they come so the process never blocks on a full pipe.
    output: Arc<Mutex<Vec<String>>>,
    readers: Vec<JoinHandle<()>>,
}

impl Function {
    /// Spawns `binary` as `function` and waits for the end of its init.
    pub async fn start(app: &TestApp, binary: &Path, function: &str) -> (Self, Init) {
        Self::start_with(app, binary, function, &[]).await
    }

    /// [`Function::start`] with some environment variables changed.
    pub async fn start_with(app: &TestApp, binary: &Path, function: &str, changed: &[(&str, &str)]) -> (Self, Init) {
        let mut env = environment(app, function, "").await;
        env.retain(|(name, _)| !changed.iter().any(|(changed, _)| changed == name));
        env.extend(
            changed
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string())),
        );
        let api = RuntimeApi::start(&format!("arn:aws:lambda:us-east-1:123456789012:function:{function}"))
            .await
            .expect("runtime API");
        env.retain(|(name, _)| name != "AWS_LAMBDA_RUNTIME_API");
        env.push(("AWS_LAMBDA_RUNTIME_API".into(), api.address()));
        let started = Instant::now();
        let mut process = tokio::process::Command::new(binary)
            .env_clear()
            .envs(env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the bootstrap starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(process.stdout.take(), output.clone()),
            collect(process.stderr.take(), output.clone()),
        ];
        // `Starting` when the process exits (or hangs) before its first poll.
        let init = tokio::select! {
            init = api.ready() => init,
            _ = process.wait() => Init::Starting,
            _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => Init::Starting,
        };
        (
            Self {
                api,
                process,
                started,
                output,
                readers,
            },
            init,
        )
    }

    /// Waits for the process to exit; its exit status and everything it printed.
    pub async fn exit(mut self) -> (std::process::ExitStatus, String) {
        let status = self.process.wait().await.expect("wait");
        for reader in self.readers.drain(..) {
            let _ = reader.await;
        }
        (status, self.output())
    }

    /// Everything it printed so far.
    pub fn output(&self) -> String {
        self.output.lock().map(|lines| lines.join("\n")).unwrap_or_default()
    }

    /// The process's peak resident memory so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let Some(pid) = self.process.id() else {
            return 0;
        };
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("VmHWM:"))
                    .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0)
    }
}

fn collect(stream: Option<impl AsyncRead + Unpin + Send + 'static>, into: Arc<Mutex<Vec<String>>>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Some(stream) = stream else { return };
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(mut output) = into.lock() {
                output.push(line);
            }
        }
    })
}

/// What CDK gives the function ([`forgeflow_local::Stack::function_env`]), with endpoints on the
/// local stack, plus what Lambda itself sets, and its own role's credentials.
pub async fn environment(app: &TestApp, function: &str, runtime_api: &str) -> Vec<(String, String)> {
    let mut env = app.stack.function_env(&app.url);
    let fixed = [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("_HANDLER", function),
        ("AWS_LAMBDA_FUNCTION_NAME", function),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", crate::moto().endpoint()),
    ];
    env.retain(|(name, _)| !fixed.iter().any(|(fixed, _)| fixed == name));
    env.extend(fixed.iter().map(|(name, value)| (name.to_string(), value.to_string())));
    app.principals().await.env_for(function, &env)
}

/// What every function process gets on a test stack: the template's environment with endpoints on
/// the stack, the emulator's region and the test's rate limits (credentials are each role's own).
pub fn process_environment(
    stack: &forgeflow_local::Stack,
    gateway: &str,
    options: &crate::Options,
) -> Vec<(String, String)> {
    let limits = &options.rate_limits;
    let ai = &options.ai;
    let mut env = stack.function_env(gateway);
    for (name, value) in [
        ("AWS_ENDPOINT_URL", crate::moto().endpoint().to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("FORGEFLOW_RATE_LIMIT", limits.per_user.limit.to_string()),
        ("FORGEFLOW_RATE_WINDOW_SECONDS", limits.per_user.window_s.to_string()),
        ("FORGEFLOW_AUTH_RATE_LIMIT", limits.auth_per_ip.limit.to_string()),
        ("FORGEFLOW_WS_RATE_LIMIT", limits.ws_per_connection.limit.to_string()),
        ("FORGEFLOW_WS_USER_RATE_LIMIT", limits.ws_per_user.limit.to_string()),
        // Where the (fake) providers are; their keys are in the stack's secrets.
        ("FORGEFLOW_OPENAI_BASE_URL", ai.openai.base_url.clone()),
        ("FORGEFLOW_ANTHROPIC_BASE_URL", ai.anthropic.base_url.clone()),
        (
            "FORGEFLOW_AI_ALLOW_PRIVATE_NETWORK",
            u8::from(ai.allow_private_network).to_string(),
        ),
        ("FORGEFLOW_AI_MAX_ATTEMPTS", ai.retry.max_attempts.to_string()),
        (
            "FORGEFLOW_AI_RETRY_BASE_MS",
            ai.retry.base_delay.as_millis().to_string(),
        ),
        (
            "FORGEFLOW_AI_RETRY_BUDGET_MS",
            ai.retry.max_total_sleep.as_millis().to_string(),
        ),
    ] {
        env.push((name.to_owned(), value));
    }
    // Where the (fake) forges are, as an operator would point a deployment at GitHub Enterprise.
    let forges = &options.forges;
    if let Some(url) = &forges.github_api_url {
        env.push(("FORGEFLOW_GITHUB_API_URL".to_owned(), url.clone()));
    }
    if forges.gitlab_allow_private_network {
        env.push(("FORGEFLOW_GITLAB_ALLOW_PRIVATE_NETWORK".to_owned(), "1".to_owned()));
    }
    env
}

/// The debug build of a workspace binary. `cargo binaries` (`.cargo/config.toml`) builds them all
/// with the features `cargo test --workspace` resolved, so a fresh build is a no-op and a stale one
/// reuses every dependency the tests already built.
pub fn debug_binary(binary: &str) -> PathBuf {
    let status = std::process::Command::new(env!("CARGO"))
        .args(["binaries", "--quiet"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo binaries");
    let exe = std::env::current_exe().expect("the test binary");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    profile_dir.join(binary)
}

/// The API binary serves HTTP and WebSocket functions; each worker has its own.
pub fn binary_of(function: &str) -> &str {
    let worker = forgeflow_local::manifest::workers()
        .into_iter()
        .any(|worker| worker.function == function);
    if worker { function } else { "forgeflow-api" }
}

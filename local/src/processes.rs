//! A Lambda function as Lambda runs it: its deployed binary started as processes of their own,
//! each polling its own [`RuntimeApi`], with the function's environment. Up to `concurrency`
//! invocations run at once, one per process; an idle process is reused (a warm start), a dead
//! one replaced, and one past the function's timeout killed and its invocation reported as timed
//! out, as Lambda reports it. Every line a process prints goes to stderr prefixed with the
//! function's name.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use hyper::body::Bytes;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, Semaphore};

use crate::runtime_api::{Init, InvokeError, Outcome, RuntimeApi};

/// Lambda's limit on a function's init phase.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a function is: the binary CDK ships for it, and how Lambda runs it.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub name: String,
    pub binary: PathBuf,
    /// The environment CDK gives the function (`_HANDLER` and `AWS_LAMBDA_*` are added here).
    pub env: Vec<(String, String)>,
    pub memory_mb: u32,
    pub timeout: Duration,
    /// Processes at most, so invocations at once.
    pub concurrency: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{function} could not be started: {source}")]
    Spawn {
        function: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{function} failed its init: {reason}")]
    Init { function: String, reason: String },
}

pub struct FunctionProcesses {
    spec: FunctionSpec,
    idle: Mutex<Vec<Instance>>,
    slots: Semaphore,
}

struct Instance {
    api: RuntimeApi,
    process: Child,
}

impl FunctionProcesses {
    pub fn new(spec: FunctionSpec) -> Self {
        let slots = Semaphore::new(spec.concurrency.max(1));
        Self {
            spec,
            idle: Mutex::new(Vec::new()),
            slots,
        }
    }

    pub fn spec(&self) -> &FunctionSpec {
        &self.spec
    }

    /// The process ids of the idle processes (for tests and logs).
    pub async fn idle_pids(&self) -> Vec<u32> {
        self.idle.lock().await.iter().filter_map(|i| i.process.id()).collect()
    }

    /// One invocation: an idle process if there is a live one, else a new one.
    pub async fn invoke(&self, payload: impl Into<Bytes>) -> Result<Outcome, StartError> {
        let _slot = self.slots.acquire().await;
        let mut instance = match self.take_live().await {
            Some(instance) => instance,
            None => self.start().await?,
        };
        let timeout = self.spec.timeout;
        let outcome = tokio::select! {
            answered = tokio::time::timeout(timeout, instance.api.invoke(payload.into(), timeout)) => answered,
            exited = instance.process.wait() => {
                let status = exited.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                return Ok(Outcome::Error {
                    error_type: "Runtime.ExitError".into(),
                    message: format!("Runtime exited with error: {status}"),
                });
            }
        };
        match outcome {
            Ok(Ok(outcome)) => {
                self.idle.lock().await.push(instance);
                Ok(outcome)
            }
            Ok(Err(InvokeError::InitFailed { error_type, message })) => Err(StartError::Init {
                function: self.spec.name.clone(),
                reason: format!("{error_type}: {message}"),
            }),
            Ok(Err(InvokeError::Closed)) => Ok(Outcome::Error {
                error_type: "Runtime.Unknown".into(),
                message: "the runtime API closed".into(),
            }),
            Err(_) => {
                // Lambda stops the whole sandbox; the next invocation starts cold.
                let _ = instance.process.kill().await;
                Ok(Outcome::Error {
                    error_type: "Sandbox.Timedout".into(),
                    message: format!("Task timed out after {:.2} seconds", timeout.as_secs_f64()),
                })
            }
        }
    }

    async fn take_live(&self) -> Option<Instance> {
        let mut idle = self.idle.lock().await;
        while let Some(mut instance) = idle.pop() {
            if matches!(instance.process.try_wait(), Ok(None)) {
                return Some(instance);
            }
            tracing::warn!(function = %self.spec.name, "an idle process died; starting another");
        }
        None
    }

    async fn start(&self) -> Result<Instance, StartError> {
        let spec = &self.spec;
        let failed = |reason: String| StartError::Init {
            function: spec.name.clone(),
            reason,
        };
        let spawn_failed = |source| StartError::Spawn {
            function: spec.name.clone(),
            source,
        };
        let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{}", spec.name);
        let api = RuntimeApi::start(&arn).await.map_err(spawn_failed)?;
        let mut process = Command::new(&spec.binary)
            .env_clear()
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("_HANDLER", &spec.name)
            .env("AWS_LAMBDA_FUNCTION_NAME", &spec.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", spec.memory_mb.to_string())
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_failed)?;
        prefix_lines(&spec.name, process.stdout.take());
        prefix_lines(&spec.name, process.stderr.take());
        let init = tokio::select! {
            init = api.ready() => init,
            exited = process.wait() => {
                let status = exited.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                return Err(failed(format!("Runtime exited before its first poll: {status}")));
            }
            _ = tokio::time::sleep(INIT_TIMEOUT) => Init::Starting,
        };
        match init {
            Init::Ready(_) => Ok(Instance { api, process }),
            Init::Failed { error_type, message } => Err(failed(format!("{error_type}: {message}"))),
            Init::Starting => Err(failed(format!(
                "init did not finish within {} s",
                INIT_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// Copies each line `stream` prints to stderr as `[function] line`.
fn prefix_lines(function: &str, stream: Option<impl AsyncRead + Unpin + Send + 'static>) {
    let Some(stream) = stream else { return };
    let function = function.to_owned();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("[{function}] {line}");
        }
    });
}

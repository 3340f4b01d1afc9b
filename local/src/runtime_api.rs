//! The Lambda Runtime API (2018-06-01) for one function instance, on loopback: the process that
//! `AWS_LAMBDA_RUNTIME_API` points at polls `invocation/next`, then answers with
//! `invocation/{id}/response` or `invocation/{id}/error`, or reports `init/error` before its
//! first poll. [`RuntimeApi::invoke`] hands it one event and waits for the answer, as the
//! Lambda service does for a synchronous invocation.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Lambda's limit on a synchronous invocation's response.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;
const PREFIX: &str = "/2018-06-01/runtime/";

/// What the function answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Response(Bytes),
    /// `invocation/{id}/error`, or a response over [`MAX_RESPONSE_BYTES`].
    Error {
        error_type: String,
        message: String,
    },
}

/// Where the instance is in its life, as the Lambda service sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Init {
    Starting,
    /// It polled `next` for the first time at this instant.
    Ready(Instant),
    /// It reported `init/error`.
    Failed {
        error_type: String,
        message: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("init failed: {error_type}: {message}")]
    InitFailed { error_type: String, message: String },
    #[error("the runtime API is closed")]
    Closed,
}

struct Pending {
    request_id: String,
    payload: Bytes,
    deadline: Duration,
    answer: oneshot::Sender<Outcome>,
}

struct Shared {
    function_arn: String,
    queue: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init: watch::Sender<Init>,
}

pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    submit: mpsc::Sender<Pending>,
    task: JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RuntimeApi {
    /// Serves the API on a free loopback port for the function `function_arn` names.
    pub async fn start(function_arn: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let (submit, queue) = mpsc::channel(64);
        let shared = Arc::new(Shared {
            function_arn: function_arn.to_owned(),
            queue: tokio::sync::Mutex::new(queue),
            in_flight: Mutex::new(HashMap::new()),
            init: watch::channel(Init::Starting).0,
        });
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(route(&shared, req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            shared,
            submit,
            task,
        })
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API` for the process.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Waits until the process polls `next` for the first time (its init is over) or reports
    /// `init/error`.
    pub async fn ready(&self) -> Init {
        let mut init = self.shared.init.subscribe();
        let state = init.wait_for(|state| *state != Init::Starting).await;
        state.map(|state| state.clone()).unwrap_or(Init::Starting)
    }

    /// Hands `payload` to the process's next poll and waits for its answer. The caller enforces
    /// the timeout (it owns the process, and Lambda kills a function that overruns).
    pub async fn invoke(&self, payload: impl Into<Bytes>, timeout: Duration) -> Result<Outcome, InvokeError> {
        if let Init::Failed { error_type, message } = self.shared.init.borrow().clone() {
            return Err(InvokeError::InitFailed { error_type, message });
        }
        let (answer, answered) = oneshot::channel();
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            + timeout;
        let pending = Pending {
            request_id: uuid::Uuid::now_v7().to_string(),
            payload: payload.into(),
            deadline,
            answer,
        };
        self.submit.send(pending).await.map_err(|_| InvokeError::Closed)?;
        let mut init = self.shared.init.subscribe();
        tokio::select! {
            outcome = answered => outcome.map_err(|_| InvokeError::Closed),
            failed = init.wait_for(|state| matches!(state, Init::Failed { .. })) => match failed.as_deref() {
                Ok(Init::Failed { error_type, message }) => Err(InvokeError::InitFailed {
                    error_type: error_type.clone(),
                    message: message.clone(),
                }),
                _ => Err(InvokeError::Closed),
            },
        }
    }
}

async fn route(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return status(StatusCode::NOT_FOUND, "unknown path");
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match (req.method(), parts.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next(shared).await,
        (&Method::POST, ["invocation", id, "response"]) => {
            let id = (*id).to_owned();
            match Limited::new(req.into_body(), MAX_RESPONSE_BYTES).collect().await {
                Ok(body) => answer(shared, &id, Outcome::Response(body.to_bytes())),
                Err(_) => {
                    answer(
                        shared,
                        &id,
                        Outcome::Error {
                            error_type: "Function.ResponseSizeTooLarge".into(),
                            message: format!("response payload size exceeded {MAX_RESPONSE_BYTES} bytes"),
                        },
                    );
                    status(StatusCode::PAYLOAD_TOO_LARGE, "response payload too large")
                }
            }
        }
        (&Method::POST, ["invocation", id, "error"]) => {
            let id = (*id).to_owned();
            let (error_type, message) = read_error(req).await;
            answer(shared, &id, Outcome::Error { error_type, message })
        }
        (&Method::POST, ["init", "error"]) => {
            let (error_type, message) = read_error(req).await;
            shared.init.send_replace(Init::Failed { error_type, message });
            status(StatusCode::ACCEPTED, "OK")
        }
        _ => status(StatusCode::NOT_FOUND, "unknown path"),
    }
}

async fn next(shared: &Shared) -> Response<Full<Bytes>> {
    shared.init.send_if_modified(|state| {
        let first = *state == Init::Starting;
        if first {
            *state = Init::Ready(Instant::now());
        }
        first
    });
    let Some(pending) = shared.queue.lock().await.recv().await else {
        return status(StatusCode::GONE, "shutting down");
    };
    let deadline_ms = pending.deadline.as_millis().to_string();
    if let Ok(mut in_flight) = shared.in_flight.lock() {
        in_flight.insert(pending.request_id.clone(), pending.answer);
    }
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &pending.request_id)
        .header("lambda-runtime-deadline-ms", deadline_ms)
        .header("lambda-runtime-invoked-function-arn", &shared.function_arn)
        .header(
            "lambda-runtime-trace-id",
            format!("Root=1-{}", &pending.request_id[..8]),
        )
        .body(Full::new(pending.payload))
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "bad header"))
}

fn answer(shared: &Shared, request_id: &str, outcome: Outcome) -> Response<Full<Bytes>> {
    let waiting = shared.in_flight.lock().ok().and_then(|mut map| map.remove(request_id));
    match waiting {
        Some(answer) => {
            let _ = answer.send(outcome);
            status(StatusCode::ACCEPTED, "OK")
        }
        None => status(StatusCode::BAD_REQUEST, "unknown or answered request id"),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    #[serde(default)]
    error_type: String,
    #[serde(default)]
    error_message: String,
}

async fn read_error(req: Request<Incoming>) -> (String, String) {
    let header = req
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = match Limited::new(req.into_body(), MAX_RESPONSE_BYTES).collect().await {
        Ok(body) => serde_json::from_slice::<ErrorBody>(&body.to_bytes()).unwrap_or_default(),
        Err(_) => ErrorBody::default(),
    };
    let error_type = Some(body.error_type)
        .filter(|kind| !kind.is_empty())
        .or(header)
        .unwrap_or_else(|| "Unhandled".to_owned());
    (error_type, body.error_message)
}

fn status(code: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(
        serde_json::json!({ "status": message }).to_string(),
    )));
    *response.status_mut() = code;
    response
}

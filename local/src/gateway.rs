//! An HTTP server on loopback that plays API Gateway (HTTP API): it routes with the manifest,
//! hands each function the payload 2.0 event and returns the function's answer unchanged.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use forgeflow_api::ApiContext;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::apigw::{self, IncomingRequest};
use crate::functions::ApiFunctions;
use crate::manifest::{self, Route};
use crate::runtime_api::Outcome;
use crate::sigv4::{Keys, Refusal};
use crate::web;
use crate::websocket::Hub;
use forgeflow_api_lambda::registry;

/// API Gateway's own payload limit for HTTP APIs.
pub const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

pub struct Gateway {
    addr: SocketAddr,
    task: JoinHandle<()>,
    hub: Arc<Hub>,
    keys: Arc<Keys>,
}

struct Shared {
    context: Arc<ApiContext>,
    /// The API's functions as processes; without them, the handlers are called in this process.
    functions: Option<Arc<ApiFunctions>>,
    routes: Vec<Route>,
    hub: Arc<Hub>,
    web_dir: PathBuf,
    /// Who may call `@connections` (SigV4).
    keys: Arc<Keys>,
}

/// A bound, not yet serving, gateway: its URL is known before the functions' context is built
/// (they post progress to its `@connections` endpoint).
pub struct Bound {
    listener: TcpListener,
    addr: SocketAddr,
    keys: Arc<Keys>,
}

impl Bound {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The principals `@connections` accepts signatures from; add them before they call.
    pub fn keys(&self) -> &Arc<Keys> {
        &self.keys
    }

    /// Serves until the returned gateway is dropped, calling the handlers in this process.
    pub fn serve(self, context: Arc<ApiContext>) -> Gateway {
        Gateway::serve(self.listener, self.addr, self.keys, context, None)
    }

    /// Serves until dropped, invoking each HTTP route's function as Lambda does: its own processes
    /// behind the Runtime API. `context` still serves the WebSocket side.
    pub fn serve_functions(self, context: Arc<ApiContext>, functions: Arc<ApiFunctions>) -> Gateway {
        Gateway::serve(self.listener, self.addr, self.keys, context, Some(functions))
    }
}

impl Gateway {
    /// Binds `addr` (port 0 picks a free one).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Bound> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        Ok(Bound {
            listener,
            addr,
            keys: Arc::default(),
        })
    }

    /// Binds `addr` and serves until dropped; `@connections` accepts `context`'s own signature.
    pub async fn start(context: Arc<ApiContext>, addr: SocketAddr) -> std::io::Result<Self> {
        let bound = Self::bind(addr).await?;
        bound.keys().trust_config(&context.clients.config).await;
        Ok(bound.serve(context))
    }

    fn serve(
        listener: TcpListener,
        addr: SocketAddr,
        keys: Arc<Keys>,
        context: Arc<ApiContext>,
        functions: Option<Arc<ApiFunctions>>,
    ) -> Self {
        let hub = Hub::new(context.clone(), &format!("http://{addr}"), functions.clone());
        let shared = Arc::new(Shared {
            context,
            functions,
            routes: manifest::routes(),
            hub: hub.clone(),
            web_dir: web::web_dir(),
            keys: keys.clone(),
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(handle(&shared, req, peer).await) }
                    });
                    if let Err(err) = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await
                    {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                });
            }
        });
        Self { addr, task, hub, keys }
    }

    /// The principals `@connections` accepts signatures from.
    pub fn keys(&self) -> &Arc<Keys> {
        &self.keys
    }

    /// The WebSocket side: its open connections.
    pub fn websocket(&self) -> &Hub {
        &self.hub
    }

    /// The WebSocket endpoint's URL.
    pub fn ws_url(&self) -> String {
        format!("ws://{}{}", self.addr, self.hub.path())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(shared: &Shared, req: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = dispatch(shared, req, peer).await;
    tracing::info!(%method, %path, status = response.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    response
}

async fn dispatch(shared: &Shared, req: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
    if req.uri().path() == shared.hub.path() {
        return shared.hub.upgrade(req, peer).await;
    }
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    if let Some(connection) = path.strip_prefix("/@connections/") {
        let body = match Limited::new(body, MAX_PAYLOAD_BYTES).collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "message too large"),
        };
        let uri = parts.uri.path_and_query().map_or(path.as_str(), |pq| pq.as_str());
        let signed = shared.keys.verify(
            parts.method.as_str(),
            uri,
            &parts.headers,
            &body,
            std::time::SystemTime::now(),
        );
        if let Err(refusal) = signed {
            tracing::warn!(%refusal, "@connections call refused");
            return forbidden(&refusal);
        }
        return shared.hub.manage(&parts.method, connection, body);
    }
    let matching: Vec<(&Route, BTreeMap<String, String>)> = shared
        .routes
        .iter()
        .filter_map(|route| route.match_path(&path).map(|params| (route, decoded(params))))
        .collect();
    let Some((route, params)) = matching.iter().find(|(route, _)| route.method == parts.method.as_str()) else {
        if matching.is_empty() {
            if parts.method == http::Method::GET {
                let host = parts
                    .headers
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("localhost");
                if let Some(page) = web::serve(&shared.web_dir, &path, host, shared.hub.path()) {
                    return page;
                }
            }
            return error(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("no route for {} {path}", parts.method),
            );
        }
        let allowed: Vec<&str> = matching.iter().map(|(route, _)| route.method.as_str()).collect();
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            &format!("{} is not allowed on {path}; use {}", parts.method, allowed.join(", ")),
        );
        if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        return response;
    };
    let body = match Limited::new(body, MAX_PAYLOAD_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body is larger than API Gateway's 10 MB limit",
            );
        }
    };
    let request_id = uuid::Uuid::now_v7().simple().to_string();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let incoming = IncomingRequest {
        method: parts.method.as_str(),
        path: &path,
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &body,
        source_ip: peer.ip().to_string(),
        host,
    };
    let event = apigw::request_event(&incoming, &route.key(), params, &request_id, Utc::now());
    if let Some(functions) = &shared.functions {
        let Some(function) = functions.get(&route.function) else {
            return internal(&format!("function {} has no processes", route.function));
        };
        return match function.invoke(event.to_string()).await {
            Ok(Outcome::Response(body)) => match serde_json::from_slice(&body) {
                Ok(lambda_json) => proxied(lambda_json, &request_id),
                Err(err) => internal(&format!("{}: the response is not JSON: {err}", route.function)),
            },
            // As API Gateway answers when its Lambda integration fails or times out.
            Ok(Outcome::Error { error_type, message }) if error_type == "Sandbox.Timedout" => {
                tracing::error!(function = %route.function, message, "function timed out");
                json_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"message": "Service Unavailable"}),
                )
            }
            Ok(Outcome::Error { error_type, message }) => {
                internal(&format!("{}: {error_type}: {message}", route.function))
            }
            Err(err) => internal(&err.to_string()),
        };
    }
    let lambda_request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(err) => return internal(&format!("event did not parse: {err}")),
    };
    if registry::http_function(&route.function).is_none() {
        return internal(&format!(
            "function {} is in the manifest but has no handler",
            route.function
        ));
    }
    let context = &shared.context;
    let answer = forgeflow_api::guarded(context, lambda_request, |req| {
        forgeflow_api_lambda::http(&route.function, context, req)
    })
    .await;
    proxied(apigw::lambda_response_json(answer), &request_id)
}

/// The function's payload 2.0 response as the HTTP response API Gateway makes of it.
fn proxied(lambda_json: serde_json::Value, request_id: &str) -> Response<Full<Bytes>> {
    let outgoing = match apigw::http_response(lambda_json) {
        Ok(outgoing) => outgoing,
        Err(err) => return internal(&err.to_string()),
    };
    let mut response = Response::new(Full::new(Bytes::from(outgoing.body)));
    *response.status_mut() = outgoing.status;
    *response.headers_mut() = outgoing.headers;
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("apigw-requestid", value);
    }
    response
}

/// API Gateway hands functions percent-decoded path parameters (`a%2Fb` arrives as `a/b`).
fn decoded(params: std::collections::HashMap<String, String>) -> BTreeMap<String, String> {
    params
        .into_iter()
        .map(|(name, value)| {
            (
                name,
                percent_encoding::percent_decode_str(&value)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

/// An answer from the gateway itself, in the API's error format.
fn error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    json_response(
        status,
        json!({"error": {"code": code, "message": message, "field": null}}),
    )
}

/// API Gateway's refusal of an unsigned or badly signed management call: 403 with its message,
/// and `x-amzn-ErrorType` naming the exception the SDK maps it to.
fn forbidden(refusal: &Refusal) -> Response<Full<Bytes>> {
    let kind = match refusal {
        Refusal::Unsigned => "MissingAuthenticationTokenException",
        Refusal::UnknownKey => "UnrecognizedClientException",
        _ => "InvalidSignatureException",
    };
    let mut response = json_response(StatusCode::FORBIDDEN, json!({"message": refusal.to_string()}));
    response
        .headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static(kind));
    response
}

/// What API Gateway answers when the integration itself fails.
fn internal(detail: &str) -> Response<Full<Bytes>> {
    tracing::error!(detail, "integration failed");
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"message": "Internal Server Error"}),
    )
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

//! The WebSocket half of the local API Gateway: the socket endpoint, which runs the `$connect`,
//! `$default` and `$disconnect` functions as API Gateway does, and the `@connections/{id}`
//! management endpoint (POST a message, GET the connection, DELETE it) that
//! `aws-sdk-apigatewaymanagement` calls — so workers post progress here exactly as in AWS.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use forgeflow_api::ApiContext;
use forgeflow_progress::Sender;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::apigw_ws::{self, ConnectionInfo};
use crate::manifest::{self, WebSocketFile};
use forgeflow_api_lambda::registry;

use crate::functions::ApiFunctions;
use crate::runtime_api::Outcome;

/// API Gateway's limit on one message, either way (frames are at most 32 KiB).
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

pub struct Hub {
    context: Arc<ApiContext>,
    /// The route functions as processes; without them, the handlers are called in this process.
    functions: Option<Arc<ApiFunctions>>,
    /// How `$default` answers: through the management endpoint, as in AWS.
    sender: Sender,
    api: WebSocketFile,
    connections: Mutex<HashMap<String, Connection>>,
}

struct Connection {
    info: ConnectionInfo,
    last_active: DateTime<Utc>,
    outbox: mpsc::UnboundedSender<Outgoing>,
}

enum Outgoing {
    Text(String),
    Close,
}

type HttpResponse = Response<Full<Bytes>>;

impl Hub {
    pub fn new(context: Arc<ApiContext>, gateway_url: &str, functions: Option<Arc<ApiFunctions>>) -> Arc<Self> {
        let sender = Sender::new(&context.clients.config, gateway_url);
        Arc::new(Self {
            context,
            functions,
            sender,
            api: manifest::websocket(),
            connections: Mutex::new(HashMap::new()),
        })
    }

    pub fn path(&self) -> &str {
        &self.api.path
    }

    /// Open connections (for tests and the benchmark).
    pub fn open_connections(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Connection>> {
        self.connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn function(&self, route: &str) -> Option<&str> {
        self.api
            .routes
            .iter()
            .find(|r| r.route == route)
            .map(|r| r.function.as_str())
    }

    async fn invoke(&self, route: &str, event: Value) -> Option<aws_lambda_events::apigw::ApiGatewayProxyResponse> {
        let function = self.function(route)?;
        if let Some(functions) = &self.functions {
            return match functions.get(function)?.invoke(event.to_string()).await {
                Ok(Outcome::Response(body)) => serde_json::from_slice(&body)
                    .inspect_err(|err| tracing::error!(route, error = %err, "the function's answer did not parse"))
                    .ok(),
                Ok(Outcome::Error { error_type, message }) => {
                    tracing::error!(route, error_type, message, "the function failed");
                    None
                }
                Err(err) => {
                    tracing::error!(route, error = %err, "the function did not start");
                    None
                }
            };
        }
        let event = match apigw_ws::parse(event) {
            Ok(event) => event,
            Err(err) => {
                tracing::error!(route, error = %err, "WebSocket event did not parse");
                return None;
            }
        };
        let function = registry::websocket_function(function)?;
        Some((function.handler)(&self.context, &self.sender, event).await)
    }

    /// A handshake: `$connect` decides; on 200 the socket opens, otherwise the client gets the
    /// function's status and body, as from API Gateway.
    pub async fn upgrade(self: &Arc<Self>, mut req: Request<Incoming>, peer: SocketAddr) -> HttpResponse {
        let headers = req.headers();
        let is_upgrade = headers
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        let Some(key) = headers
            .get(header::SEC_WEBSOCKET_KEY)
            .map(|key| key.as_bytes().to_vec())
        else {
            return plain(StatusCode::BAD_REQUEST, "expected a WebSocket handshake");
        };
        if !is_upgrade || headers.get(header::SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes) != Some(b"13") {
            return plain(StatusCode::BAD_REQUEST, "expected a WebSocket handshake (version 13)");
        }
        let now = Utc::now();
        let info = ConnectionInfo {
            id: new_connection_id(),
            connected_at: now,
            source_ip: peer.ip().to_string(),
            user_agent: header_text(headers, header::USER_AGENT),
            domain: header_text(headers, header::HOST),
            stage: self.api.stage.clone(),
        };
        let event = apigw_ws::connect_event(&info, headers, req.uri().query(), now);
        let Some(answer) = self.invoke("$connect", event).await else {
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "the $connect integration failed");
        };
        if answer.status_code != 200 {
            let status = u16::try_from(answer.status_code)
                .ok()
                .and_then(|code| StatusCode::from_u16(code).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = match answer.body {
                Some(aws_lambda_events::encodings::Body::Text(text)) => text,
                _ => String::new(),
            };
            let mut response = Response::new(Full::new(Bytes::from(body)));
            *response.status_mut() = status;
            response.headers_mut().extend(answer.headers);
            return response;
        }
        let on_upgrade = hyper::upgrade::on(&mut req);
        let hub = self.clone();
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let config = WebSocketConfig::default().max_message_size(Some(MAX_MESSAGE_BYTES));
                    let socket =
                        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
                    hub.serve(info, socket).await;
                }
                Err(err) => tracing::warn!(error = %err, "WebSocket upgrade failed"),
            }
        });
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(&key)) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        if let Some(protocol) = answer.headers.get(header::SEC_WEBSOCKET_PROTOCOL) {
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol.clone());
        }
        response
    }

    /// One open socket: its messages go to `$default` one at a time; what the management
    /// endpoint posts goes out; when either side closes, `$disconnect` runs.
    async fn serve(self: Arc<Self>, info: ConnectionInfo, socket: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>) {
        let (mut sink, mut stream) = socket.split();
        let (outbox, mut pending) = mpsc::unbounded_channel();
        let (closed_by_server, mut server_closed) = oneshot::channel::<()>();
        self.lock().insert(
            info.id.clone(),
            Connection {
                info: info.clone(),
                last_active: info.connected_at,
                outbox,
            },
        );
        let writer = tokio::spawn(async move {
            while let Some(outgoing) = pending.recv().await {
                let sent = match outgoing {
                    Outgoing::Text(text) => sink.send(Message::Text(Utf8Bytes::from(text))).await,
                    Outgoing::Close => {
                        let frame = CloseFrame {
                            code: CloseCode::Normal,
                            reason: "closed by the server".into(),
                        };
                        let _ = sink.send(Message::Close(Some(frame))).await;
                        let _ = closed_by_server.send(());
                        return;
                    }
                };
                if sent.is_err() {
                    return;
                }
            }
        });
        let (mut code, mut reason) = (1006u16, String::from("Going away"));
        loop {
            let message = tokio::select! {
                message = stream.next() => message,
                _ = &mut server_closed => {
                    (code, reason) = (1000, "Connection closed by the server".into());
                    break;
                }
            };
            let body = match message {
                Some(Ok(Message::Text(text))) => text.to_string(),
                Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                Some(Ok(Message::Close(frame))) => {
                    if let Some(frame) = frame {
                        (code, reason) = (frame.code.into(), frame.reason.to_string());
                    } else {
                        (code, reason) = (1005, String::new());
                    }
                    break;
                }
                Some(Ok(_)) => continue,
                Some(Err(err)) => {
                    tracing::debug!(connection = info.id, error = %err, "socket error");
                    (code, reason) = (1006, err.to_string());
                    break;
                }
                None => break,
            };
            if let Some(connection) = self.lock().get_mut(&info.id) {
                connection.last_active = Utc::now();
            }
            let event = apigw_ws::message_event(&info, &body, Utc::now());
            if self.invoke("$default", event).await.is_none() {
                tracing::error!(connection = info.id, "the $default integration failed");
            }
        }
        self.lock().remove(&info.id);
        writer.abort();
        let event = apigw_ws::disconnect_event(&info, code, &reason, Utc::now());
        let _ = self.invoke("$disconnect", event).await;
    }

    /// `POST|GET|DELETE /@connections/{id}`, answered as the management API does.
    pub fn manage(&self, method: &Method, id: &str, body: Bytes) -> HttpResponse {
        let id = percent_encoding::percent_decode_str(id)
            .decode_utf8_lossy()
            .into_owned();
        let mut connections = self.lock();
        let Some(connection) = connections.get_mut(&id) else {
            return management_error(StatusCode::GONE, "GoneException", &format!("connection {id} is gone"));
        };
        match *method {
            Method::POST => {
                if body.len() > MAX_MESSAGE_BYTES {
                    return management_error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "PayloadTooLargeException",
                        "the message is larger than 128 KB",
                    );
                }
                let text = String::from_utf8_lossy(&body).into_owned();
                if connection.outbox.send(Outgoing::Text(text)).is_err() {
                    return management_error(StatusCode::GONE, "GoneException", &format!("connection {id} is gone"));
                }
                connection.last_active = Utc::now();
                Response::new(Full::new(Bytes::new()))
            }
            Method::GET => {
                let format = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Millis, true);
                let description = json!({
                    "connectedAt": format(connection.info.connected_at),
                    "lastActiveAt": format(connection.last_active),
                    "identity": {"sourceIp": connection.info.source_ip, "userAgent": connection.info.user_agent},
                });
                let mut response = Response::new(Full::new(Bytes::from(description.to_string())));
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                response
            }
            Method::DELETE => {
                let _ = connection.outbox.send(Outgoing::Close);
                let mut response = Response::new(Full::new(Bytes::new()));
                *response.status_mut() = StatusCode::NO_CONTENT;
                response
            }
            _ => management_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "use POST, GET or DELETE",
            ),
        }
    }
}

/// An id shaped like API Gateway's (16 base64 characters, `=`, `+` and `/` included), so the
/// SDK's path encoding is exercised as in AWS.
fn new_connection_id() -> String {
    let uuid = uuid::Uuid::now_v7();
    STANDARD.encode(&uuid.as_bytes()[5..])
}

fn header_text(headers: &http::HeaderMap, name: header::HeaderName) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn plain(status: StatusCode, message: &str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(json!({"message": message}).to_string())));
    *response.status_mut() = status;
    response
}

/// The management API's error shape: the type in `x-amzn-ErrorType`, which the SDK reads.
fn management_error(status: StatusCode, kind: &'static str, message: &str) -> HttpResponse {
    let mut response = plain(status, message);
    let headers = response.headers_mut();
    headers.insert("x-amzn-errortype", HeaderValue::from_static(kind));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

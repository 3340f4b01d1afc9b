//! API Gateway WebSocket API events: what `$connect`, `$default` and `$disconnect` Lambdas
//! receive. Built as the JSON AWS sends and read back through `aws_lambda_events`, so handlers
//! see what they would see in AWS.

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde_json::{Map, Value, json};

use crate::apigw::{ACCOUNT_ID, API_ID};

/// What the gateway knows about one connection.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub id: String,
    pub connected_at: DateTime<Utc>,
    pub source_ip: String,
    pub user_agent: String,
    pub domain: String,
    pub stage: String,
}

impl ConnectionInfo {
    fn context(&self, route_key: &str, event_type: &str, now: DateTime<Utc>) -> Map<String, Value> {
        let request_id = uuid::Uuid::now_v7().simple().to_string();
        let context = json!({
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestId": request_id,
            "requestTime": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "requestTimeEpoch": now.timestamp_millis(),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": self.connected_at.timestamp_millis(),
            "identity": {"sourceIp": self.source_ip, "userAgent": self.user_agent},
            "domainName": self.domain,
            "connectionId": self.id,
            "apiId": API_ID,
            "accountId": ACCOUNT_ID,
        });
        match context {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

/// `$connect`: the handshake's headers and query string.
pub fn connect_event(
    connection: &ConnectionInfo,
    headers: &HeaderMap,
    query: Option<&str>,
    now: DateTime<Utc>,
) -> Value {
    let mut single = Map::new();
    let mut multi = Map::new();
    for name in headers.keys() {
        let values: Vec<Value> = headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .map(|value| Value::String(value.to_owned()))
            .collect();
        if let Some(first) = values.first() {
            single.insert(name.as_str().to_owned(), first.clone());
        }
        multi.insert(name.as_str().to_owned(), Value::Array(values));
    }
    let mut query_single = Map::new();
    let mut query_multi: Map<String, Value> = Map::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        query_single.insert(name.to_string(), Value::String(value.to_string()));
        if let Value::Array(values) = query_multi
            .entry(name.to_string())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            values.push(Value::String(value.to_string()));
        }
    }
    let mut event = json!({
        "headers": single,
        "multiValueHeaders": multi,
        "requestContext": connection.context("$connect", "CONNECT", now),
        "isBase64Encoded": false,
    });
    if !query_single.is_empty() {
        event["queryStringParameters"] = Value::Object(query_single);
        event["multiValueQueryStringParameters"] = Value::Object(query_multi);
    }
    event
}

/// `$default`: one message from the client.
pub fn message_event(connection: &ConnectionInfo, body: &str, now: DateTime<Utc>) -> Value {
    let mut context = connection.context("$default", "MESSAGE", now);
    context.insert(
        "messageId".into(),
        Value::String(uuid::Uuid::now_v7().simple().to_string()),
    );
    json!({"requestContext": context, "body": body, "isBase64Encoded": false})
}

/// `$disconnect`: the close code and reason, as API Gateway reports them.
pub fn disconnect_event(connection: &ConnectionInfo, code: u16, reason: &str, now: DateTime<Utc>) -> Value {
    let mut context = connection.context("$disconnect", "DISCONNECT", now);
    context.insert("disconnectStatusCode".into(), json!(code));
    context.insert("disconnectReason".into(), Value::String(reason.to_owned()));
    json!({"headers": {"Host": connection.domain}, "requestContext": context, "isBase64Encoded": false})
}

/// The event as the Lambda receives it.
pub fn parse(event: Value) -> Result<ApiGatewayWebsocketProxyRequest, serde_json::Error> {
    serde_json::from_value(event)
}

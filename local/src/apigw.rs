//! API Gateway HTTP API, payload format 2.0: the event a Lambda receives for a request and
//! how the Lambda's answer becomes the HTTP response. Built as JSON, exactly as AWS sends it,
//! and read back by `lambda_http` itself, so the handler sees what it would see in AWS.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use lambda_http::Body;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use serde_json::{Value, json};

pub const ACCOUNT_ID: &str = "000000000000";
pub const API_ID: &str = "local";

/// What the gateway knows about one incoming request.
pub struct IncomingRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub source_ip: String,
    pub host: &'a str,
}

/// The payload 2.0 event for `request` routed to `route_key` with `path_parameters`.
pub fn request_event(
    request: &IncomingRequest<'_>,
    route_key: &str,
    path_parameters: &BTreeMap<String, String>,
    request_id: &str,
    now: DateTime<Utc>,
) -> Value {
    let mut headers = serde_json::Map::new();
    let mut cookies = Vec::new();
    for name in request.headers.keys() {
        let values = request.headers.get_all(name).iter().filter_map(|v| v.to_str().ok());
        if name == header::COOKIE {
            cookies.extend(
                values
                    .flat_map(|v| v.split(';'))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from),
            );
            continue;
        }
        headers.insert(
            name.as_str().to_owned(),
            Value::String(values.collect::<Vec<_>>().join(",")),
        );
    }
    let user_agent = request
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query.unwrap_or_default(),
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": request.host,
            "domainPrefix": request.host.split('.').next().unwrap_or(request.host),
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if let Some(query) = request.query.filter(|q| !q.is_empty()) {
        event["queryStringParameters"] = query_parameters(query);
    }
    if !path_parameters.is_empty() {
        event["pathParameters"] = json!(path_parameters);
    }
    if !request.body.is_empty() {
        let content_type = request.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        match std::str::from_utf8(request.body) {
            Ok(text) if is_textual(content_type) => event["body"] = json!(text),
            _ => {
                event["body"] = json!(STANDARD.encode(request.body));
                event["isBase64Encoded"] = json!(true);
            }
        }
    }
    event
}

/// Repeated parameters are joined with commas, as API Gateway does.
fn query_parameters(query: &str) -> Value {
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        params.entry(name.into_owned()).or_default().push(value.into_owned());
    }
    params
        .into_iter()
        .map(|(name, values)| (name, Value::String(values.join(","))))
        .collect()
}

fn is_textual(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else { return true };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || [
            "application/json",
            "application/xml",
            "application/javascript",
            "application/x-www-form-urlencoded",
        ]
        .contains(&essence.as_str())
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
}

/// The JSON a Lambda returns for `response`, as `lambda_http` produces it for payload 2.0:
/// `Set-Cookie` headers move to `cookies`, binary bodies are base64.
pub fn lambda_response_json(response: http::Response<Body>) -> Value {
    let (parts, body) = response.into_parts();
    let mut headers = parts.headers;
    let cookies = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(String::from))
        .collect();
    headers.remove(header::SET_COOKIE);
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = headers;
    out.cookies = cookies;
    out.is_base64_encoded = matches!(body, Body::Binary(_));
    out.body = match body {
        Body::Empty => None,
        other => Some(other),
    };
    serde_json::to_value(out).unwrap_or_else(|_| json!({"statusCode": 500}))
}

/// What API Gateway sends back to the client for a Lambda's JSON answer.
pub struct OutgoingResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
#[error("the function returned a malformed response: {0}")]
pub struct MalformedResponse(String);

pub fn http_response(lambda_json: Value) -> Result<OutgoingResponse, MalformedResponse> {
    let parsed: ApiGatewayV2httpResponse =
        serde_json::from_value(lambda_json).map_err(|err| MalformedResponse(err.to_string()))?;
    let status = u16::try_from(parsed.status_code)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| MalformedResponse(format!("status {}", parsed.status_code)))?;
    let mut headers = parsed.headers;
    for cookie in &parsed.cookies {
        let value = HeaderValue::from_str(cookie).map_err(|err| MalformedResponse(err.to_string()))?;
        headers.append(header::SET_COOKIE, value);
    }
    let body = match parsed.body {
        None => Vec::new(),
        Some(body) if parsed.is_base64_encoded => STANDARD
            .decode(body.as_ref())
            .map_err(|err| MalformedResponse(err.to_string()))?,
        Some(body) => body.as_ref().to_vec(),
    };
    Ok(OutgoingResponse { status, headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incoming<'a>(headers: &'a HeaderMap, body: &'a [u8], query: Option<&'a str>) -> IncomingRequest<'a> {
        IncomingRequest {
            method: "POST",
            path: "/projects/abc",
            query,
            headers,
            body,
            source_ip: "127.0.0.1".into(),
            host: "localhost:8787",
        }
    }

    fn event(headers: &HeaderMap, body: &[u8], query: Option<&str>) -> Value {
        let params = BTreeMap::from([("id".to_owned(), "abc".to_owned())]);
        request_event(
            &incoming(headers, body, query),
            "POST /projects/{id}",
            &params,
            "rid",
            Utc::now(),
        )
    }

    #[test]
    fn the_event_is_read_by_lambda_http_as_the_same_request() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.append("x-multi", HeaderValue::from_static("a"));
        headers.append("x-multi", HeaderValue::from_static("b"));
        headers.insert("cookie", HeaderValue::from_static("a=1; b=2"));
        let json = event(&headers, br#"{"k":1}"#, Some("limit=5&tag=x&tag=y&q=a%20b"));
        assert_eq!(json["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(json["headers"]["x-multi"], "a,b");
        assert_eq!(json["queryStringParameters"]["tag"], "x,y");
        assert_eq!(json["queryStringParameters"]["q"], "a b");

        use lambda_http::RequestExt;
        let request = lambda_http::request::from_str(&json.to_string()).expect("lambda_http reads it");
        assert_eq!(request.method(), "POST");
        assert_eq!(request.uri().path(), "/projects/abc");
        assert_eq!(request.path_parameters().first("id"), Some("abc"));
        assert_eq!(request.query_string_parameters().first("limit"), Some("5"));
        assert_eq!(request.body().as_ref(), br#"{"k":1}"#);
    }

    #[test]
    fn binary_bodies_travel_base64_encoded() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/octet-stream"));
        let json = event(&headers, &[0, 159, 146, 150], None);
        assert_eq!(json["isBase64Encoded"], true);
        let request = lambda_http::request::from_str(&json.to_string()).unwrap();
        assert_eq!(request.body().as_ref(), &[0, 159, 146, 150]);
    }

    #[test]
    fn responses_keep_status_headers_cookies_and_binary_bodies() {
        let response = http::Response::builder()
            .status(201)
            .header("x-custom", "yes")
            .header("set-cookie", "a=1; Path=/")
            .header("set-cookie", "b=2")
            .body(Body::Binary(vec![0, 255, 1]))
            .unwrap();
        let json = lambda_response_json(response);
        assert_eq!(json["isBase64Encoded"], true);
        let out = http_response(json).unwrap();
        assert_eq!(out.status, 201);
        assert_eq!(out.headers["x-custom"], "yes");
        let cookies: Vec<_> = out.headers.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1; Path=/", "b=2"]);
        assert_eq!(out.body, [0, 255, 1]);
    }
}

//! The HTTP client of the public API: JSON in, JSON out, the API's errors as [`CliError::Api`].

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::error::{CliError, root_cause};

pub struct Api {
    http: reqwest::Client,
    endpoint: String,
    token: Option<String>,
}

impl Api {
    pub fn new(endpoint: &str, token: Option<String>) -> Result<Self, CliError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("forgeflow-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| CliError::Usage(format!("cannot set up HTTP: {}", root_cause(&err))))?;
        Ok(Self {
            http,
            endpoint: endpoint.to_owned(),
            token,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The token, or the error that says how to get one.
    pub fn token(&self) -> Result<&str, CliError> {
        self.token.as_deref().ok_or_else(|| CliError::NotLoggedIn {
            endpoint: self.endpoint.clone(),
        })
    }

    pub async fn get(&self, path: &str) -> Result<Value, CliError> {
        self.call(Method::GET, path, None, true).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, CliError> {
        self.call(Method::POST, path, Some(body), true).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, CliError> {
        self.call(Method::PUT, path, Some(body), true).await
    }

    pub async fn delete(&self, path: &str) -> Result<(), CliError> {
        self.call(Method::DELETE, path, None, true).await.map(|_| ())
    }

    /// A request without a token (register, login).
    pub async fn post_anonymous(&self, path: &str, body: &Value) -> Result<Value, CliError> {
        self.call(Method::POST, path, Some(body), false).await
    }

    /// `method path` with a JSON body; the answer's JSON (`null` for an empty one).
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>, auth: bool) -> Result<Value, CliError> {
        let url = format!("{}{path}", self.endpoint);
        let mut request = self.http.request(method, &url);
        if auth {
            request = request.bearer_auth(self.token()?);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|err| connection(&url, &err))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|err| connection(&url, &err))?;
        if status.is_success() {
            if bytes.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&bytes).map_err(|err| CliError::Protocol {
                url,
                reason: format!("not JSON ({err})"),
            });
        }
        Err(api_error(status, &bytes))
    }

    /// A GET of an absolute URL without our token (a presigned download, `config.json`).
    pub async fn fetch(&self, url: &str, timeout: Option<Duration>) -> Result<reqwest::Response, CliError> {
        let mut request = self.http.get(url);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let response = request.send().await.map_err(|err| connection(url, &err))?;
        if !response.status().is_success() {
            return Err(CliError::Protocol {
                url: strip_query(url).to_owned(),
                reason: format!("HTTP {}", response.status()),
            });
        }
        Ok(response)
    }
}

impl Api {
    /// PUTs `body` to a presigned URL with the headers it was signed for (no token: the URL is
    /// the permission).
    pub async fn upload(&self, url: &str, headers: &[(String, String)], body: Vec<u8>) -> Result<(), CliError> {
        let mut request = self.http.put(url).body(body);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.map_err(|err| connection(url, &err))?;
        if !response.status().is_success() {
            return Err(CliError::Protocol {
                url: strip_query(url).to_owned(),
                reason: format!("the upload was refused: HTTP {}", response.status()),
            });
        }
        Ok(())
    }
}

/// A transport failure: the endpoint is down, unreachable or timed out.
pub fn connection(url: &str, err: &reqwest::Error) -> CliError {
    CliError::Connection {
        url: strip_query(url).to_owned(),
        reason: root_cause(err),
    }
}

/// Presigned URLs carry credentials in their query: never print it.
fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// The API's `{"error": {code, message, field}}`, or the status line if the body is not that.
fn api_error(status: StatusCode, body: &[u8]) -> CliError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().map(|body| &body["error"]);
    let text = |key: &str| error.and_then(|error| error[key].as_str()).map(str::to_owned);
    CliError::Api {
        status: status.as_u16(),
        code: text("code").unwrap_or_else(|| status.as_str().to_owned()),
        message: text("message").unwrap_or_else(|| {
            format!(
                "the API answered {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_owned()
        }),
        field: text("field"),
    }
}

/// One path segment or query value, percent-encoded (ids come from the command line).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_keep_code_message_and_field() {
        let body = br#"{"error":{"code":"invalid_request","message":"must be one of these","field":"template"}}"#;
        let CliError::Api {
            status,
            code,
            message,
            field,
        } = api_error(StatusCode::BAD_REQUEST, body)
        else {
            panic!()
        };
        assert_eq!(
            (status, code.as_str(), field.as_deref()),
            (400, "invalid_request", Some("template"))
        );
        assert_eq!(message, "must be one of these");
        let CliError::Api { message, .. } = api_error(StatusCode::BAD_GATEWAY, b"<html>") else {
            panic!()
        };
        assert_eq!(message, "the API answered 502 Bad Gateway");
    }

    #[test]
    fn encodes_what_is_not_plain() {
        assert_eq!(encode("0193-ab_c.d~"), "0193-ab_c.d~");
        assert_eq!(encode("../x y"), "..%2Fx%20y");
        assert_eq!(strip_query("http://s3/b/k?X-Amz-Signature=s"), "http://s3/b/k");
    }
}

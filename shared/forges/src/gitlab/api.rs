//! GitLab v4 calls over reqwest, each through [`Session::run`]: counted, rate limits (429 with
//! `Retry-After` / `RateLimit-Reset`) waited out within the budget, transient failures retried
//! when repeating is harmless, refusals mapped to [`ForgeError`] with the token scrubbed.

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ForgeError, describe, scrub};
use crate::session::{Failure, Repeat, Session, failure};

pub(super) struct Api<'g> {
    http: &'g reqwest::Client,
    /// `…/api/v4`, without a trailing slash.
    root: &'g Url,
    token: &'g str,
    pub(super) session: Session,
}

impl<'g> Api<'g> {
    pub(super) fn new(http: &'g reqwest::Client, root: &'g Url, token: &'g str, session: Session) -> Self {
        Api {
            http,
            root,
            token,
            session,
        }
    }

    /// `segments` are percent-encoded one by one, so `group/sub/name` becomes one segment
    /// (`group%2Fsub%2Fname`), as GitLab wants a project or namespace path.
    pub(super) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url, ForgeError> {
        let mut url = self.root.clone();
        url.path_segments_mut()
            .map_err(|()| ForgeError::UnsafeUrl("the GitLab URL cannot carry a path".into()))?
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    pub(super) async fn get<T: DeserializeOwned>(&mut self, url: Url) -> Result<T, ForgeError> {
        let (_, value) = self.send(Method::GET, url, None, Repeat::Safe).await?;
        parse(value)
    }

    pub(super) async fn post<T: DeserializeOwned>(&mut self, url: Url, body: &Value) -> Result<T, ForgeError> {
        let (_, value) = self.send(Method::POST, url, Some(body), Repeat::Once).await?;
        parse(value)
    }

    /// A GET that also returns the headers (pagination).
    pub(super) async fn get_page(&mut self, url: Url) -> Result<(HeaderMap, Value), ForgeError> {
        self.send(Method::GET, url, None, Repeat::Safe).await
    }

    /// A GET of raw bytes (a blob's content).
    pub(super) async fn get_raw(&mut self, url: Url) -> Result<Vec<u8>, ForgeError> {
        let (_, bytes) = self.exchange(Method::GET, url, None, Repeat::Safe).await?;
        Ok(bytes)
    }

    async fn send(
        &mut self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        repeat: Repeat,
    ) -> Result<(HeaderMap, Value), ForgeError> {
        let what = format!("{method} {}", url.path());
        let (headers, bytes) = self.exchange(method, url, body, repeat).await?;
        if bytes.is_empty() {
            return Ok((headers, Value::Null));
        }
        let value = serde_json::from_slice(&bytes)
            .map_err(|error| ForgeError::Transport(format!("{what}: the answer is not JSON ({error})")))?;
        Ok((headers, value))
    }

    async fn exchange(
        &mut self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        repeat: Repeat,
    ) -> Result<(HeaderMap, Vec<u8>), ForgeError> {
        let what = format!("{method} {}", url.path());
        let (http, token, what) = (self.http, self.token, what.as_str());
        self.session
            .run(repeat, || {
                let mut request = http.request(method.clone(), url.clone());
                if let Some(body) = body {
                    request = request.json(body);
                }
                attempt(request, what, token)
            })
            .await
    }
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ForgeError> {
    serde_json::from_value(value)
        .map_err(|error| ForgeError::Transport(format!("GitLab's answer is not what its API documents: {error}")))
}

async fn attempt(request: RequestBuilder, what: &str, token: &str) -> Result<(HeaderMap, Vec<u8>), Failure> {
    let transient = |error: &reqwest::Error| Failure::Transient(scrub(&format!("{what}: {}", describe(error)), token));
    let response = request.send().await.map_err(|error| transient(&error))?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(|error| transient(&error))?;
    if status.is_success() {
        return Ok((headers, bytes.to_vec()));
    }
    if status.is_redirection() {
        // Redirects are not followed: they could lead the token somewhere the URL check never saw.
        let to = headers
            .get("location")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("?");
        return Err(Failure::Fatal(ForgeError::UnsafeUrl(scrub(
            &format!("{what}: GitLab redirected to {to}; configure the final URL instead"),
            token,
        ))));
    }
    let message = error_message(&bytes).unwrap_or_else(|| status.canonical_reason().unwrap_or("no reason").to_owned());
    Err(failure(
        status.as_u16(),
        &headers,
        scrub(&format!("{what}: {message}"), token),
    ))
}

/// GitLab says why in `message` (a string, or per-field lists) or in `error`/`error_description`.
fn error_message(bytes: &[u8]) -> Option<String> {
    let Ok(body) = serde_json::from_slice::<Value>(bytes) else {
        let text = String::from_utf8_lossy(bytes).trim().to_owned();
        return (!text.is_empty()).then_some(text);
    };
    let text = |value: &Value| value.as_str().map_or_else(|| value.to_string(), str::to_owned);
    match (&body["message"], &body["error"]) {
        (Value::Null, Value::Null) => Some(body.to_string()),
        (Value::Null, error) => Some(match body["error_description"].as_str() {
            Some(description) => format!("{}: {description}", text(error)),
            None => text(error),
        }),
        (message, _) => Some(text(message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitlab_error_bodies_become_readable_messages() {
        let read = |body: &str| error_message(body.as_bytes());
        assert_eq!(
            read(r#"{"message":"404 Project Not Found"}"#).as_deref(),
            Some("404 Project Not Found")
        );
        assert_eq!(
            read(r#"{"message":{"name":["has already been taken"]}}"#).as_deref(),
            Some(r#"{"name":["has already been taken"]}"#)
        );
        assert_eq!(
            read(r#"{"error":"invalid_token","error_description":"Token was revoked"}"#).as_deref(),
            Some("invalid_token: Token was revoked")
        );
        assert_eq!(read("Retry later").as_deref(), Some("Retry later"));
        assert_eq!(read(""), None);
    }
}

//! API Gateway's `@connections` endpoint accepts only SigV4-signed calls from principals it knows.
//! The local one does the same, so a signing mistake (wrong service name, region, unsigned body)
//! fails here as it would in AWS: each call is signed again with the caller's secret, found by
//! its access key id among the stack's credentials, and the two signatures must match.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::{Credentials, ProvideCredentials};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use chrono::NaiveDateTime;
use http::HeaderMap;

/// AWS refuses a signature dated further than this from its clock.
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Why a call was refused; `Display` is the message API Gateway would give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Missing Authentication Token")]
    Unsigned,
    #[error("Authorization header is malformed: {0}")]
    Malformed(&'static str),
    #[error("The security token included in the request is invalid")]
    UnknownKey,
    #[error("Credential should be scoped to correct service: 'execute-api'")]
    WrongService,
    #[error("Signature expired: the request's X-Amz-Date is more than 15 minutes from now")]
    Expired,
    #[error("The request signature we calculated does not match the signature you provided")]
    Mismatch,
}

/// The principals that may call: access key id → secret access key, and the session token that
/// temporary credentials (a role's session) must present with it.
#[derive(Default)]
pub struct Keys(RwLock<HashMap<String, (String, Option<String>)>>);

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.0.read().map(|keys| keys.len()).unwrap_or_default();
        f.debug_struct("Keys").field("count", &count).finish_non_exhaustive()
    }
}

impl Keys {
    pub fn trust(&self, credentials: &Credentials) {
        if let Ok(mut keys) = self.0.write() {
            keys.insert(
                credentials.access_key_id().to_owned(),
                (
                    credentials.secret_access_key().to_owned(),
                    credentials.session_token().map(str::to_owned),
                ),
            );
        }
    }

    /// Trusts whoever `config` signs as (the in-process handlers and workers).
    pub async fn trust_config(&self, config: &SdkConfig) {
        let Some(provider) = config.credentials_provider() else {
            return;
        };
        match provider.provide_credentials().await {
            Ok(credentials) => self.trust(&credentials),
            Err(err) => tracing::warn!(error = %err, "no credentials to trust at @connections"),
        }
    }

    /// Trusts every function's role.
    pub fn trust_principals(&self, principals: &crate::principals::Principals) {
        for credentials in principals.credentials() {
            self.trust(&credentials);
        }
    }

    fn secret(&self, access_key_id: &str) -> Option<(String, Option<String>)> {
        self.0.read().ok()?.get(access_key_id).cloned()
    }

    /// Checks a call's signature: `method`, the URI as sent (path and query, still encoded),
    /// its headers and body.
    pub fn verify(
        &self,
        method: &str,
        uri: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), Refusal> {
        let authorization = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or(Refusal::Unsigned)?;
        let parsed = Authorization::parse(authorization)?;
        if parsed.service != "execute-api" {
            return Err(Refusal::WrongService);
        }
        let (secret, session) = self.secret(parsed.access_key_id).ok_or(Refusal::UnknownKey)?;
        // A role session's key is valid only with its own token, as STS issued them together.
        if session.is_some() && header(headers, "x-amz-security-token") != session.as_deref() {
            return Err(Refusal::UnknownKey);
        }
        if !parsed.signed_headers.contains(&"host") {
            return Err(Refusal::Malformed("'Host' must be a signed header"));
        }
        let date = header(headers, "x-amz-date").ok_or(Refusal::Malformed("no X-Amz-Date"))?;
        let time = NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ")
            .map_err(|_| Refusal::Malformed("X-Amz-Date is not yyyyMMddTHHmmssZ"))?
            .and_utc();
        let time = SystemTime::from(time);
        let skew = now
            .duration_since(time)
            .or_else(|err| Ok::<_, ()>(err.duration()))
            .unwrap_or_default();
        if skew > MAX_SKEW {
            return Err(Refusal::Expired);
        }
        let token = header(headers, "x-amz-security-token").map(str::to_owned);
        let credentials = Credentials::new(parsed.access_key_id, secret, token, None, "local-gateway");
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(parsed.region)
            .name(parsed.service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|_| Refusal::Malformed("incomplete credential scope"))?
            .into();
        // Only what the caller signed goes into the canonical request, as the service does.
        let signed: Vec<(&str, &str)> = parsed
            .signed_headers
            .iter()
            .filter(|name| !matches!(**name, "x-amz-date" | "x-amz-security-token"))
            .map(|name| header(headers, name).map(|value| (*name, value)))
            .collect::<Option<_>>()
            .ok_or(Refusal::Malformed("a signed header is missing"))?;
        let request = SignableRequest::new(method, uri, signed.into_iter(), SignableBody::Bytes(body))
            .map_err(|_| Refusal::Malformed("unsignable request"))?;
        let expected = sign(request, &params).map_err(|_| Refusal::Mismatch)?;
        if constant_time_eq(expected.signature().as_bytes(), parsed.signature.as_bytes()) {
            Ok(())
        } else {
            Err(Refusal::Mismatch)
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request,
/// SignedHeaders=<a;b>, Signature=<hex>`.
struct Authorization<'a> {
    access_key_id: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    fn parse(value: &'a str) -> Result<Self, Refusal> {
        let rest = value
            .strip_prefix("AWS4-HMAC-SHA256 ")
            .ok_or(Refusal::Malformed("not AWS4-HMAC-SHA256"))?;
        let mut fields = HashMap::new();
        for part in rest.split(',') {
            let (name, value) = part
                .trim()
                .split_once('=')
                .ok_or(Refusal::Malformed("a part is not name=value"))?;
            fields.insert(name, value);
        }
        let field = |name: &'static str| fields.get(name).copied().ok_or(Refusal::Malformed(name));
        let scope: Vec<&str> = field("Credential")?.split('/').collect();
        let [access_key_id, _date, region, service, "aws4_request"] = scope[..] else {
            return Err(Refusal::Malformed(
                "Credential is not key/date/region/service/aws4_request",
            ));
        };
        Ok(Self {
            access_key_id,
            region,
            service,
            signed_headers: field("SignedHeaders")?.split(';').collect(),
            signature: field("Signature")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const URI: &str = "/@connections/Jk4aBdmLjoECJGQ%3D";

    /// Signs as the SDK does: the canonical headers, then `Authorization`.
    fn signed(credentials: &Credentials, service: &str, body: &[u8], at: SystemTime) -> HeaderMap {
        let identity = credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let host = [("host", "127.0.0.1:8787")];
        let request = SignableRequest::new("POST", URI, host.into_iter(), SignableBody::Bytes(body)).unwrap();
        let (instructions, _) = sign(request, &params).unwrap().into_parts();
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:8787"));
        for (name, value) in instructions.headers() {
            headers.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    fn keys(credentials: &Credentials) -> Keys {
        let keys = Keys::default();
        keys.trust(credentials);
        keys
    }

    #[test]
    fn a_call_signed_by_a_known_principal_passes_and_any_change_fails() {
        let now = SystemTime::now();
        let admin = Credentials::new("AKIAADMIN", "s3cr3t", Some("token".into()), None, "test");
        let keys = keys(&admin);
        let headers = signed(&admin, "execute-api", b"{\"a\":1}", now);
        assert_eq!(keys.verify("POST", URI, &headers, b"{\"a\":1}", now), Ok(()));
        assert_eq!(
            keys.verify("POST", URI, &headers, b"{\"a\":2}", now),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            keys.verify("DELETE", URI, &headers, b"{\"a\":1}", now),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            keys.verify("POST", "/@connections/other", &headers, b"{\"a\":1}", now),
            Err(Refusal::Mismatch)
        );
        let later = now + Duration::from_secs(16 * 60);
        assert_eq!(
            keys.verify("POST", URI, &headers, b"{\"a\":1}", later),
            Err(Refusal::Expired)
        );
    }

    #[test]
    fn unsigned_unknown_and_misdirected_calls_are_refused() {
        let now = SystemTime::now();
        let admin = Credentials::new("AKIAADMIN", "s3cr3t", None, None, "test");
        let keys = keys(&admin);
        assert_eq!(
            keys.verify("POST", URI, &HeaderMap::new(), b"", now),
            Err(Refusal::Unsigned)
        );
        let stranger = Credentials::new("AKIASTRANGER", "s3cr3t", None, None, "test");
        let headers = signed(&stranger, "execute-api", b"", now);
        assert_eq!(keys.verify("POST", URI, &headers, b"", now), Err(Refusal::UnknownKey));
        let wrong_secret = Credentials::new("AKIAADMIN", "guess", None, None, "test");
        let headers = signed(&wrong_secret, "execute-api", b"", now);
        assert_eq!(keys.verify("POST", URI, &headers, b"", now), Err(Refusal::Mismatch));
        let headers = signed(&admin, "apigateway", b"", now);
        assert_eq!(keys.verify("POST", URI, &headers, b"", now), Err(Refusal::WrongService));
    }

    #[test]
    fn a_session_key_needs_its_own_token_and_the_host_must_be_signed() {
        let now = SystemTime::now();
        let role = Credentials::new("ASIAROLE", "s3cr3t", Some("session-1".into()), None, "test");
        let keys = keys(&role);
        let other_session = Credentials::new("ASIAROLE", "s3cr3t", Some("session-2".into()), None, "test");
        let headers = signed(&other_session, "execute-api", b"", now);
        assert_eq!(keys.verify("POST", URI, &headers, b"", now), Err(Refusal::UnknownKey));
        let no_token = Credentials::new("ASIAROLE", "s3cr3t", None, None, "test");
        let headers = signed(&no_token, "execute-api", b"", now);
        assert_eq!(keys.verify("POST", URI, &headers, b"", now), Err(Refusal::UnknownKey));

        let mut headers = signed(&role, "execute-api", b"", now);
        let authorization = headers[http::header::AUTHORIZATION].to_str().unwrap().to_owned();
        let without_host = authorization.replace("SignedHeaders=host;", "SignedHeaders=");
        assert_ne!(authorization, without_host, "{authorization}");
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&without_host).unwrap(),
        );
        assert!(matches!(
            keys.verify("POST", URI, &headers, b"", now),
            Err(Refusal::Malformed(_))
        ));
    }
}

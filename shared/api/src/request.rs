//! Reading what a caller sent: a JSON body, path parameters, query parameters.
//! Every refusal names the field at fault.

use std::str::FromStr;

use lambda_http::http::header;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Bodies are small JSON documents; anything bigger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The request body as `T`. Unknown fields, wrong types and malformed JSON are 400s naming the field.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
        let essence = content_type
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default();
        let essence = essence.trim().to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    parse_json(body_bytes(req))
}

/// The body as bytes (a base64 body already decoded by the runtime).
pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// Every route's limit, checked by the guard before any handler: whether a route reads its body
/// as JSON, as optional JSON or as the raw bytes a signature covers, it never sees more.
pub fn within_body_limit(req: &Request) -> Result<(), ApiError> {
    if body_bytes(req).len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    Ok(())
}

/// Like `json_body`, but an absent body means "all defaults".
pub fn json_body_or_default<T: DeserializeOwned + Default>(req: &Request) -> Result<T, ApiError> {
    let empty = match req.body() {
        Body::Empty => true,
        Body::Text(text) => text.trim().is_empty(),
        Body::Binary(bytes) => bytes.iter().all(u8::is_ascii_whitespace),
        _ => true,
    };
    if empty { Ok(T::default()) } else { json_body(req) }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("body", "a JSON body is required"));
    }
    // Parsed as a value first so that an array or scalar body is refused as a whole instead of
    // being read positionally into a struct's fields.
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
        ApiError::bad_request("body", format!("malformed JSON: {}", strip_position(&err.to_string())))
    })?;
    if !value.is_object() {
        return Err(ApiError::bad_request("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(describe)
}

fn describe(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let message = strip_position(&err.into_inner().to_string()).to_owned();
    // For unknown and missing fields the path stops at the enclosing object; name the field itself.
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let field = match (path.as_str(), named) {
        (".", Some(name)) => name.to_owned(),
        (path, Some(name)) if path == name || path.ends_with(&format!(".{name}")) => path.to_owned(),
        (".", None) => "body".to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (path, None) => path.to_owned(),
    };
    ApiError::bad_request(field, message)
}

fn strip_position(message: &str) -> &str {
    message.rsplit_once(" at line ").map_or(message, |(head, _)| head)
}

/// API Gateway's id for this request (the `apigw-requestid` response header), for logs and errors.
pub fn request_id(req: &Request) -> String {
    match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    }
    .or_else(|| req.lambda_context_ref().map(|context| context.request_id.clone()))
    .unwrap_or_default()
}

/// A path parameter parsed as `T` (ids, mostly); a malformed one is a 400 naming it.
pub fn path_param<T: FromStr>(req: &Request, name: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    let params = req.path_parameters();
    let raw = params
        .first(name)
        .ok_or_else(|| ApiError::bad_request(name, "missing path parameter"))?;
    raw.parse()
        .map_err(|err: T::Err| ApiError::bad_request(name, err.to_string()))
}

/// An optional query parameter parsed as `T`.
pub fn query_param<T: FromStr>(req: &Request, name: &str) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    let params = req.query_string_parameters();
    params
        .first(name)
        .map(|raw| {
            raw.parse()
                .map_err(|err: T::Err| ApiError::bad_request(name, err.to_string()))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        flag: bool,
    }

    fn field_of(json: &str) -> String {
        match parse_json::<Outer>(json.as_bytes()).unwrap_err() {
            ApiError::BadRequest { field, .. } => field,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn each_kind_of_bad_body_names_the_right_field() {
        assert_eq!(field_of(""), "body");
        assert_eq!(field_of("{"), "body");
        assert_eq!(field_of("[1,2]"), "body");
        assert_eq!(field_of(r#"{"name": 5}"#), "name");
        assert_eq!(field_of(r#"{}"#), "name");
        assert_eq!(field_of(r#"{"name": "a", "extra": 1}"#), "extra");
        assert_eq!(field_of(r#"{"name": "a", "inner": {"flag": "yes"}}"#), "inner.flag");
        assert_eq!(field_of(r#"{"name": "a", "inner": {"flag": true, "x": 1}}"#), "inner.x");
        assert_eq!(field_of(r#"{"name": "a", "inner": {}}"#), "inner.flag");
        assert_eq!(field_of(r#"{"name": "a"} {}"#), "body");
    }

    #[test]
    fn messages_leave_out_parser_positions() {
        let ApiError::BadRequest { message, .. } = parse_json::<Outer>(br#"{"name": 5}"#).unwrap_err() else {
            panic!("expected a 400");
        };
        assert!(message.starts_with("invalid type"), "{message}");
        assert!(!message.contains("line"), "{message}");
    }

    #[test]
    fn bodies_over_the_limit_are_413() {
        let big = format!(r#"{{"name": "{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert!(matches!(
            parse_json::<Outer>(big.as_bytes()),
            Err(ApiError::PayloadTooLarge { .. })
        ));
    }
}

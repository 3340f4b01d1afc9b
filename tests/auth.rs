use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use forgeflow_tests::{spawn_app, unique_email};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn registering_returns_a_token_that_opens_me() {
    let app = spawn_app().await;
    let user = app.register().await;
    let me = app.call(Method::GET, "/me", Some(&user.token), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], user.id.as_str());
    assert_eq!(me.body["email"], user.email.as_str());
    assert!(
        me.body.get("password_hash").is_none(),
        "the hash must never be returned"
    );
}

#[tokio::test]
async fn registering_an_address_twice_is_a_409_even_in_other_case() {
    let app = spawn_app().await;
    let email = unique_email();
    let body = |email: &str| Some(json!({"email": email, "password": "correct horse battery"}));
    let first = app.call(Method::POST, "/auth/register", None, body(&email)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let second = app
        .call(Method::POST, "/auth/register", None, body(&email.to_uppercase()))
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.error_code(), "email_taken");
}

#[tokio::test]
async fn login_gives_a_token_for_the_right_password_only() {
    let app = spawn_app().await;
    let user = app.register().await;
    let login = |password: &str| Some(json!({"email": user.email, "password": password}));
    let ok = app
        .call(Method::POST, "/auth/login", None, login("correct horse battery"))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["user"]["id"], user.id.as_str());
    let token = ok.body["token"].as_str().unwrap();
    assert_eq!(
        app.call(Method::GET, "/me", Some(token), None).await.status,
        StatusCode::OK
    );

    let wrong = app
        .call(Method::POST, "/auth/login", None, login("wrong horse battery"))
        .await;
    let unknown = app
        .call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": unique_email(), "password": "whatever123"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.body, unknown.body,
        "an unknown address must look like a wrong password"
    );
}

#[tokio::test]
async fn passwords_are_stored_only_as_argon2id_hashes() {
    let app = spawn_app().await;
    let user = app.register().await;
    let item = app
        .context
        .clients
        .dynamo
        .get_item()
        .table_name(&app.stack.table)
        .key("pk", AttributeValue::S(format!("USER#{}", user.id)))
        .key("sk", AttributeValue::S("USER".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the user row is in DynamoDB");
    let hash = item["password_hash"].as_s().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("correct horse"));
    assert_eq!(item["email"].as_s().unwrap(), &user.email);
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[tokio::test]
async fn me_refuses_missing_expired_misdirected_unsigned_and_foreign_tokens() {
    let app = spawn_app().await;
    let user = app.register().await;
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, aud: &str| json!({"sub": user.id, "iss": "forgeflow", "aud": aud, "iat": now, "exp": exp});
    let not_before = |nbf: i64| {
        let mut claims = claims(now + 1200, "forgeflow-api");
        claims["nbf"] = nbf.into();
        claims
    };
    let secret = app.jwt_secret.as_bytes();
    let valid = sign(&claims(now + 600, "forgeflow-api"), Algorithm::HS256, secret);
    assert_eq!(
        app.call(Method::GET, "/me", Some(&valid), None).await.status,
        StatusCode::OK,
        "control"
    );

    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims(now + 600, "forgeflow-api").to_string())
    );
    let cases = [
        (
            "expired",
            Some(sign(&claims(now - 600, "forgeflow-api"), Algorithm::HS256, secret)),
        ),
        (
            "wrong audience",
            Some(sign(&claims(now + 600, "another-api"), Algorithm::HS256, secret)),
        ),
        ("alg none", Some(unsigned)),
        (
            "other key",
            Some(sign(&claims(now + 600, "forgeflow-api"), Algorithm::HS256, &[7u8; 64])),
        ),
        (
            "other algorithm",
            Some(sign(&claims(now + 600, "forgeflow-api"), Algorithm::HS384, secret)),
        ),
        ("missing", None),
        (
            "not yet valid (nbf)",
            Some(sign(&not_before(now + 600), Algorithm::HS256, secret)),
        ),
    ];
    for (what, token) in cases {
        let response = app.call(Method::GET, "/me", token.as_deref(), None).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(response.headers["www-authenticate"], "Bearer", "{what}");
        assert_eq!(response.error_code(), "unauthorized", "{what}");
    }
    let expired = app
        .call(
            Method::GET,
            "/me",
            Some(&sign(&claims(now - 600, "forgeflow-api"), Algorithm::HS256, secret)),
            None,
        )
        .await;
    assert_eq!(expired.body["error"]["message"], "token expired");
}

#[tokio::test]
async fn bad_registrations_name_the_field_at_fault() {
    let app = spawn_app().await;
    let cases = [
        (json!({"email": "not-an-email", "password": "correct horse"}), "email"),
        (json!({"email": unique_email(), "password": "short"}), "password"),
        (json!({"email": unique_email()}), "password"),
        (json!({"email": 42, "password": "correct horse"}), "email"),
        (
            json!({"email": unique_email(), "password": "correct horse", "admin": true}),
            "admin",
        ),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (body, field) in cases {
        let response = app.call(Method::POST, "/auth/register", None, Some(body.clone())).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_field(), field, "{body}: {}", response.body);
        assert!(
            response.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[tokio::test]
async fn malformed_oversize_and_non_json_bodies_are_refused() {
    let app = spawn_app().await;
    let json_post = |body: String| {
        app.raw(Method::POST, "/auth/register")
            .header("content-type", "application/json")
            .body(body)
    };

    let malformed = app.send(json_post(r#"{"email": "a@b.co", "password": "#.into())).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.error_field(), "body");

    let empty = app.send(json_post(String::new())).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.error_field(), "body");

    let huge = format!(r#"{{"email": "a@b.co", "password": "{}"}}"#, "x".repeat(300 * 1024));
    let too_large = app.send(json_post(huge)).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.error_field(), "body");

    let form = app
        .send(
            app.raw(Method::POST, "/auth/register")
                .header("content-type", "text/plain")
                .body("email=a"),
        )
        .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(form.error_field(), "content-type");
}

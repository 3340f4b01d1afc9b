//! Access tokens: HS256 JWTs. The algorithm is pinned, and `exp`, `iss`, `aud` and `sub`
//! are required, so `alg: none`, a token signed with another key or algorithm, an expired
//! token or one minted for another audience are all refused alike. `nbf`, when present, is
//! honoured (a token not yet valid is refused), and so is an `iat` in the future.

use chrono::{DateTime, Duration, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::user::User;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use lambda_http::Request;
use lambda_http::http::header;
use serde::{Deserialize, Serialize};

use crate::ApiError;

const ALGORITHM: Algorithm = Algorithm::HS256;
/// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
const LEEWAY_S: u64 = 5;
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// What verification reads: `nbf` is optional there (jsonwebtoken checks it when present).
#[derive(Debug, Deserialize)]
struct Verified {
    sub: String,
    #[serde(default)]
    iat: Option<i64>,
}

/// Issues and verifies tokens. Keys are derived once, when the Lambda container starts.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    lifetime: Duration,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the JWT secret must be at least {MIN_SECRET_BYTES} bytes")]
pub struct WeakSecret;

pub struct Issued {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl Tokens {
    pub fn new(secret: &[u8], issuer: &str, audience: &str, lifetime: Duration) -> Result<Self, WeakSecret> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(WeakSecret);
        }
        let mut validation = Validation::new(ALGORITHM);
        validation.algorithms = vec![ALGORITHM];
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_S;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            lifetime,
        })
    }

    pub fn issue(&self, user: Id<User>, now: DateTime<Utc>) -> Result<Issued, ApiError> {
        let expires_at = now + self.lifetime;
        let claims = Claims {
            sub: user.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token =
            jsonwebtoken::encode(&Header::new(ALGORITHM), &claims, &self.encoding).map_err(ApiError::internal)?;
        Ok(Issued { token, expires_at })
    }

    pub fn verify(&self, token: &str) -> Result<Id<User>, ApiError> {
        let data = jsonwebtoken::decode::<Verified>(token, &self.decoding, &self.validation).map_err(|err| {
            ApiError::Unauthorized(match err.kind() {
                ErrorKind::ExpiredSignature => "token expired",
                ErrorKind::ImmatureSignature => "token not yet valid",
                _ => "invalid token",
            })
        })?;
        // jsonwebtoken does not check `iat`; one from the future is a clock or a forgery.
        if data
            .claims
            .iat
            .is_some_and(|iat| iat > Utc::now().timestamp() + LEEWAY_S as i64)
        {
            return Err(ApiError::Unauthorized("token not yet valid"));
        }
        data.claims
            .sub
            .parse()
            .map_err(|_| ApiError::Unauthorized("invalid token"))
    }

    /// The caller's user id, from `Authorization: Bearer <token>`: verified once per request (the
    /// guard marks a request it verified, so the handler does not check the signature again).
    pub fn authenticate(&self, req: &Request) -> Result<Id<User>, ApiError> {
        if let Some(Authenticated(user)) = req.extensions().get::<Authenticated>() {
            return Ok(*user);
        }
        let value = req
            .headers()
            .get(header::AUTHORIZATION)
            .ok_or(ApiError::Unauthorized("missing bearer token"))?;
        let value = value.to_str().map_err(|_| ApiError::Unauthorized("invalid token"))?;
        let (scheme, token) = value
            .split_once(' ')
            .ok_or(ApiError::Unauthorized("missing bearer token"))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::Unauthorized("missing bearer token"));
        }
        self.verify(token.trim())
    }
}

/// A request whose bearer token was verified, and whose it is. Only set inside the process (a
/// client cannot send request extensions).
#[derive(Debug, Clone, Copy)]
pub struct Authenticated(pub Id<User>);

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn tokens() -> Tokens {
        Tokens::new(SECRET, "forgeflow", "forgeflow-api", Duration::hours(1)).unwrap()
    }

    fn request(authorization: Option<&str>) -> Request {
        let mut builder = lambda_http::http::Request::builder();
        if let Some(value) = authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        builder.body(lambda_http::Body::Empty).unwrap()
    }

    #[test]
    fn a_request_the_guard_verified_is_not_verified_again_and_others_are() {
        let tokens = tokens();
        let user = Id::new();
        let issued = tokens.issue(user, Utc::now()).unwrap();
        let bearer = format!("Bearer {}", issued.token);
        assert_eq!(tokens.authenticate(&request(Some(&bearer))).unwrap(), user);
        assert!(tokens.authenticate(&request(Some("Bearer forged.token.here"))).is_err());
        assert!(tokens.authenticate(&request(None)).is_err());

        let mut marked = request(None);
        marked.extensions_mut().insert(Authenticated(user));
        assert_eq!(tokens.authenticate(&marked).unwrap(), user);
    }

    fn sign(claims: &serde_json::Value, alg: Algorithm, secret: &[u8]) -> String {
        jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    fn claims(exp_offset: i64, aud: &str) -> serde_json::Value {
        let now = Utc::now().timestamp();
        serde_json::json!({"sub": Id::<User>::new().to_string(), "iss": "forgeflow", "aud": aud, "iat": now, "exp": now + exp_offset})
    }

    #[test]
    fn an_issued_token_verifies_to_its_user() {
        let user = Id::new();
        let issued = tokens().issue(user, Utc::now()).unwrap();
        assert_eq!(tokens().verify(&issued.token).unwrap(), user);
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(Tokens::new(b"short", "i", "a", Duration::hours(1)).is_err());
    }

    #[test]
    fn forged_expired_and_misdirected_tokens_are_refused() {
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims(3600, "forgeflow-api").to_string())
        );
        let cases = [
            ("expired", sign(&claims(-3600, "forgeflow-api"), ALGORITHM, SECRET)),
            ("other audience", sign(&claims(3600, "someone-else"), ALGORITHM, SECRET)),
            (
                "other key",
                sign(
                    &claims(3600, "forgeflow-api"),
                    ALGORITHM,
                    b"another-secret-another-secret-xx",
                ),
            ),
            (
                "other algorithm",
                sign(&claims(3600, "forgeflow-api"), Algorithm::HS512, SECRET),
            ),
            ("alg none", unsigned),
            ("garbage", "not.a.jwt".to_owned()),
        ];
        for (what, token) in cases {
            assert!(
                matches!(tokens().verify(&token), Err(ApiError::Unauthorized(_))),
                "{what} was accepted"
            );
        }
    }

    #[test]
    fn a_token_not_yet_valid_is_refused() {
        let mut future_nbf = claims(7200, "forgeflow-api");
        future_nbf["nbf"] = (Utc::now().timestamp() + 3600).into();
        assert!(matches!(
            tokens().verify(&sign(&future_nbf, ALGORITHM, SECRET)),
            Err(ApiError::Unauthorized("token not yet valid"))
        ));
        let mut future_iat = claims(7200, "forgeflow-api");
        future_iat["iat"] = (Utc::now().timestamp() + 3600).into();
        assert!(tokens().verify(&sign(&future_iat, ALGORITHM, SECRET)).is_err());

        let mut past_nbf = claims(3600, "forgeflow-api");
        past_nbf["nbf"] = (Utc::now().timestamp() - 60).into();
        assert!(tokens().verify(&sign(&past_nbf, ALGORITHM, SECRET)).is_ok());
    }

    #[test]
    fn issued_tokens_carry_nbf() {
        let issued = tokens().issue(Id::new(), Utc::now()).unwrap();
        let payload = issued.token.split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(claims["nbf"], claims["iat"]);
    }

    #[test]
    fn a_token_without_exp_is_refused() {
        let mut no_exp = claims(3600, "forgeflow-api");
        no_exp.as_object_mut().unwrap().remove("exp");
        assert!(tokens().verify(&sign(&no_exp, ALGORITHM, SECRET)).is_err());
    }
}

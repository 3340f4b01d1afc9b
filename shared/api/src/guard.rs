//! What happens around every handler, in Lambda and on the local stack alike: the rate limit
//! before it, then the one error mapping, the audit entry of a successful change, and one access
//! log line with the request id.

use std::future::Future;
use std::time::Instant;

use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::audit::{AuditEntry, is_mutation};
use forgeflow_domain::rate_limit::{RateLimit, Window};
use forgeflow_domain::user::User;
use forgeflow_store::Env;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::token::Authenticated;
use crate::{ApiContext, ApiError, ApiResult, request, respond};

/// Requests per window, from the environment ([`RateLimits::PER_USER_VAR`] and the others), 600
/// and 30 a minute by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Per signed-in user (per address for calls without a valid token).
    pub per_user: RateLimit,
    /// Per address on `/auth/*`, where guessing passwords would otherwise be free.
    pub auth_per_ip: RateLimit,
    /// WebSocket messages per connection, and per user over all their connections.
    pub ws_per_connection: RateLimit,
    pub ws_per_user: RateLimit,
}

impl RateLimits {
    pub const PER_USER_VAR: &str = "FORGEFLOW_RATE_LIMIT";
    pub const AUTH_PER_IP_VAR: &str = "FORGEFLOW_AUTH_RATE_LIMIT";
    pub const WINDOW_VAR: &str = "FORGEFLOW_RATE_WINDOW_SECONDS";
    pub const WS_PER_CONNECTION_VAR: &str = "FORGEFLOW_WS_RATE_LIMIT";
    pub const WS_PER_USER_VAR: &str = "FORGEFLOW_WS_USER_RATE_LIMIT";

    pub fn from_env(env: &Env) -> Self {
        let window_s = env.number(Self::WINDOW_VAR, 60u64).max(1);
        Self {
            per_user: RateLimit {
                limit: env.number(Self::PER_USER_VAR, 600),
                window_s,
            },
            auth_per_ip: RateLimit {
                limit: env.number(Self::AUTH_PER_IP_VAR, 30),
                window_s,
            },
            // A page subscribes to a handful of topics and pings now and then.
            ws_per_connection: RateLimit {
                limit: env.number(Self::WS_PER_CONNECTION_VAR, 120),
                window_s,
            },
            ws_per_user: RateLimit {
                limit: env.number(Self::WS_PER_USER_VAR, 600),
                window_s,
            },
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::from_env(&Env::default())
    }
}

/// What the guard needs to know of a request before the handler consumes it.
struct Call {
    method: String,
    route: String,
    path: String,
    source_ip: String,
    request_id: String,
    caller: Option<Id<User>>,
}

impl Call {
    async fn of(ctx: &ApiContext, req: &Request) -> Self {
        let (route, source_ip) = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => (
                context.route_key.clone().unwrap_or_default(),
                context.http.source_ip.clone().unwrap_or_default(),
            ),
            _ => (String::new(), String::new()),
        };
        Self {
            method: req.method().as_str().to_owned(),
            route,
            path: req.uri().path().to_owned(),
            source_ip,
            request_id: request::request_id(req),
            caller: caller(ctx, req).await,
        }
    }

    fn is_auth(&self) -> bool {
        self.route.starts_with("POST /auth/")
    }
}

/// Who the request's bearer token says it is, if it carries a valid one. A request without one
/// never makes a function that loads its key on first use read it.
async fn caller(ctx: &ApiContext, req: &Request) -> Option<Id<User>> {
    if !req.headers().contains_key(lambda_http::http::header::AUTHORIZATION) {
        return None;
    }
    match ctx.tokens().await {
        Ok(tokens) => tokens.authenticate(req).ok(),
        Err(err) => {
            tracing::warn!(error = %err, "no signing key: the caller is limited by address");
            None
        }
    }
}

/// Runs `handler` on `req` inside the guard and returns the HTTP response.
pub async fn guarded<F, Fut>(ctx: &ApiContext, req: Request, handler: F) -> Response<Body>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = ApiResult>,
{
    let started = Instant::now();
    let call = Call::of(ctx, &req).await;
    let mut req = req;
    if let Some(user) = call.caller {
        req.extensions_mut().insert(Authenticated(user));
    }
    let admitted = match limit(ctx, &call, Utc::now()).await {
        Ok(()) => crate::request::within_body_limit(&req),
        Err(refused) => Err(refused),
    };
    let result = match admitted {
        Ok(()) => handler(req).await,
        Err(refused) => Err(refused),
    };
    let response = respond(result, &call.request_id);
    let status = response.status();
    if is_mutation(&call.method) && status.is_success() {
        record(ctx, &call, &response).await;
    }
    tracing::info!(
        request_id = call.request_id,
        route = call.route,
        status = status.as_u16(),
        user = call.caller.map(|user| user.to_string()),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Counts one hit of `scope` in `limit`'s window: the count so far, or `None` when the counter
/// cannot be reached, which lets the hit through (see [`limit`]).
pub async fn count(ctx: &ApiContext, scope: &str, limit: RateLimit, now: DateTime<Utc>) -> Option<(u64, Window)> {
    let window = limit.window(now);
    match ctx.rate_counters.hit(scope, window.start, limit.window_s).await {
        Ok(count) => Some((count, window)),
        Err(err) => {
            tracing::warn!(error = %err, scope, "rate counter unavailable; letting the request through");
            None
        }
    }
}

/// Counts the call in its window; over the limit is a 429 with the seconds to wait. A counter
/// that cannot be reached lets the call through: the limit protects the service, an outage of
/// the counter must not become an outage of the service.
async fn limit(ctx: &ApiContext, call: &Call, now: DateTime<Utc>) -> Result<(), ApiError> {
    let (scope, limit) = match call.caller {
        _ if call.is_auth() => (format!("auth-ip:{}", call.source_ip), ctx.rate_limits.auth_per_ip),
        Some(user) => (format!("user:{user}"), ctx.rate_limits.per_user),
        None => (format!("ip:{}", call.source_ip), ctx.rate_limits.per_user),
    };
    match count(ctx, &scope, limit, now).await {
        Some((count, window)) if !limit.allows(count) => Err(ApiError::RateLimited {
            retry_after_s: window.retry_after_s,
        }),
        _ => Ok(()),
    }
}

/// Writes the audit entry of a successful change. Its user is the caller, or for
/// register / login the account the response names.
async fn record(ctx: &ApiContext, call: &Call, response: &Response<Body>) {
    let user = call.caller.or_else(|| {
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).ok()?;
        body["user"]["id"].as_str()?.parse().ok()
    });
    let Some(user_id) = user else {
        return; // a webhook call: no user to file it under
    };
    let entry = AuditEntry {
        id: Id::new(),
        user_id,
        action: call.route.clone(),
        path: call.path.clone(),
        status: response.status().as_u16(),
        request_id: call.request_id.clone(),
        source_ip: call.source_ip.clone(),
        at: Utc::now(),
    };
    if let Err(err) = ctx.audit.record(&entry).await {
        tracing::error!(request_id = call.request_id, error = %err, "could not record the audit entry");
    }
}

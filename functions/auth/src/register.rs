use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, password, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::user::{Credentials, Email, Password, User, UserView};
use forgeflow_store::StoreError;

use crate::Session;

/// Creates an account and signs it in. A taken address is a 409.
#[utoipa::path(
    post, path = "/auth/register", tag = "auth", operation_id = "auth-register",
    request_body = Credentials,
    responses(
        (status = 201, description = "Account created and signed in", body = Session),
        (status = 400, description = "Malformed body, e-mail or password (8 to 256 characters)"),
        (status = 409, description = "An account with this e-mail exists (`email_taken`)"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let credentials: Credentials = request::json_body(&req)?;
    let email = Email::parse(&credentials.email)?;
    let password = Password::parse(credentials.password)?;
    let now = Utc::now();
    let user = User {
        id: Id::new(),
        email,
        password_hash: password::hash(password.expose().to_owned()).await?,
        created_at: now,
    };
    ctx.users.create(&user).await.map_err(|err| match err {
        StoreError::Conflict(_) => ApiError::Conflict {
            code: "email_taken",
            message: "an account with this email already exists".into(),
        },
        other => other.into(),
    })?;
    tracing::info!(user_id = %user.id, "user registered");
    let issued = ctx.tokens().await?.issue(user.id, now)?;
    response::created(&Session {
        user: UserView::from(&user),
        token: issued.token,
        token_type: "Bearer",
        expires_at: issued.expires_at,
    })
}

use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, password, request, response};
use forgeflow_domain::user::{Credentials, Email, UserView};

use crate::Session;

/// Exchanges an e-mail and password for a token. Unknown address and wrong password get the
/// same answer in about the same time, so the endpoint does not reveal who has an account.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth", operation_id = "auth-login",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in", body = Session),
        (status = 400, description = "Malformed body, e-mail or empty password"),
        (status = 401, description = "Wrong e-mail or password"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let credentials: Credentials = request::json_body(&req)?;
    let email = Email::parse(&credentials.email)?;
    if credentials.password.is_empty() {
        return Err(ApiError::bad_request("password", "must not be empty"));
    }
    let user = ctx.users.find_by_email(&email).await?;
    let stored = user.as_ref().map(|user| user.password_hash.clone());
    let user = match (password::verify(credentials.password, stored).await?, user) {
        (true, Some(user)) => user,
        _ => return Err(ApiError::Unauthorized("wrong email or password")),
    };
    let issued = ctx.tokens().await?.issue(user.id, Utc::now())?;
    response::ok(&Session {
        user: UserView::from(&user),
        token: issued.token,
        token_type: "Bearer",
        expires_at: issued.expires_at,
    })
}

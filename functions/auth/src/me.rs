use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, response};
use forgeflow_domain::user::UserView;

/// The signed-in user.
#[utoipa::path(
    get, path = "/me", tag = "auth", operation_id = "auth-me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user the token names", body = UserView),
        (status = 401, description = "Missing, expired or invalid token, or the account is gone"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let user_id = ctx.tokens().await?.authenticate(&req)?;
    let user = ctx
        .users
        .get(user_id)
        .await?
        .ok_or(ApiError::Unauthorized("the account behind this token no longer exists"))?;
    response::ok(&UserView::from(&user))
}

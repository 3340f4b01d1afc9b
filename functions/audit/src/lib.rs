//! The audit log's reader. Entries are written by the guard around every handler
//! (`forgeflow_api::guard`) after each successful change.

use forgeflow_api::{ApiContext, ApiResult, Request, cursor, response};
use forgeflow_domain::audit::AuditEntry;
use serde::Serialize;
use utoipa::ToSchema;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[forgeflow_api::http_function!("audit-list", list)];

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass back as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /audit`: the caller's own entries, newest first, `limit` at a time.
#[utoipa::path(
    get, path = "/audit", tag = "audit", operation_id = "audit-list",
    security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 20 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of the caller's audit entries, newest first", body = AuditPage),
        (status = 400, description = "`limit` out of range or a `cursor` this API did not issue"),
        (status = 401, description = "Missing, expired or invalid token"),
    ),
)]
pub async fn list(ctx: &ApiContext, req: Request) -> ApiResult {
    let user = ctx.tokens().await?.authenticate(&req)?;
    let cursor::PageRequest { limit, after } = cursor::page_request(&req)?;
    let page = ctx.audit.list(user, limit, after).await?;
    response::ok(&AuditPage {
        items: page.items,
        next_cursor: page.next.map(|id| cursor::encode(&id)),
    })
}

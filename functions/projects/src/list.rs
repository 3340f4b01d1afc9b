use forgeflow_api::{ApiContext, ApiResult, Request, cursor, response};
use forgeflow_domain::execution::ExecutionSummary;
use forgeflow_domain::project::Project;
use forgeflow_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// A project in the list, with its newest run, so a dashboard needs one request.
#[derive(Serialize, ToSchema)]
pub struct ProjectItem {
    #[serde(flatten)]
    pub project: Project,
    /// Its newest execution (as `GET /projects/{id}/executions` lists it); null before its first.
    pub last_run: Option<ExecutionSummary>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectPage {
    pub items: Vec<ProjectItem>,
    /// Pass back as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The caller's projects, newest first, `limit` at a time; `next_cursor` continues the listing.
#[utoipa::path(
    get, path = "/projects", tag = "projects", operation_id = "projects-list",
    security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 20 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of the caller's projects, newest first, each with its newest run", body = ProjectPage),
        (status = 400, description = "`limit` out of range or a `cursor` this API did not issue"),
        (status = 401, description = "Missing, expired or invalid token"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let cursor::PageRequest { limit, after } = cursor::page_request(&req)?;
    let page = ctx.projects.list(owner, limit, after).await?;
    // One query per project, all at once: a page is at most 100.
    let runs = page.items.iter().map(|project| async move {
        let newest = ctx.engine.executions.list_for_project(project.id, 1, None).await?;
        Ok::<_, StoreError>(newest.items.into_iter().next().map(ExecutionSummary::from))
    });
    let runs = futures_util::future::try_join_all(runs).await?;
    let items = page
        .items
        .into_iter()
        .zip(runs)
        .map(|(project, last_run)| ProjectItem { project, last_run })
        .collect();
    // A hundred briefs of 20,000 characters would not fit one Lambda response.
    let (items, next) = cursor::fit_page(items, page.next, |item| item.project.id);
    response::ok(&ProjectPage {
        items,
        next_cursor: next.map(|id| cursor::encode(&id)),
    })
}

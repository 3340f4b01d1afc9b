//! A user's spending by month, and the monthly budget that caps it.

use std::collections::BTreeMap;

use chrono::Utc;
use forgeflow_api::{ApiContext, ApiResult, Request, request, response};
use forgeflow_domain::budget::{Budget, Spend, UsageLine, month_of, parse_month};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct UsageView {
    /// `YYYY-MM`
    pub month: String,
    /// The monthly budget (empty: unlimited).
    pub budget: Budget,
    pub spent: Spend,
    pub by_project: Vec<ProjectUsage>,
    pub by_model: Vec<ModelUsage>,
    /// Each project and model of the month.
    pub lines: Vec<UsageLine>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectUsage {
    #[schema(value_type = uuid::Uuid)]
    pub project_id: String,
    pub cost_usd: f64,
    pub tokens: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ModelUsage {
    pub model: String,
    pub cost_usd: f64,
    pub tokens: u64,
}

/// Tokens and cost of a month (the current one by default), per project and per model, with the
/// monthly budget.
#[utoipa::path(
    get, path = "/usage", tag = "usage", operation_id = "usage-get",
    security(("bearer" = [])),
    params(("month" = Option<String>, Query, description = "`YYYY-MM`; the current month by default")),
    responses(
        (status = 200, description = "The month's usage", body = UsageView),
        (status = 400, description = "A month that is not YYYY-MM (`month`)"),
        (status = 401, description = "Missing, expired or invalid token"),
    ),
)]
pub async fn get(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let month = match request::query_param::<String>(&req, "month")? {
        Some(text) => parse_month(&text)?,
        None => month_of(Utc::now()),
    };
    let spending = &ctx.engine.spending;
    let budget = spending.monthly_budget(owner).await?;
    let usage = spending.month(owner, &month).await?;
    let mut projects: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    let mut models: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    for line in &usage.lines {
        let project = projects.entry(line.project_id.to_string()).or_default();
        *project = (project.0 + line.cost_usd, project.1 + line.tokens);
        let model = models.entry(line.model.clone()).or_default();
        *model = (model.0 + line.cost_usd, model.1 + line.tokens);
    }
    response::ok(&UsageView {
        month,
        budget,
        spent: usage.spent,
        by_project: projects
            .into_iter()
            .map(|(project_id, (cost_usd, tokens))| ProjectUsage {
                project_id,
                cost_usd,
                tokens,
            })
            .collect(),
        by_model: models
            .into_iter()
            .map(|(model, (cost_usd, tokens))| ModelUsage {
                model,
                cost_usd,
                tokens,
            })
            .collect(),
        lines: usage.lines,
    })
}

/// Sets the monthly budget: every provider call of your runs is refused before it could pass it.
/// An empty body removes it.
#[utoipa::path(
    put, path = "/usage/budget", tag = "usage", operation_id = "budget-put",
    security(("bearer" = [])),
    request_body = Budget,
    responses(
        (status = 200, description = "The budget, as stored", body = Budget),
        (status = 400, description = "Malformed body, or a limit out of range (`budget.max_cost_usd`, `budget.max_tokens`)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn put_budget(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let budget: Budget = request::json_body(&req)?;
    budget.validate("budget")?;
    ctx.engine.spending.set_monthly_budget(owner, &budget).await?;
    response::ok(&budget)
}

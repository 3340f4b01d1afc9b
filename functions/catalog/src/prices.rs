use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_domain::pricing::{PriceList, prices};

/// The list prices budgets and estimates use: USD per million input and output tokens, by
/// model name prefix (the longest match wins). A model not listed costs 0.
#[utoipa::path(
    get, path = "/prices", tag = "usage", operation_id = "prices-get",
    responses((status = 200, description = "The price list", body = PriceList)),
)]
pub async fn handler(_ctx: &ApiContext, _req: Request) -> ApiResult {
    response::ok(prices())
}

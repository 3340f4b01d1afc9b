use forgeflow_api::{ApiContext, ApiResult, Request, response};

use crate::load_owned;
use crate::view::ExecutionView;

pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let (execution, runs) = load_owned(ctx, owner, &req).await?;
    response::ok(&ExecutionView::new(&execution, &runs))
}

use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::progress::{StoredEvent, Topic};
use serde::Serialize;
use utoipa::ToSchema;

use crate::load_owned;

const DEFAULT_LIMIT: usize = 100;

#[derive(Serialize, ToSchema)]
pub struct EventsPage {
    pub events: Vec<StoredEvent>,
    /// Pass as `after` to get the next page (the last event's number, or `after` if none).
    pub next_after: u64,
    /// The highest number the topic has given out: more to fetch while `next_after` is below it.
    pub last_seq: u64,
}

/// `GET /executions/{id}/events?after=N&limit=L`: the execution's progress events numbered
/// after `N` — what a WebSocket `subscribe` with `after_seq` replays, over HTTP.
#[utoipa::path(
    get, path = "/executions/{id}/events", tag = "executions", operation_id = "executions-events",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The execution's id"),
        ("after" = Option<u64>, Query, description = "Return events numbered after this one; 0 by default"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "At most this many; 100 by default"),
    ),
    responses(
        (status = 200, description = "The events numbered after `after`, in order", body = EventsPage),
        (status = 400, description = "A malformed id, `after` or `limit`"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such execution of the caller's"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let after: u64 = request::query_param(&req, "after")?.unwrap_or(0);
    let limit: usize = request::query_param(&req, "limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=forgeflow_store::events::MAX_REPLAY).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            format!("must be between 1 and {}", forgeflow_store::events::MAX_REPLAY),
        ));
    }
    let (execution, _) = load_owned(ctx, owner, &req).await?;
    let topic = Topic::execution(execution.id);
    let events = ctx.events.after(&topic, after, limit).await?;
    let last_seq = ctx.events.last_seq(&topic).await?;
    response::ok(&EventsPage {
        next_after: events.last().map_or(after, |event| event.seq),
        events,
        last_seq,
    })
}

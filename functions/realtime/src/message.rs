use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use chrono::Utc;
use forgeflow_api::{ApiContext, guard};
use forgeflow_domain::progress::{ClientMessage, ServerFrame, Topic, event_frames};
use forgeflow_domain::rate_limit::Verdict;
use forgeflow_progress::{PostError, Sender};
use forgeflow_store::events::MAX_REPLAY;
use forgeflow_store::{Connection, StoreError};

use crate::{authorize, connection_id, reply, response};

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Post(#[from] PostError),
}

/// `$default`: one client message. Answers (and refusals, as `error` frames) are posted back to
/// the connection; the route's own response carries nothing.
pub async fn handler(
    ctx: &ApiContext,
    sender: &Sender,
    event: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    let Some(connection) = connection_id(&event) else {
        return response(400, None);
    };
    match answer(ctx, sender, connection, event.body.as_deref().unwrap_or_default()).await {
        Ok(()) => response(200, None),
        Err(Failure::Post(PostError::Gone)) => {
            // Gone while we answered: nothing to tell it, only to forget it.
            if let Err(err) = ctx.connections.close(connection).await {
                tracing::warn!(connection, error = %err, "could not forget a gone connection");
            }
            response(200, None)
        }
        Err(failure) => {
            tracing::error!(connection, error = %failure, "could not answer a message");
            let frame = ServerFrame::error("internal", "the message could not be handled; try again", None);
            let _ = reply::send_frame(sender, connection, &frame).await;
            response(500, None)
        }
    }
}

async fn answer(ctx: &ApiContext, sender: &Sender, connection_id: &str, body: &str) -> Result<(), Failure> {
    let refuse = |code: &str, message: &str, field: Option<&str>| ServerFrame::error(code, message, field);
    let Some(connection) = ctx.connections.get(connection_id).await? else {
        let frame = refuse(
            "unauthorized",
            "this connection is no longer registered; reconnect",
            None,
        );
        return Ok(reply::send_frame(sender, connection_id, &frame).await?);
    };
    // Every message counts, malformed ones too.
    match meter(ctx, &connection).await {
        Verdict::Allowed => {}
        Verdict::Refused { retry_after_s } => {
            let message = format!("too many messages; wait {retry_after_s} s");
            return Ok(reply::send_frame(sender, connection_id, &refuse("rate_limited", &message, None)).await?);
        }
        Verdict::Close => {
            let frame = refuse("rate_limited", "too many messages; closing the connection", None);
            reply::send_frame(sender, connection_id, &frame).await?;
            tracing::warn!(connection = connection_id, user = %connection.user_id, "closing a connection over its message limit");
            sender.close(connection_id).await?;
            ctx.connections.close(connection_id).await?;
            return Ok(());
        }
    }
    let message = match ClientMessage::parse(body) {
        Ok(message) => message,
        Err(err) => {
            let frame = refuse(
                "invalid_request",
                &format!("{}: {}", err.field, err.message),
                Some(&err.field),
            );
            return Ok(reply::send_frame(sender, connection_id, &frame).await?);
        }
    };
    let frame = match message {
        ClientMessage::Ping => ServerFrame::Pong,
        ClientMessage::Subscribe { topic, after_seq } => match topic.parse::<Topic>() {
            Err(err) => refuse("invalid_request", &err.message, Some("topic")).about(&topic),
            Ok(parsed) => subscribe(ctx, sender, &connection, parsed, after_seq)
                .await?
                .about(&topic),
        },
        ClientMessage::Unsubscribe { topic } => match topic.parse::<Topic>() {
            Err(err) => refuse("invalid_request", &err.message, Some("topic")).about(&topic),
            Ok(parsed) => {
                ctx.connections.unsubscribe(connection_id, &parsed).await?;
                ServerFrame::Unsubscribed { topic }
            }
        },
    };
    Ok(reply::send_frame(sender, connection_id, &frame).await?)
}

/// The stricter verdict of the connection's and the user's counters. A counter that cannot be
/// reached lets the message through, as on HTTP: the limit protects the service, its outage must
/// not become the service's.
async fn meter(ctx: &ApiContext, connection: &Connection) -> Verdict {
    let now = Utc::now();
    let limits = ctx.rate_limits;
    let per_connection = format!("ws-connection:{}", connection.id);
    let per_user = format!("ws-user:{}", connection.user_id);
    let verdicts = [
        (per_connection, limits.ws_per_connection),
        (per_user, limits.ws_per_user),
    ];
    let mut worst = Verdict::Allowed;
    for (scope, limit) in verdicts {
        let Some((count, window)) = guard::count(ctx, &scope, limit, now).await else {
            continue;
        };
        worst = match (worst, limit.verdict(count, window)) {
            (Verdict::Close, _) | (_, Verdict::Close) => Verdict::Close,
            (Verdict::Refused { retry_after_s: a }, Verdict::Refused { retry_after_s: b }) => Verdict::Refused {
                retry_after_s: a.max(b),
            },
            (Verdict::Allowed, other) | (other, Verdict::Allowed) => other,
        };
    }
    worst
}

/// Listens first, then replays: an event published in between arrives live, replayed, or both
/// (the client drops a seq it has), never neither.
async fn subscribe(
    ctx: &ApiContext,
    sender: &Sender,
    connection: &Connection,
    topic: Topic,
    after_seq: u64,
) -> Result<ServerFrame, Failure> {
    if !authorize::may_listen(ctx, connection.user_id, &topic).await? {
        return Ok(ServerFrame::error(
            "not_found",
            format!("no such {}", topic.kind.as_str()),
            Some("topic"),
        ));
    }
    ctx.connections.subscribe(connection, &topic).await?;
    let name = topic.to_string();
    let mut last_seq = after_seq;
    loop {
        let events = ctx.events.after(&topic, last_seq, MAX_REPLAY).await?;
        let Some(last) = events.last() else { break };
        last_seq = last.seq;
        reply::send(sender, &connection.id, &event_frames(&name, &events)).await?;
        if events.len() < MAX_REPLAY {
            break;
        }
    }
    Ok(ServerFrame::Subscribed { topic: name, last_seq })
}

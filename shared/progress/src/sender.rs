use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::{Client, config};
use std::sync::Arc;

use aws_config::SdkConfig;
use futures_util::{StreamExt, stream};

/// The WebSocket API's callback URL (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`;
/// the local gateway's URL on this machine).
pub const WS_ENDPOINT_VAR: &str = "FORGEFLOW_WS_ENDPOINT";

/// PostToConnection calls in flight at once for one event.
const FAN_OUT_CONCURRENCY: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// 410: the client went away; its connection row must go too.
    #[error("the connection is gone")]
    Gone,
    #[error("posting to the connection failed: {0}")]
    Failed(String),
}

/// Posts frames to WebSocket connections.
#[derive(Clone, Debug)]
pub struct Sender {
    client: Client,
}

impl Sender {
    pub fn new(sdk: &SdkConfig, endpoint: &str) -> Self {
        let config = config::Builder::from(sdk).endpoint_url(endpoint).build();
        Self {
            client: Client::from_conf(config),
        }
    }

    pub async fn post(&self, connection: &str, frame: &str) -> Result<(), PostError> {
        self.client
            .post_to_connection()
            .connection_id(connection)
            .data(Blob::new(frame.as_bytes()))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| match err.into_service_error() {
                PostToConnectionError::GoneException(_) => PostError::Gone,
                other => PostError::Failed(other.to_string()),
            })
    }

    /// Closes the connection from the server side (its `$disconnect` runs as usual).
    pub async fn close(&self, connection: &str) -> Result<(), PostError> {
        self.client
            .delete_connection()
            .connection_id(connection)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| PostError::Failed(err.into_service_error().to_string()))
    }

    /// Posts `frames`, in order, to each of `connections`, many connections at once. Returns the
    /// connections that are gone.
    pub async fn fan_out(&self, connections: &[String], frames: &[String]) -> Vec<String> {
        // Each post owns what it uses, so the stream's futures borrow nothing (and stay `Send`).
        let frames: Arc<[String]> = frames.into();
        stream::iter(connections.to_vec())
            .map(|connection| {
                let (sender, frames) = (self.clone(), frames.clone());
                async move {
                    for frame in frames.iter() {
                        match sender.post(&connection, frame).await {
                            Ok(()) => {}
                            Err(PostError::Gone) => return Some(connection),
                            Err(err) => {
                                tracing::warn!(connection, error = %err, "could not post progress");
                                return None;
                            }
                        }
                    }
                    None
                }
            })
            .buffer_unordered(FAN_OUT_CONCURRENCY)
            .filter_map(std::future::ready)
            .collect()
            .await
    }
}

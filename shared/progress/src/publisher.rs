use chrono::Utc;
use forgeflow_domain::progress::{ProgressEvent, StoredEvent, Topic, TopicKind, event_frames};
use forgeflow_store::{Clients, ConnectionStore, EventStore, StoreError};

use crate::Sender;

/// Publishes events: stores them (for replay) and posts them to the topic's listeners.
#[derive(Clone, Debug)]
pub struct Publisher {
    events: EventStore,
    connections: ConnectionStore,
    /// None where no WebSocket API is configured: events are still stored for replay.
    sender: Option<Sender>,
}

impl Publisher {
    pub fn new(events: EventStore, connections: ConnectionStore, sender: Option<Sender>) -> Self {
        Self {
            events,
            connections,
            sender,
        }
    }

    /// Events in `table`, posted to the WebSocket API's management `endpoint` (only stored when
    /// there is none).
    pub fn at(clients: &Clients, table: &str, endpoint: Option<&str>) -> Self {
        Self::new(
            EventStore::new(clients.dynamo.clone(), table),
            ConnectionStore::new(clients.dynamo.clone(), table),
            endpoint.map(|endpoint| Sender::new(&clients.config, endpoint)),
        )
    }

    /// Publishes `event` to `topic` (and to its project's topic when it is an outcome). Failures
    /// are logged, not returned: a report that cannot be delivered must not fail the work.
    pub async fn publish(&self, topic: Topic, event: ProgressEvent) {
        let project = event
            .concerns_project()
            .filter(|_| topic.kind != TopicKind::Project)
            .map(|id| Topic::new(TopicKind::Project, id));
        for topic in std::iter::once(topic).chain(project) {
            if let Err(err) = self.try_publish(&topic, event.clone()).await {
                tracing::warn!(%topic, error = %err, "could not publish progress");
            }
        }
    }

    /// Stores `event` in `topic` and posts it to the topic's listeners; gone ones are removed.
    pub async fn try_publish(&self, topic: &Topic, event: ProgressEvent) -> Result<StoredEvent, StoreError> {
        let stored = self.events.append(topic, event.bounded(), Utc::now()).await?;
        let Some(sender) = &self.sender else {
            return Ok(stored);
        };
        let listeners = self.connections.listeners(topic).await?;
        if listeners.is_empty() {
            return Ok(stored);
        }
        let frames = event_frames(&topic.to_string(), std::slice::from_ref(&stored));
        for gone in sender.fan_out(&listeners, &frames).await {
            tracing::info!(connection = gone, "connection gone; removing it");
            self.connections.close(&gone).await?;
        }
        Ok(stored)
    }
}

use std::time::Duration;

use forgeflow_domain::progress::{ProgressEvent, Topic};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Publisher;

/// How often a burst of progress reports (tokens, files) may reach clients.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(250);

/// A progress stream fed by synchronous callbacks: [`Coalesced::report`] only swaps in the
/// latest value, and a background task publishes the newest one, then pauses for the interval —
/// a 10,000-file generation sends a few dozen frames, and a slow publish never holds up the
/// work. [`Coalesced::finish`] publishes the final value (if not sent yet) before it returns, so
/// the events that follow it arrive after it.
pub struct Coalesced {
    latest: watch::Sender<Option<ProgressEvent>>,
    task: JoinHandle<()>,
}

impl Coalesced {
    pub fn start(publisher: Publisher, topic: Topic, interval: Duration) -> Self {
        let (latest, mut receiver) = watch::channel::<Option<ProgressEvent>>(None);
        let task = tokio::spawn(async move {
            // `changed` reports a value not yet seen before it reports the closed channel, so
            // the final report is published exactly once.
            while receiver.changed().await.is_ok() {
                let newest = receiver.borrow_and_update().clone();
                if let Some(event) = newest {
                    publisher.publish(topic, event).await;
                }
                // Pause, but not past the end of the stream: `finish` should not wait it out.
                let mut probe = receiver.clone();
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = async { while probe.changed().await.is_ok() {} } => {}
                }
            }
        });
        Self { latest, task }
    }

    pub fn with_default_interval(publisher: Publisher, topic: Topic) -> Self {
        Self::start(publisher, topic, DEFAULT_INTERVAL)
    }

    /// Replaces the pending report.
    pub fn report(&self, event: ProgressEvent) {
        self.latest.send_replace(Some(event));
    }

    /// Publishes what is still pending and waits until it is out.
    pub async fn finish(self) {
        let Self { latest, task } = self;
        drop(latest);
        if let Err(err) = task.await {
            tracing::warn!(error = %err, "progress task failed");
        }
    }
}

//! Runs every SQS worker of `manifest/workers.json` against its queue, as Lambda would.

use std::sync::Arc;
use std::time::Duration;

use forgeflow_agents::Agents;
use forgeflow_progress::Publisher;
use forgeflow_store::{Clients, Resources};
use forgeflow_workers::deletion::{self, ProjectDeleter};
use forgeflow_workers::export::{self, ExportWorker, ForgeSettings};
use forgeflow_workers::generate::{self, GenerateWorker};
use forgeflow_workers::import::{self, ImportWorker};
use forgeflow_workers::keys::ProviderKeys;
use forgeflow_workers::scheduler::{self, Scheduler};
use forgeflow_workers::step::{self, StepWorker};
use tokio::task::JoinHandle;

use crate::Stack;
use crate::event_source::EventSource;
use crate::manifest;

#[derive(Clone, Debug, Default)]
pub struct WorkerSettings {
    /// Seconds a failed record stays hidden before it is delivered again (the queue's own
    /// visibility timeout when unset).
    pub visibility_timeout: Option<i32>,
    /// Where the export- and import-workers find GitHub and GitLab (local servers in tests).
    pub forges: ForgeSettings,
    /// How often the schedule tick fires (EventBridge's `rate(1 minute)` in AWS); off when unset.
    pub tick_every: Option<Duration>,
    /// The WebSocket API's management endpoint (the local gateway's URL); progress is only
    /// stored, not posted, when unset.
    pub ws_endpoint: Option<String>,
}

impl WorkerSettings {
    /// How workers publish progress with these settings.
    pub fn publisher(&self, clients: &Clients, resources: &Resources) -> Publisher {
        Publisher::at(clients, &resources.table, self.ws_endpoint.as_deref())
    }
}

/// The running pollers; dropping this stops them.
pub struct Workers {
    tasks: Vec<JoinHandle<()>>,
    pub step: Arc<StepWorker>,
    pub generate: Arc<GenerateWorker>,
    pub export: Arc<ExportWorker>,
    pub import: Arc<ImportWorker>,
    pub deleter: Arc<ProjectDeleter>,
}

impl Drop for Workers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

pub async fn start(clients: &Clients, stack: &Stack, agents: Agents, settings: &WorkerSettings) -> Workers {
    let resources = stack.resources();
    let publisher = settings.publisher(clients, &resources);
    let step = Arc::new(StepWorker::new(
        forgeflow_store::engine::engine(clients, &resources),
        agents,
        ProviderKeys::from_clients(clients, &resources),
        publisher.clone(),
    ));
    let generator = Arc::new(GenerateWorker::from_clients(clients, &resources, publisher.clone()));
    let exporter = Arc::new(ExportWorker::from_clients(
        clients,
        &resources,
        settings.forges.clone(),
        publisher.clone(),
    ));
    let importer = Arc::new(ImportWorker::from_clients(
        clients,
        &resources,
        settings.forges.clone(),
        publisher,
    ));
    let deleter = Arc::new(ProjectDeleter::from_clients(clients, &resources));
    let mut tasks = Vec::new();
    for worker in manifest::workers() {
        if worker.schedule.is_some() {
            if let (Some(every), "export-scheduler") = (settings.tick_every, worker.function.as_str()) {
                let scheduler = scheduler(clients, &resources, settings.publisher(clients, &resources));
                tasks.push(tokio::spawn(async move {
                    let mut ticks = tokio::time::interval(every);
                    loop {
                        ticks.tick().await;
                        if let Err(err) = scheduler::tick(&scheduler, chrono::Utc::now()).await {
                            tracing::warn!(error = %err, "schedule tick failed");
                        }
                    }
                }));
            }
            continue;
        }
        let Some(source) = EventSource::for_worker(&clients.sqs, stack, &worker, settings.visibility_timeout) else {
            continue;
        };
        let task = match worker.function.as_str() {
            "step-worker" => {
                let worker = step.clone();
                source.spawn(move |event, deadline| {
                    let worker = worker.clone();
                    async move { step::handler(&worker, event, deadline).await }
                })
            }
            "generate-worker" => {
                let worker = generator.clone();
                source.spawn(move |event, deadline| {
                    let worker = worker.clone();
                    async move { generate::handler(&worker, event, deadline).await }
                })
            }
            "project-deleter" => {
                let worker = deleter.clone();
                source.spawn(move |event, deadline| {
                    let worker = worker.clone();
                    async move { deletion::handler(&worker, event, deadline).await }
                })
            }
            "export-worker" => {
                let worker = exporter.clone();
                source.spawn(move |event, deadline| {
                    let worker = worker.clone();
                    async move { export::handler(&worker, event, deadline).await }
                })
            }
            "import-worker" => {
                let worker = importer.clone();
                source.spawn(move |event, deadline| {
                    let worker = worker.clone();
                    async move { import::handler(&worker, event, deadline).await }
                })
            }
            other => {
                tracing::warn!(function = other, "no local handler for this worker yet");
                continue;
            }
        };
        tasks.push(task);
    }
    Workers {
        tasks,
        step,
        generate: generator,
        export: exporter,
        import: importer,
        deleter,
    }
}

/// The export-scheduler as its Lambda builds it (`progress`: where a cancelled run is announced).
pub fn scheduler(clients: &Clients, resources: &Resources, progress: Publisher) -> Scheduler {
    Scheduler::from_clients(clients, resources, progress)
}

use chrono::Duration;
use forgeflow_domain::Id;
use forgeflow_domain::agent::Agent;
use forgeflow_domain::generation::{Generation, GenerationStatus};
use forgeflow_domain::project::Project;
use forgeflow_domain::user::User;
use forgeflow_domain::workflow::Workflow;
use forgeflow_store::{
    AuditStore, Clients, ConnectionStore, CredentialStore, Engine, Env, EventStore, ExportStore, GenerationStore,
    HookStore, JobQueue, Owned, ProjectStore, RateCounters, Resources, ScheduleStore, StoreError, UserStore,
};

use forgeflow_progress::Publisher;

use crate::guard::RateLimits;
use crate::signing_key::{KeyLoad, SigningKey};
use crate::token::Tokens;
use crate::{ApiConfig, ApiError};

/// Everything an HTTP handler needs, built once per Lambda container (or once per local stack).
#[derive(Debug)]
pub struct ApiContext {
    pub clients: Clients,
    pub resources: Resources,
    signing_key: SigningKey,
    pub users: UserStore,
    pub projects: ProjectStore,
    pub agents: Owned<Agent>,
    pub workflows: Owned<Workflow>,
    pub engine: Engine,
    pub generations: GenerationStore,
    pub exports: ExportStore,
    pub credentials: CredentialStore,
    pub schedules: ScheduleStore,
    pub hooks: HookStore,
    /// Where a deleted project's removal is queued (the project-deleter's queue).
    pub deletions: JobQueue,
    /// Imports to read (an uploaded archive, a forge branch).
    pub imports: JobQueue,
    pub events: EventStore,
    pub connections: ConnectionStore,
    pub audit: AuditStore,
    pub rate_counters: RateCounters,
    pub rate_limits: RateLimits,
    /// For the routes that end a run (cancel): its listeners hear it at once.
    pub progress: Publisher,
}

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("set {SECRET_VAR} (local) or {SECRET_ID_VAR} (a Secrets Manager secret) for the JWT key")]
    NoSecret,
    #[error(transparent)]
    WeakSecret(#[from] crate::token::WeakSecret),
}

pub const SECRET_VAR: &str = "FORGEFLOW_JWT_SECRET";
pub const SECRET_ID_VAR: &str = "FORGEFLOW_JWT_SECRET_ID";
pub const ISSUER: &str = "forgeflow";
pub const AUDIENCE: &str = "forgeflow-api";
pub const TOKEN_LIFETIME: Duration = Duration::hours(12);

impl ApiContext {
    pub fn new(clients: Clients, resources: Resources, tokens: Tokens) -> Self {
        let key = SigningKey::ready(tokens, clients.secrets.clone());
        Self::with_key(clients, resources, key)
    }

    fn with_key(clients: Clients, resources: Resources, signing_key: SigningKey) -> Self {
        let dynamo = || clients.dynamo.clone();
        Self {
            users: UserStore::new(dynamo(), &resources.table),
            projects: ProjectStore::new(dynamo(), &resources.table),
            agents: Owned::new(dynamo(), &resources.table, "AGENT"),
            workflows: Owned::new(dynamo(), &resources.table, "WORKFLOW"),
            engine: forgeflow_store::engine::engine(&clients, &resources),
            generations: GenerationStore::new(dynamo(), &resources.table),
            exports: ExportStore::new(dynamo(), &resources.table),
            schedules: ScheduleStore::new(dynamo(), &resources.table),
            hooks: HookStore::new(dynamo(), &resources.table),
            deletions: JobQueue::new(clients.sqs.clone(), &resources.deletions_queue),
            imports: JobQueue::new(clients.sqs.clone(), &resources.imports_queue),
            events: EventStore::new(dynamo(), &resources.table),
            connections: ConnectionStore::new(dynamo(), &resources.table),
            audit: AuditStore::new(dynamo(), &resources.table),
            rate_counters: RateCounters::new(dynamo(), &resources.table),
            rate_limits: RateLimits::default(),
            progress: Publisher::at(&clients, &resources.table, None),
            credentials: CredentialStore::new(
                dynamo(),
                clients.kms.clone(),
                &resources.table,
                &resources.credentials_key,
            ),
            clients,
            resources,
            signing_key,
        }
    }

    /// Issues and verifies tokens; the first call of a function that loads its key on first use
    /// reads it from Secrets Manager.
    pub async fn tokens(&self) -> Result<&Tokens, ApiError> {
        self.signing_key.tokens().await.map_err(ApiError::internal)
    }

    /// The caller's project `id`: another user's, or none, is not found.
    pub async fn owned_project(&self, owner: Id<User>, id: Id<Project>) -> Result<Project, ApiError> {
        self.projects.get(owner, id).await?.ok_or(ApiError::NotFound("project"))
    }

    /// The caller's generation `id`: another user's, one of a deleted project, or none, is not
    /// found.
    pub async fn owned_generation(&self, owner: Id<User>, id: Id<Generation>) -> Result<Generation, ApiError> {
        self.owned(owner, self.generations.get(id).await?).await
    }

    /// The caller's generation `id`, ready to read, diff, change or export.
    pub async fn ready_generation(&self, owner: Id<User>, id: Id<Generation>) -> Result<Generation, ApiError> {
        let generation = self.owned_generation(owner, id).await?;
        ensure_ready(&generation)?;
        Ok(generation)
    }

    /// Progress posted to the WebSocket API at `endpoint` (the local gateway, whose port is only
    /// known once it listens) instead of `FORGEFLOW_WS_ENDPOINT`.
    pub fn with_ws_endpoint(mut self, endpoint: &str) -> Self {
        self.progress = Publisher::at(&self.clients, &self.resources.table, Some(endpoint));
        self
    }

    /// The context a deployed function runs with, from its [`ApiConfig`].
    pub async fn from_config(config: ApiConfig, key: KeyLoad) -> Result<Self, ContextError> {
        let clients = Clients::from_env().await;
        let key = SigningKey::load(config.secret, clients.secrets.clone(), key).await?;
        let mut context = Self::with_key(clients, config.resources, key);
        context.rate_limits = config.rate_limits;
        if let Some(endpoint) = &config.ws_endpoint {
            context = context.with_ws_endpoint(endpoint);
        }
        Ok(context)
    }

    /// The context with its key read now (the local stack, tests).
    pub async fn load(clients: Clients, resources: Resources, secret: SecretSource) -> Result<Self, ContextError> {
        let key = SigningKey::load(secret, clients.secrets.clone(), KeyLoad::AtInit).await?;
        Ok(Self::with_key(clients, resources, key))
    }
}

/// Where the JWT signing key comes from: Secrets Manager in AWS (and on the local stack),
/// or a plain value for a quick experiment.
#[derive(Clone)]
pub enum SecretSource {
    Value(String),
    SecretsManager(String),
}

impl SecretSource {
    pub fn from_env(env: &Env) -> Result<Self, ContextError> {
        match (env.get(SECRET_VAR), env.get(SECRET_ID_VAR)) {
            (Some(secret), _) => Ok(Self::Value(secret.to_owned())),
            (None, Some(id)) => Ok(Self::SecretsManager(id.to_owned())),
            (None, None) => Err(ContextError::NoSecret),
        }
    }
}

/// 409 `generation_not_ready` unless every file of `generation` is written.
pub fn ensure_ready(generation: &Generation) -> Result<(), ApiError> {
    if generation.status == GenerationStatus::Ready {
        return Ok(());
    }
    Err(ApiError::Conflict {
        code: "generation_not_ready",
        message: format!(
            "generation {} is {}; only a ready one can be used",
            generation.id,
            generation.status.as_str()
        ),
    })
}

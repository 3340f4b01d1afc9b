use crate::{Env, StoreError};

/// Names of the resources a function uses. They reach a function only through its environment,
/// which CDK sets in AWS and the local stack sets the same way (`manifest/resources.json`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resources {
    pub table: String,
    pub bucket: String,
    pub steps_queue: String,
    pub generations_queue: String,
    pub exports_queue: String,
    pub deletions_queue: String,
    pub imports_queue: String,
    pub credentials_key: String,
    /// The deployment's own AI provider keys (`{"key": "…"}`, empty for none).
    pub openai_key_secret: String,
    pub anthropic_key_secret: String,
}

impl Resources {
    /// The variables [`Resources::from_env`] reads, all required.
    pub const VARIABLES: &[&str] = &[
        "FORGEFLOW_TABLE",
        "FORGEFLOW_BUCKET",
        "FORGEFLOW_STEPS_QUEUE_URL",
        "FORGEFLOW_GENERATIONS_QUEUE_URL",
        "FORGEFLOW_EXPORTS_QUEUE_URL",
        "FORGEFLOW_DELETIONS_QUEUE_URL",
        "FORGEFLOW_IMPORTS_QUEUE_URL",
        "FORGEFLOW_CREDENTIALS_KEY_ID",
        "FORGEFLOW_OPENAI_KEY_SECRET_ID",
        "FORGEFLOW_ANTHROPIC_KEY_SECRET_ID",
    ];

    pub fn from_env(env: &Env) -> Result<Self, StoreError> {
        Ok(Self {
            table: env.required("FORGEFLOW_TABLE")?,
            bucket: env.required("FORGEFLOW_BUCKET")?,
            steps_queue: env.required("FORGEFLOW_STEPS_QUEUE_URL")?,
            generations_queue: env.required("FORGEFLOW_GENERATIONS_QUEUE_URL")?,
            exports_queue: env.required("FORGEFLOW_EXPORTS_QUEUE_URL")?,
            deletions_queue: env.required("FORGEFLOW_DELETIONS_QUEUE_URL")?,
            imports_queue: env.required("FORGEFLOW_IMPORTS_QUEUE_URL")?,
            credentials_key: env.required("FORGEFLOW_CREDENTIALS_KEY_ID")?,
            openai_key_secret: env.required("FORGEFLOW_OPENAI_KEY_SECRET_ID")?,
            anthropic_key_secret: env.required("FORGEFLOW_ANTHROPIC_KEY_SECRET_ID")?,
        })
    }
}

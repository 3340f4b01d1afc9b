use crate::StoreError;

/// Names of the resources a function uses. They reach a function only through its environment,
/// which CDK sets in AWS and the local stack sets the same way (`manifest/resources.json`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resources {
    pub table: String,
    pub bucket: String,
    pub steps_queue: String,
    pub generations_queue: String,
    pub exports_queue: String,
    pub credentials_key: String,
}

impl Resources {
    pub fn from_env() -> Result<Self, StoreError> {
        Ok(Self {
            table: required("FORGEFLOW_TABLE")?,
            bucket: required("FORGEFLOW_BUCKET")?,
            steps_queue: required("FORGEFLOW_STEPS_QUEUE_URL")?,
            generations_queue: required("FORGEFLOW_GENERATIONS_QUEUE_URL")?,
            exports_queue: required("FORGEFLOW_EXPORTS_QUEUE_URL")?,
            credentials_key: required("FORGEFLOW_CREDENTIALS_KEY_ID")?,
        })
    }
}

fn required(name: &'static str) -> Result<String, StoreError> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .ok_or(StoreError::MissingSetting(name))
}

use crate::StoreError;

/// Names of the resources a function uses. They reach a function only through its environment,
/// which CDK sets in AWS and the local stack sets the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resources {
    pub table: String,
    pub bucket: String,
}

impl Resources {
    pub const TABLE_VAR: &'static str = "FORGEFLOW_TABLE";
    pub const BUCKET_VAR: &'static str = "FORGEFLOW_BUCKET";

    pub fn from_env() -> Result<Self, StoreError> {
        Ok(Self {
            table: required(Self::TABLE_VAR)?,
            bucket: required(Self::BUCKET_VAR)?,
        })
    }

    /// The environment a function needs to find these resources: the inverse of `from_env`.
    pub fn to_env(&self) -> Vec<(&'static str, String)> {
        vec![
            (Self::TABLE_VAR, self.table.clone()),
            (Self::BUCKET_VAR, self.bucket.clone()),
        ]
    }
}

fn required(name: &'static str) -> Result<String, StoreError> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .ok_or(StoreError::MissingSetting(name))
}

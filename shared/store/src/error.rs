use thiserror::Error;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A conditional write lost: the row exists already, or changed since it was read.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("environment variable {0} is not set; the stack sets it for every function")]
    MissingSetting(&'static str),
    #[error("stored item does not match its type: {0}")]
    Corrupt(#[from] serde_dynamo::Error),
    #[error("{operation} failed: {source}")]
    Backend {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    pub fn backend(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Backend {
            operation,
            source: source.into(),
        }
    }
}

/// Classifies a DynamoDB failure: a lost condition is a domain outcome, anything else a backend fault.
pub(crate) fn dynamo<E>(operation: &'static str, conflict: &'static str, err: E) -> StoreError
where
    aws_sdk_dynamodb::Error: From<E>,
{
    match aws_sdk_dynamodb::Error::from(err) {
        aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_) => StoreError::Conflict(conflict),
        aws_sdk_dynamodb::Error::TransactionCanceledException(cancel)
            if cancel
                .cancellation_reasons()
                .iter()
                .any(|reason| reason.code() == Some("ConditionalCheckFailed")) =>
        {
            StoreError::Conflict(conflict)
        }
        other => StoreError::backend(operation, other),
    }
}

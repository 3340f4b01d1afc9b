//! Creates in the emulator what CDK creates in AWS, from the same `manifest/resources.json`:
//! the table with its indexes and TTL, the bucket, every queue with its DLQ, the secrets.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use forgeflow_store::{Clients, Resources};

use crate::manifest::{self, ResourcesFile, TableSpec};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
#[error("bootstrap step `{step}` failed: {source}")]
pub struct BootstrapError {
    step: String,
    #[source]
    source: BoxError,
}

fn failed(step: impl Into<String>) -> impl FnOnce(BoxError) -> BootstrapError {
    let step = step.into();
    move |source| BootstrapError { step, source }
}

/// The names of what `bootstrap` created, and the environment that points a function at them.
#[derive(Debug, Clone)]
pub struct Stack {
    pub table: String,
    pub bucket: String,
    /// Queue id → (queue URL, DLQ URL).
    pub queues: BTreeMap<String, (String, String)>,
    /// Queue id → queue ARN.
    pub queue_arns: BTreeMap<String, String>,
    /// Secret id → secret name.
    pub secrets: BTreeMap<String, String>,
    /// KMS key id (manifest) → key id (KMS).
    pub keys: BTreeMap<String, String>,
    env: Vec<(String, String)>,
}

impl Stack {
    pub fn resources(&self) -> Resources {
        let queue = |id: &str| self.queues.get(id).map(|(url, _)| url.clone()).unwrap_or_default();
        Resources {
            table: self.table.clone(),
            bucket: self.bucket.clone(),
            steps_queue: queue("steps"),
            generations_queue: queue("generations"),
            exports_queue: queue("exports"),
            deletions_queue: queue("deletions"),
            imports_queue: queue("imports"),
            credentials_key: self.keys.get("credentials").cloned().unwrap_or_default(),
            openai_key_secret: self.secrets.get("openai").cloned().unwrap_or_default(),
            anthropic_key_secret: self.secrets.get("anthropic").cloned().unwrap_or_default(),
        }
    }

    /// The resources' variables as CDK sets them on a function (what `stack.env` exports too).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Everything CDK gives a function, with the endpoints on the local stack: the resources'
    /// variables, the log level, and where progress is posted (`ws_endpoint`, the local gateway's
    /// `@connections`). The drift test compares it with every function's `Environment` in the template.
    pub fn function_env(&self, ws_endpoint: &str) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        env.push(("RUST_LOG".into(), FUNCTION_LOG_LEVEL.into()));
        env.push((forgeflow_progress::WS_ENDPOINT_VAR.into(), ws_endpoint.into()));
        env
    }
}

/// `RUST_LOG` of every function, as CDK sets it.
pub const FUNCTION_LOG_LEVEL: &str = "info";

/// Creates every resource named `{prefix}-…`. Safe to run again: what exists is kept, except a
/// provided secret, which takes the value `provided` gives its variable now (none: an empty key).
pub async fn bootstrap(
    clients: &Clients,
    prefix: &str,
    provided: &dyn Fn(&str) -> Option<String>,
) -> Result<Stack, BootstrapError> {
    let spec: ResourcesFile = manifest::resources();
    let mut env = Vec::new();

    let table = format!("{prefix}-{}", spec.table.id);
    create_table(&clients.dynamo, &table, &spec.table).await?;
    env.push((spec.table.env.clone(), table.clone()));

    let bucket = format!("{prefix}-{}", spec.bucket.id).to_lowercase();
    match clients.s3.create_bucket().bucket(&bucket).send().await {
        Ok(_) => {}
        Err(err) if matches!(err.as_service_error(), Some(e) if e.is_bucket_already_owned_by_you()) => {}
        Err(err) => return Err(failed("create bucket")(aws_sdk_s3::Error::from(err).into())),
    }
    env.push((spec.bucket.env.clone(), bucket.clone()));

    let mut queues = BTreeMap::new();
    let mut queue_arns = BTreeMap::new();
    for queue in &spec.queues {
        let dlq_name = format!("{prefix}-{}-dlq", queue.id);
        let retention = (queue.dlq_retention_days * 86_400).to_string();
        let dlq_url = create_queue(
            &clients.sqs,
            &dlq_name,
            &[(QueueAttributeName::MessageRetentionPeriod, retention)],
        )
        .await?;
        let dlq_arn = queue_arn(&clients.sqs, &dlq_url).await?;
        let redrive = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count});
        let url = create_queue(
            &clients.sqs,
            &format!("{prefix}-{}", queue.id),
            &[
                (
                    QueueAttributeName::VisibilityTimeout,
                    queue.visibility_timeout_s.to_string(),
                ),
                (QueueAttributeName::RedrivePolicy, redrive.to_string()),
            ],
        )
        .await?;
        env.push((queue.env.clone(), url.clone()));
        queue_arns.insert(queue.id.clone(), queue_arn(&clients.sqs, &url).await?);
        queues.insert(queue.id.clone(), (url, dlq_url));
    }

    let mut secrets = BTreeMap::new();
    for secret in &spec.secrets {
        let name = format!("{prefix}/{}", secret.id);
        match (&secret.provided, secret.length) {
            (Some(variable), _) => {
                let value = serde_json::json!({"key": provided(variable).unwrap_or_default()});
                put_secret(&clients.secrets, &name, &value.to_string()).await?;
            }
            (None, Some(length)) => create_random_secret(&clients.secrets, &name, length).await?,
            (None, None) => {
                return Err(failed(format!("secret {}", secret.id))(
                    "neither generated nor provided".into(),
                ));
            }
        }
        env.push((secret.env.clone(), name.clone()));
        secrets.insert(secret.id.clone(), name);
    }

    let mut keys = BTreeMap::new();
    for spec in &spec.keys {
        let alias = format!("alias/{prefix}-{}", spec.id);
        let key_id = create_key(&clients.kms, &alias, &spec.description).await?;
        env.push((spec.env.clone(), key_id.clone()));
        keys.insert(spec.id.clone(), key_id);
    }

    Ok(Stack {
        table,
        bucket,
        queues,
        queue_arns,
        secrets,
        keys,
        env,
    })
}

async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str, spec: &TableSpec) -> Result<(), BootstrapError> {
    let build = |step: &str| failed(format!("{step} for table {name}"));
    let key = |attribute: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(attribute)
            .key_type(kind)
            .build()
            .map_err(|e| build("key schema")(e.into()))
    };
    let mut attributes = vec![spec.partition_key.clone(), spec.sort_key.clone()];
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(&spec.partition_key, KeyType::Hash)?)
        .key_schema(key(&spec.sort_key, KeyType::Range)?);
    for index in &spec.global_secondary_indexes {
        attributes.extend([index.partition_key.clone(), index.sort_key.clone()]);
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .key_schema(key(&index.partition_key, KeyType::Hash)?)
                .key_schema(key(&index.sort_key, KeyType::Range)?)
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .map_err(|e| build("index")(e.into()))?,
        );
    }
    for attribute in attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| build("attribute")(e.into()))?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(err) if matches!(err.as_service_error(), Some(e) if e.is_resource_in_use_exception()) => return Ok(()),
        Err(err) => return Err(build("create table")(aws_sdk_dynamodb::Error::from(err).into())),
    }
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(&spec.ttl_attribute)
                .enabled(true)
                .build()
                .map_err(|e| build("ttl")(e.into()))?,
        )
        .send()
        .await
        .map_err(|err| build("enable ttl")(aws_sdk_dynamodb::Error::from(err).into()))?;
    Ok(())
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: &[(QueueAttributeName, String)],
) -> Result<String, BootstrapError> {
    let mut request = client.create_queue().queue_name(name);
    for (attribute, value) in attributes {
        request = request.attributes(attribute.clone(), value);
    }
    let output = request
        .send()
        .await
        .map_err(|err| failed(format!("create queue {name}"))(aws_sdk_sqs::Error::from(err).into()))?;
    output
        .queue_url
        .ok_or_else(|| failed(format!("create queue {name}"))("no queue URL returned".into()))
}

async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> Result<String, BootstrapError> {
    let output = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|err| failed("read queue arn")(aws_sdk_sqs::Error::from(err).into()))?;
    output
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| failed("read queue arn")("no QueueArn attribute".into()))
}

async fn create_random_secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
    length: u32,
) -> Result<(), BootstrapError> {
    let step = || failed(format!("create secret {name}"));
    let random = client
        .get_random_password()
        .password_length(i64::from(length))
        .exclude_punctuation(true)
        .send()
        .await
        .map_err(|err| step()(aws_sdk_secretsmanager::Error::from(err).into()))?;
    let value = random
        .random_password
        .ok_or_else(|| step()("no random password returned".into()))?;
    match client.create_secret().name(name).secret_string(value).send().await {
        Ok(_) => Ok(()),
        Err(err) if matches!(err.as_service_error(), Some(e) if e.is_resource_exists_exception()) => Ok(()),
        Err(err) => Err(step()(aws_sdk_secretsmanager::Error::from(err).into())),
    }
}

/// `name` holding `value`, created or overwritten.
async fn put_secret(client: &aws_sdk_secretsmanager::Client, name: &str, value: &str) -> Result<(), BootstrapError> {
    let step = || failed(format!("put secret {name}"));
    match client.create_secret().name(name).secret_string(value).send().await {
        Ok(_) => Ok(()),
        Err(err) if matches!(err.as_service_error(), Some(e) if e.is_resource_exists_exception()) => client
            .put_secret_value()
            .secret_id(name)
            .secret_string(value)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| step()(aws_sdk_secretsmanager::Error::from(err).into())),
        Err(err) => Err(step()(aws_sdk_secretsmanager::Error::from(err).into())),
    }
}

/// The key behind `alias`, created (with its alias) on the first bootstrap.
async fn create_key(client: &aws_sdk_kms::Client, alias: &str, description: &str) -> Result<String, BootstrapError> {
    let step = || failed(format!("create key {alias}"));
    let existing = client.describe_key().key_id(alias).send().await;
    if let Ok(found) = existing
        && let Some(id) = found.key_metadata().map(|meta| meta.key_id().to_owned())
    {
        return Ok(id);
    }
    let created = client
        .create_key()
        .description(description)
        .send()
        .await
        .map_err(|err| step()(aws_sdk_kms::Error::from(err).into()))?;
    let id = created
        .key_metadata()
        .map(|meta| meta.key_id().to_owned())
        .ok_or_else(|| step()("no key id returned".into()))?;
    client
        .create_alias()
        .alias_name(alias)
        .target_key_id(&id)
        .send()
        .await
        .map_err(|err| step()(aws_sdk_kms::Error::from(err).into()))?;
    Ok(id)
}

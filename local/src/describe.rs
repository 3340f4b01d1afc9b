//! `forgeflow-local describe`: what the local stack really sets up, read back from the emulator, as one
//! JSON document on stdout. The CDK drift test (`infra/test/drift.test.ts`) compares it with the
//! synthesized template, so the local bootstrap and AWS cannot drift apart unnoticed.
//!
//! It starts its own moto, runs [`bootstrap`] as `forgeflow-local` does, then asks moto through the AWS
//! APIs (DescribeTable, DescribeTimeToLive, ListQueues, GetQueueAttributes) rather than trusting the
//! manifests; the routes are the gateway's own tables (`manifest::routes()` for HTTP,
//! `manifest::websocket()` for the WebSocket API). The shape is neutral (no ARNs, URLs or stack prefix):
//!
//! ```json
//! {"table": {"key_schema": [{"attribute": "pk", "key_type": "HASH"}], "attributes": {"pk": "S"},
//!            "billing_mode": "PAY_PER_REQUEST",
//!            "global_secondary_indexes": {"gsi1": {"key_schema": [...], "projection": "ALL"}},
//!            "ttl": {"attribute": "expires_at", "status": "ENABLED"}},
//!  "queues": {"steps": {"visibility_timeout_s": 3600, "message_retention_s": 345600,
//!                       "max_receive_count": 5, "dead_letter_queue": "steps-dlq"},
//!             "steps-dlq": {"visibility_timeout_s": 30, "message_retention_s": 1209600,
//!                           "max_receive_count": null, "dead_letter_queue": null}},
//!  "http_routes": {"GET /me": "auth-me"},
//!  "websocket_routes": {"$connect": "ws-connect"},
//!  "function_environment": {"FORGEFLOW_TABLE": "table", "FORGEFLOW_STEPS_QUEUE_URL": "queue:steps",
//!                           "RUST_LOG": "literal:info", "FORGEFLOW_WS_ENDPOINT": "websocket-endpoint"}}
//! ```

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::KeySchemaElement;
use aws_sdk_sqs::types::QueueAttributeName;
use forgeflow_store::Clients;
use serde_json::{Value, json};

use crate::iam;
use crate::manifest;
use crate::moto::Moto;
use crate::{Stack, bootstrap};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The resource prefix of the described stack (stripped from every name in the output).
pub const PREFIX: &str = "forgeflow-describe";

/// Starts moto, bootstraps the stack into it, prints the description; moto stops when this returns.
pub async fn run() -> Result<(), BoxError> {
    let moto = Moto::start()?;
    let clients = Clients::from_sdk_config(&moto.sdk_config().await);
    let stack = bootstrap(&clients, PREFIX, &|_| None).await?;
    let description = describe(&clients, &stack, PREFIX).await?;
    println!("{}", serde_json::to_string_pretty(&description)?);
    Ok(())
}

/// The description of `stack` (created with `prefix`), read back from the emulator `clients` talk to.
pub async fn describe(clients: &Clients, stack: &Stack, prefix: &str) -> Result<Value, BoxError> {
    let http_routes: BTreeMap<String, String> = manifest::routes()
        .into_iter()
        .map(|route| (route.key(), route.function))
        .collect();
    let websocket_routes: BTreeMap<String, String> = manifest::websocket()
        .routes
        .into_iter()
        .map(|route| (route.route, route.function))
        .collect();
    Ok(json!({
        "table": describe_table(&clients.dynamo, &stack.table).await?,
        "queues": describe_queues(&clients.sqs, prefix).await?,
        "http_routes": http_routes,
        "websocket_routes": websocket_routes,
        "function_environment": function_environment(stack),
        "function_policies": function_policies()?,
    }))
}

/// What a function process gets, each value named by what it points at (`table`, `queue:steps`,
/// `secret:jwt`, `key:credentials`, `websocket-endpoint`, or `literal:<value>`), since names and URLs
/// differ between moto and AWS while what they point at must not.
fn function_environment(stack: &Stack) -> BTreeMap<String, String> {
    const ENDPOINT: &str = "http://gateway.local/@connections";
    let kind = |value: &str| -> String {
        if value == stack.table {
            return "table".into();
        }
        if value == stack.bucket {
            return "bucket".into();
        }
        if value == ENDPOINT {
            return "websocket-endpoint".into();
        }
        let named = |prefix: &str, map: &BTreeMap<String, String>| {
            map.iter()
                .find(|(_, v)| v.as_str() == value)
                .map(|(id, _)| format!("{prefix}:{id}"))
        };
        let queues: BTreeMap<String, String> = stack
            .queues
            .iter()
            .map(|(id, (url, _))| (id.clone(), url.clone()))
            .collect();
        named("queue", &queues)
            .or_else(|| named("secret", &stack.secrets))
            .or_else(|| named("key", &stack.keys))
            .unwrap_or_else(|| format!("literal:{value}"))
    };
    stack
        .function_env(ENDPOINT)
        .iter()
        .map(|(name, value)| (name.clone(), kind(value)))
        .collect()
}

/// Every function's role: `action resource[ if condition]` lines ([`iam::describe`]).
fn function_policies() -> Result<BTreeMap<String, Vec<String>>, BoxError> {
    iam::roles()
        .into_iter()
        .map(|role| Ok((role.function.clone(), iam::describe(&role.statements()?))))
        .collect()
}

fn key_schema(elements: &[KeySchemaElement]) -> Value {
    elements
        .iter()
        .map(|element| json!({"attribute": element.attribute_name(), "key_type": element.key_type().as_str()}))
        .collect()
}

async fn describe_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<Value, BoxError> {
    let described = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(aws_sdk_dynamodb::Error::from)?;
    let table = described.table().ok_or("DescribeTable returned no table")?;
    let attributes: BTreeMap<&str, &str> = table
        .attribute_definitions()
        .iter()
        .map(|a| (a.attribute_name(), a.attribute_type().as_str()))
        .collect();
    let indexes: BTreeMap<&str, Value> = table
        .global_secondary_indexes()
        .iter()
        .map(|index| {
            let projection = index.projection().and_then(|p| p.projection_type()).map(|p| p.as_str());
            (
                index.index_name().unwrap_or_default(),
                json!({"key_schema": key_schema(index.key_schema()), "projection": projection}),
            )
        })
        .collect();
    let billing_mode = table
        .billing_mode_summary()
        .and_then(|summary| summary.billing_mode())
        .map(|mode| mode.as_str());
    let ttl = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(aws_sdk_dynamodb::Error::from)?;
    let ttl = ttl.time_to_live_description();
    Ok(json!({
        "key_schema": key_schema(table.key_schema()),
        "attributes": attributes,
        "billing_mode": billing_mode,
        "global_secondary_indexes": indexes,
        "ttl": {
            "attribute": ttl.and_then(|t| t.attribute_name()),
            "status": ttl.and_then(|t| t.time_to_live_status()).map(|s| s.as_str()),
        },
    }))
}

/// The last segment of a queue URL or ARN (the queue's name), without `{prefix}-`.
fn queue_name<'a>(url_or_arn: &'a str, prefix: &str) -> &'a str {
    let name = url_or_arn.rsplit(['/', ':']).next().unwrap_or(url_or_arn);
    name.strip_prefix(prefix)
        .and_then(|n| n.strip_prefix('-'))
        .unwrap_or(name)
}

/// Every queue named `{prefix}-…`, main queues and DLQs alike, by name without the prefix.
async fn describe_queues(client: &aws_sdk_sqs::Client, prefix: &str) -> Result<BTreeMap<String, Value>, BoxError> {
    let listed = client
        .list_queues()
        .queue_name_prefix(format!("{prefix}-"))
        .send()
        .await
        .map_err(aws_sdk_sqs::Error::from)?;
    let mut queues = BTreeMap::new();
    for url in listed.queue_urls() {
        let attributes = client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(aws_sdk_sqs::Error::from)?
            .attributes
            .unwrap_or_default();
        let seconds = |name: QueueAttributeName| -> Result<Option<u64>, BoxError> {
            attributes
                .get(&name)
                .map(|value| value.parse::<u64>())
                .transpose()
                .map_err(|err| format!("{url}: {name:?} is not a number: {err}").into())
        };
        let redrive: Option<Value> = attributes
            .get(&QueueAttributeName::RedrivePolicy)
            .map(|policy| serde_json::from_str(policy))
            .transpose()?;
        // SQS documents maxReceiveCount as a number; some implementations return it as a string.
        let max_receive_count = redrive.as_ref().and_then(|r| match &r["maxReceiveCount"] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
        let dead_letter_queue = redrive
            .as_ref()
            .and_then(|r| r["deadLetterTargetArn"].as_str())
            .map(|arn| queue_name(arn, prefix).to_owned());
        queues.insert(
            queue_name(url, prefix).to_owned(),
            json!({
                "visibility_timeout_s": seconds(QueueAttributeName::VisibilityTimeout)?,
                "message_retention_s": seconds(QueueAttributeName::MessageRetentionPeriod)?,
                "max_receive_count": max_receive_count,
                "dead_letter_queue": dead_letter_queue,
            }),
        );
    }
    Ok(queues)
}

#[cfg(test)]
mod tests {
    use super::queue_name;

    #[test]
    fn queue_names_lose_the_url_arn_and_prefix() {
        assert_eq!(
            queue_name(
                "http://127.0.0.1:5000/123456789012/forgeflow-describe-steps",
                "forgeflow-describe"
            ),
            "steps"
        );
        assert_eq!(
            queue_name(
                "arn:aws:sqs:us-east-1:123456789012:forgeflow-describe-steps-dlq",
                "forgeflow-describe"
            ),
            "steps-dlq"
        );
        assert_eq!(
            queue_name("arn:aws:sqs:us-east-1:1:other", "forgeflow-describe"),
            "other"
        );
    }
}

//! Each function's IAM role as CDK synthesizes it, derived from the same manifests
//! (`infra/lib/permissions.ts` expands a manifest's `permissions` with CDK's grant methods; this
//! module expands them into the statements those grants produce). The local stack gives every
//! function process a role with these statements ([`crate::principals`]); `forgeflow-local describe`
//! prints them, and `infra/test/drift.test.ts` compares them with the synthesized template action by
//! action and resource by resource, so the two cannot drift apart.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::manifest;

/// What a statement's resource is, as the drift test names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Table,
    TableIndexes,
    Bucket,
    BucketObjects,
    Queue(String),
    Secret(String),
    Key(String),
    /// `execute-api:ManageConnections` on the WebSocket stage's `@connections`.
    Connections,
}

impl Target {
    pub fn kind(&self) -> String {
        match self {
            Self::Table => "table".into(),
            Self::TableIndexes => "table/index/*".into(),
            Self::Bucket => "bucket".into(),
            Self::BucketObjects => "bucket/*".into(),
            Self::Queue(id) => format!("queue:{id}"),
            Self::Secret(id) => format!("secret:{id}"),
            Self::Key(id) => format!("key:{id}"),
            Self::Connections => "connections".into(),
        }
    }
}

/// The one condition Forgeflow's roles use: the API guard's writes limited to its partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: &'static str,
    pub key: &'static str,
    pub values: &'static [&'static str],
}

/// `dynamodb:LeadingKeys` of the guard's rate counters and audit entries (`shared/api/src/guard.rs`).
pub const GUARD: Condition = Condition {
    operator: "ForAllValues:StringLike",
    key: "dynamodb:LeadingKeys",
    values: &["AUDIT#*", "RATE#*"],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub actions: &'static [&'static str],
    pub targets: Vec<Target>,
    pub condition: Option<Condition>,
}

// The action lists of the CDK grants, in the order CDK writes them.
const TABLE_READ: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:Query",
    "dynamodb:GetItem",
    "dynamodb:Scan",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
];
const TABLE_WRITE: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
];
const BUCKET_READ: &[&str] = &["s3:GetObject*", "s3:GetBucket*", "s3:List*"];
const BUCKET_DELETE: &[&str] = &["s3:DeleteObject*"];
const BUCKET_PUT: &[&str] = &[
    "s3:PutObject",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:Abort*",
];
const QUEUE_SEND: &[&str] = &["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"];
const QUEUE_CONSUME: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
];
const QUEUE_ATTRIBUTES: &[&str] = &["sqs:GetQueueAttributes"];
const KEY_ENCRYPT: &[&str] = &["kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"];
const KEY_DECRYPT: &[&str] = &["kms:Decrypt"];
const SECRET_READ: &[&str] = &["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"];
const MANAGE_CONNECTIONS: &[&str] = &["execute-api:ManageConnections"];
const GUARD_WRITES: &[&str] = &["dynamodb:PutItem", "dynamodb:UpdateItem"];

/// Who a function is, as `permissions.ts` tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An HTTP route: also runs the API guard.
    Route,
    /// A WebSocket route.
    WebSocket,
    /// An SQS consumer or a scheduled function.
    Worker,
}

/// A function's role: what its manifest entry asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub function: String,
    pub kind: Kind,
    pub permissions: Vec<String>,
    /// The queue an SQS event source reads for it (Lambda polls with the function's role).
    pub consumes: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{function}: unknown permission {permission:?}")]
pub struct UnknownPermission {
    pub function: String,
    pub permission: String,
}

/// Every function's role, from the manifests: HTTP routes, WebSocket routes, workers.
pub fn roles() -> Vec<Role> {
    let routes = manifest::routes().into_iter().map(|route| Role {
        function: route.function,
        kind: Kind::Route,
        permissions: route.permissions,
        consumes: None,
    });
    let websocket = manifest::websocket().routes.into_iter().map(|route| Role {
        function: route.function,
        kind: Kind::WebSocket,
        permissions: route.permissions,
        consumes: None,
    });
    let workers = manifest::workers().into_iter().map(|worker| Role {
        function: worker.function,
        kind: Kind::Worker,
        permissions: worker.permissions,
        consumes: worker.queue,
    });
    routes.chain(websocket).chain(workers).collect()
}

impl Role {
    /// The statements CDK synthesizes for this role (its inline policy; the managed
    /// AWSLambdaBasicExecutionRole, logs only, is not modelled).
    pub fn statements(&self) -> Result<Vec<Statement>, UnknownPermission> {
        let table = || vec![Target::Table, Target::TableIndexes];
        let mut statements = Vec::new();
        let mut add = |actions, targets| {
            statements.push(Statement {
                actions,
                targets,
                condition: None,
            })
        };
        let unknown = |permission: &str| UnknownPermission {
            function: self.function.clone(),
            permission: permission.to_owned(),
        };
        if let Some(queue) = &self.consumes {
            add(QUEUE_CONSUME, vec![Target::Queue(queue.clone())]);
        }
        let unique: BTreeSet<&str> = self.permissions.iter().map(String::as_str).collect();
        for permission in unique {
            let parts: Vec<&str> = permission.split(':').collect();
            match parts.as_slice() {
                ["table", "read"] => add(TABLE_READ, table()),
                ["table", "write"] => add(TABLE_WRITE, table()),
                ["bucket", "read"] => add(BUCKET_READ, vec![Target::Bucket, Target::BucketObjects]),
                ["bucket", "write"] => add(BUCKET_PUT, vec![Target::BucketObjects]),
                // CDK's grantDelete; for workers only (the project-deleter).
                ["bucket", "delete"] if self.kind == Kind::Worker => add(BUCKET_DELETE, vec![Target::BucketObjects]),
                ["queue", id, "send"] => add(QUEUE_SEND, vec![Target::Queue((*id).into())]),
                ["queue", id, "read-attributes"] if self.kind == Kind::Worker => {
                    add(QUEUE_ATTRIBUTES, vec![Target::Queue((*id).into())])
                }
                ["key", id, "encrypt"] => add(KEY_ENCRYPT, vec![Target::Key((*id).into())]),
                ["key", id, "decrypt"] => add(KEY_DECRYPT, vec![Target::Key((*id).into())]),
                ["secret", id] => add(SECRET_READ, vec![Target::Secret((*id).into())]),
                ["connections", "manage"] => add(MANAGE_CONNECTIONS, vec![Target::Connections]),
                _ => return Err(unknown(permission)),
            }
        }
        if self.kind == Kind::Route {
            statements.push(Statement {
                actions: GUARD_WRITES,
                targets: vec![Target::Table],
                condition: Some(GUARD),
            });
        }
        Ok(statements)
    }
}

/// The statements as the drift test compares them: one `action resource[ if condition]` line per
/// action and resource, sorted and unique (CDK merges statements that share resources, so only the
/// pairs are comparable).
pub fn describe(statements: &[Statement]) -> Vec<String> {
    let lines: BTreeSet<String> = statements
        .iter()
        .flat_map(|statement| {
            let condition = statement
                .condition
                .as_ref()
                .map(|c| format!(" if {} {} {}", c.operator, c.key, c.values.join(",")))
                .unwrap_or_default();
            statement.actions.iter().flat_map(move |action| {
                let condition = condition.clone();
                statement
                    .targets
                    .iter()
                    .map(move |target| format!("{action} {}{condition}", target.kind()))
            })
        })
        .collect();
    lines.into_iter().collect()
}

/// The local stack's resources as ARNs, where moto can check one.
pub struct Arns {
    pub bucket: String,
    /// Queue id → ARN.
    pub queues: std::collections::BTreeMap<String, String>,
    pub connections: String,
}

impl Arns {
    /// The resource moto checks `target` against (see [`moto_policy`]).
    fn for_moto(&self, target: &Target) -> String {
        match target {
            Target::Table | Target::TableIndexes | Target::Secret(_) | Target::Key(_) => "*".into(),
            Target::Bucket => self.bucket.clone(),
            Target::BucketObjects => format!("{}/*", self.bucket),
            Target::Queue(id) => self
                .queues
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("unknown-queue-{id}")),
            Target::Connections => self.connections.clone(),
        }
    }
}

/// The policy document moto enforces for `statements`.
///
/// Moto 5.2.5 evaluates DynamoDB, Secrets Manager and KMS calls against the resource `*` (it knows
/// no ARN for them), so a statement naming the table's ARN would deny every call: those get `*`.
/// It checks `TransactWriteItems` as an action of its own where AWS checks each item's
/// PutItem/UpdateItem/DeleteItem, so a statement that grants PutItem unconditionally grants it too.
/// It checks a DeleteObjects call as `s3:DeleteObject` on the bucket, where AWS checks each key, so
/// a delete grant on the objects names the bucket too. Otherwise S3 and SQS keep their ARNs: moto
/// scopes those as AWS does. Conditions are passed on and ignored
/// by moto (docs/architecture.md, "IAM on the local stack", says what covers them).
pub fn moto_policy(statements: &[Statement], arns: &Arns) -> Value {
    let statements: Vec<Value> = statements
        .iter()
        .map(|statement| {
            let mut actions: Vec<&str> = statement.actions.to_vec();
            if statement.condition.is_none() && actions.contains(&"dynamodb:PutItem") {
                actions.push("dynamodb:TransactWriteItems");
            }
            let mut resources: BTreeSet<String> =
                statement.targets.iter().map(|target| arns.for_moto(target)).collect();
            if actions.contains(&"s3:DeleteObject*") {
                resources.insert(arns.bucket.clone());
            }
            let mut rendered = json!({"Effect": "Allow", "Action": actions, "Resource": resources});
            if let Some(condition) = &statement.condition {
                rendered["Condition"] = json!({condition.operator: {condition.key: condition.values}});
            }
            rendered
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(kind: Kind, permissions: &[&str]) -> Role {
        Role {
            function: "f".into(),
            kind,
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            consumes: None,
        }
    }

    #[test]
    fn every_manifest_permission_is_known() {
        let roles = roles();
        assert!(roles.len() > 40, "{} roles", roles.len());
        for role in roles {
            role.statements().unwrap();
        }
    }

    #[test]
    fn routes_get_the_guard_and_workers_do_not() {
        let route = describe(&role(Kind::Route, &[]).statements().unwrap());
        assert_eq!(
            route,
            [
                "dynamodb:PutItem table if ForAllValues:StringLike dynamodb:LeadingKeys AUDIT#*,RATE#*",
                "dynamodb:UpdateItem table if ForAllValues:StringLike dynamodb:LeadingKeys AUDIT#*,RATE#*",
            ]
        );
        assert!(describe(&role(Kind::Worker, &[]).statements().unwrap()).is_empty());
    }

    #[test]
    fn read_attributes_is_for_workers_only() {
        let error = role(Kind::Route, &["queue:steps:read-attributes"])
            .statements()
            .unwrap_err();
        assert_eq!(error.permission, "queue:steps:read-attributes");
        let lines = describe(
            &role(Kind::Worker, &["queue:steps:read-attributes"])
                .statements()
                .unwrap(),
        );
        assert_eq!(lines, ["sqs:GetQueueAttributes queue:steps"]);
    }

    #[test]
    fn unknown_permissions_are_refused() {
        for permission in ["table:delete", "bucket", "secret", "queue:steps:purge", "key:k:sign"] {
            assert!(role(Kind::Worker, &[permission]).statements().is_err(), "{permission}");
        }
    }

    #[test]
    fn an_event_source_reads_with_the_function_role() {
        let mut worker = role(Kind::Worker, &[]);
        worker.consumes = Some("steps".into());
        let lines = describe(&worker.statements().unwrap());
        assert!(
            lines.contains(&"sqs:ReceiveMessage queue:steps".to_owned()),
            "{lines:?}"
        );
        assert!(lines.contains(&"sqs:DeleteMessage queue:steps".to_owned()), "{lines:?}");
    }

    #[test]
    fn moto_gets_star_for_the_services_it_cannot_scope_and_arns_for_the_rest() {
        let arns = Arns {
            bucket: "arn:aws:s3:::b".into(),
            queues: [("steps".to_owned(), "arn:aws:sqs:us-east-1:123456789012:q".to_owned())].into(),
            connections: "arn:aws:execute-api:us-east-1:123456789012:local/live/*/@connections/*".into(),
        };
        let statements = role(
            Kind::Route,
            &["table:write", "bucket:read", "queue:steps:send", "secret:jwt"],
        )
        .statements()
        .unwrap();
        let policy = moto_policy(&statements, &arns);
        let statements = policy["Statement"].as_array().unwrap();
        let with = |action: &str| {
            statements
                .iter()
                .filter(|s| s["Action"].as_array().unwrap().iter().any(|a| a == action))
                .collect::<Vec<_>>()
        };
        let write = with("dynamodb:BatchWriteItem");
        assert_eq!(write[0]["Resource"], json!(["*"]));
        assert!(
            with("dynamodb:TransactWriteItems").len() == 1,
            "only the unconditional PutItem"
        );
        assert_eq!(
            with("s3:List*")[0]["Resource"],
            json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"])
        );
        assert_eq!(
            with("sqs:SendMessage")[0]["Resource"],
            json!(["arn:aws:sqs:us-east-1:123456789012:q"])
        );
        assert_eq!(with("secretsmanager:GetSecretValue")[0]["Resource"], json!(["*"]));
        let guard = &with("dynamodb:UpdateItem")
            .into_iter()
            .find(|s| s.get("Condition").is_some())
            .unwrap()["Condition"];
        assert_eq!(
            guard["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
            json!(["AUDIT#*", "RATE#*"])
        );
    }
}

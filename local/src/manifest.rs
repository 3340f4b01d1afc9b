//! The routes manifest (`manifest/routes.json`) and the resources manifest
//! (`manifest/resources.json`), compiled in so the local stack and CDK read the same files.

use std::collections::HashMap;

use serde::Deserialize;

pub const ROUTES_JSON: &str = include_str!("../../manifest/routes.json");
pub const RESOURCES_JSON: &str = include_str!("../../manifest/resources.json");
pub const WORKERS_JSON: &str = include_str!("../../manifest/workers.json");
pub const WEBSOCKET_JSON: &str = include_str!("../../manifest/websocket.json");

#[derive(Debug, Clone, Deserialize)]
pub struct WorkersFile {
    pub workers: Vec<WorkerSpec>,
}

/// A non-HTTP Lambda: an SQS consumer (`queue`) or a scheduled one (`schedule`).
#[derive(Debug, Clone, Deserialize)]
pub struct WorkerSpec {
    pub function: String,
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub max_concurrency: Option<u32>,
    pub memory_mb: u32,
    /// Scheduled workers' timeout; a queue consumer's is its queue's `consumer_timeout_s`.
    #[serde(default)]
    pub timeout_s: Option<u64>,
    /// What its role may do (the vocabulary of `infra/lib/permissions.ts`, see [`crate::iam`]).
    pub permissions: Vec<String>,
}

pub fn workers() -> Vec<WorkerSpec> {
    let file: WorkersFile =
        serde_json::from_str(WORKERS_JSON).expect("manifest/workers.json is valid (checked by tests)");
    file.workers
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoutesFile {
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub function: String,
    pub auth: Auth,
    pub memory_mb: u32,
    pub timeout_s: u64,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    None,
    Jwt,
}

impl Route {
    /// API Gateway's route key, e.g. `GET /projects/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The path parameters if `path` matches this route's template. `{name+}` is greedy.
    pub fn match_path(&self, path: &str) -> Option<HashMap<String, String>> {
        let template: Vec<&str> = self.path.trim_start_matches('/').split('/').collect();
        let actual: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut params = HashMap::new();
        for (index, part) in template.iter().enumerate() {
            if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
                let rest = actual
                    .get(index..)
                    .filter(|rest| !rest.is_empty() && !rest[0].is_empty())?;
                params.insert(name.to_owned(), rest.join("/"));
                return Some(params);
            }
            let segment = actual.get(index)?;
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if !segment.is_empty() => {
                    params.insert(name.to_owned(), (*segment).to_owned());
                }
                Some(_) => return None,
                None if part == segment => {}
                None => return None,
            }
        }
        (template.len() == actual.len()).then_some(params)
    }
}

pub fn routes() -> Vec<Route> {
    let file: RoutesFile = serde_json::from_str(ROUTES_JSON).expect("manifest/routes.json is valid (checked by tests)");
    file.routes
}

#[derive(Debug, Clone, Deserialize)]
pub struct ResourcesFile {
    pub table: TableSpec,
    pub bucket: BucketSpec,
    pub queues: Vec<QueueSpec>,
    pub secrets: Vec<SecretSpec>,
    pub keys: Vec<KeySpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct KeySpec {
    pub id: String,
    pub env: String,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TableSpec {
    pub id: String,
    pub env: String,
    pub partition_key: String,
    pub sort_key: String,
    pub ttl_attribute: String,
    pub global_secondary_indexes: Vec<IndexSpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IndexSpec {
    pub name: String,
    pub partition_key: String,
    pub sort_key: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BucketSpec {
    pub id: String,
    pub env: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct QueueSpec {
    pub id: String,
    pub env: String,
    pub consumer: String,
    pub consumer_timeout_s: u32,
    pub visibility_timeout_s: u32,
    pub max_receive_count: u32,
    pub batch_size: u32,
    pub dlq_retention_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecretSpec {
    pub id: String,
    pub env: String,
    /// A generated secret's length.
    #[serde(default)]
    pub length: Option<u32>,
    /// A provided secret (`{"key": "…"}`, set by the operator in AWS): the variable the local
    /// stack takes its value from.
    #[serde(default)]
    pub provided: Option<String>,
}

pub fn resources() -> ResourcesFile {
    serde_json::from_str(RESOURCES_JSON).expect("manifest/resources.json is valid (checked by tests)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str) -> Route {
        Route {
            method: "GET".into(),
            path: path.into(),
            function: "f".into(),
            auth: Auth::Jwt,
            memory_mb: 128,
            timeout_s: 10,
            permissions: Vec::new(),
        }
    }

    #[test]
    fn both_manifests_parse() {
        assert!(!routes().is_empty());
        assert!(!workers().is_empty());
        let resources = resources();
        for queue in &resources.queues {
            assert!(
                queue.visibility_timeout_s >= 6 * queue.consumer_timeout_s,
                "{}: visibility timeout must be at least 6 x the consumer's timeout",
                queue.id
            );
            assert!(
                queue.max_receive_count >= 5,
                "{}: Lambda consumers need maxReceiveCount >= 5",
                queue.id
            );
        }
    }

    /// What the template gives every function (the resources' variables, the endpoint, the log
    /// level) is what the functions' configurations read, and what they require is given.
    #[test]
    fn the_template_environment_is_what_the_configurations_read() {
        use forgeflow_api::ApiConfig;
        use forgeflow_workers::config::WorkerConfig;
        let spec = resources();
        let mut given = vec![spec.table.env.clone(), spec.bucket.env.clone()];
        given.extend(spec.queues.iter().map(|q| q.env.clone()));
        given.extend(spec.secrets.iter().map(|s| s.env.clone()));
        given.extend(spec.keys.iter().map(|k| k.env.clone()));
        given.push(forgeflow_progress::WS_ENDPOINT_VAR.into());
        for name in &given {
            assert!(
                ApiConfig::variables().contains(&name.as_str()),
                "API functions ignore {name}"
            );
        }
        for name in forgeflow_store::Resources::VARIABLES
            .iter()
            .chain([&forgeflow_api::context::SECRET_ID_VAR])
        {
            assert!(given.iter().any(|g| g == name), "{name} is required but not given");
        }
        for name in WorkerConfig::variables() {
            let optional = !forgeflow_store::Resources::VARIABLES.contains(&name);
            assert!(optional || given.iter().any(|g| g == name), "workers require {name}");
        }
    }

    #[test]
    fn literal_paths_match_only_themselves() {
        assert_eq!(route("/projects").match_path("/projects"), Some(HashMap::new()));
        assert_eq!(route("/projects").match_path("/projects/x"), None);
        assert_eq!(route("/projects").match_path("/project"), None);
    }

    #[test]
    fn parameters_capture_one_segment() {
        let params = route("/projects/{id}").match_path("/projects/abc").unwrap();
        assert_eq!(params["id"], "abc");
        assert_eq!(route("/projects/{id}").match_path("/projects/"), None);
        assert_eq!(route("/projects/{id}").match_path("/projects/a/b"), None);
    }

    #[test]
    fn greedy_parameters_capture_the_rest() {
        let params = route("/files/{path+}").match_path("/files/src/main.rs").unwrap();
        assert_eq!(params["path"], "src/main.rs");
        assert_eq!(route("/files/{path+}").match_path("/files/"), None);
    }

    #[test]
    fn route_keys_are_method_and_path() {
        assert_eq!(route("/projects/{id}").key(), "GET /projects/{id}");
    }
}

/// `manifest/websocket.json`: the WebSocket API.
#[derive(Debug, Clone, Deserialize)]
pub struct WebSocketFile {
    pub path: String,
    pub stage: String,
    pub connection_ttl_s: u64,
    pub max_frame_bytes: usize,
    pub routes: Vec<WebSocketRoute>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebSocketRoute {
    pub route: String,
    pub function: String,
    pub memory_mb: u32,
    pub timeout_s: u64,
    pub permissions: Vec<String>,
}

pub fn websocket() -> WebSocketFile {
    serde_json::from_str(WEBSOCKET_JSON).expect("manifest/websocket.json is valid (checked by tests)")
}

//! The API's HTTP and WebSocket functions as processes, one [`FunctionProcesses`] per route's
//! function with the memory and timeout of its manifest entry: how `forgeflow-local` serves the
//! API with `FORGEFLOW_FUNCTIONS=processes`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::manifest;
use crate::principals::Principals;
use crate::processes::{FunctionProcesses, FunctionSpec};

/// Processes per function at most: enough for the page, the CLI and a demo at once.
const CONCURRENCY: usize = 4;

pub struct ApiFunctions {
    by_name: BTreeMap<String, FunctionProcesses>,
}

impl ApiFunctions {
    /// Every HTTP and WebSocket route's function from `api_binary` (the `forgeflow-api` build),
    /// each with `env` and its own role's credentials.
    pub fn new(api_binary: &Path, env: &[(String, String)], principals: &Principals) -> Self {
        let http = manifest::routes()
            .into_iter()
            .map(|route| (route.function, route.memory_mb, route.timeout_s));
        let websocket = manifest::websocket()
            .routes
            .into_iter()
            .map(|route| (route.function, route.memory_mb, route.timeout_s));
        let by_name = http
            .chain(websocket)
            .map(|(name, memory_mb, timeout_s)| {
                let spec = FunctionSpec {
                    name: name.clone(),
                    binary: api_binary.to_path_buf(),
                    env: principals.env_for(&name, env),
                    memory_mb,
                    timeout: Duration::from_secs(timeout_s),
                    concurrency: CONCURRENCY,
                };
                (name, FunctionProcesses::new(spec))
            })
            .collect();
        Self { by_name }
    }

    pub fn get(&self, function: &str) -> Option<&FunctionProcesses> {
        self.by_name.get(function)
    }
}

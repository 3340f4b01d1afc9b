//! The API's HTTP functions as processes, one [`FunctionProcesses`] per route's function with the
//! memory and timeout of its manifest entry: how `forgeflow-local` serves the API unless
//! `FORGEFLOW_FUNCTIONS=in-process`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::manifest;
use crate::processes::{FunctionProcesses, FunctionSpec};

/// Processes per function at most: enough for the page, the CLI and a demo at once.
const CONCURRENCY: usize = 4;

pub struct HttpFunctions {
    by_name: BTreeMap<String, FunctionProcesses>,
}

impl HttpFunctions {
    /// Every HTTP route's function from `api_binary` (the `forgeflow-api` build), each with `env`.
    pub fn new(api_binary: &Path, env: &[(String, String)]) -> Self {
        let by_name = manifest::routes()
            .into_iter()
            .map(|route| {
                let spec = FunctionSpec {
                    name: route.function.clone(),
                    binary: api_binary.to_path_buf(),
                    env: env.to_vec(),
                    memory_mb: route.memory_mb,
                    timeout: Duration::from_secs(route.timeout_s),
                    concurrency: CONCURRENCY,
                };
                (route.function, FunctionProcesses::new(spec))
            })
            .collect();
        Self { by_name }
    }

    pub fn get(&self, function: &str) -> Option<&FunctionProcesses> {
        self.by_name.get(function)
    }
}

//! Answers every event with `{"hello": "world"}`: what any Rust Lambda pays before its own code.
//! An event `{"sleep_ms": N}` makes it wait first (the local runtime's timeout tests).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        if let Some(ms) = event.payload["sleep_ms"].as_u64() {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        Ok::<_, Error>(json!({"hello": "world"}))
    }))
    .await
}

//! `forgeflow-local`: the whole stack on this machine. Starts moto (unless `AWS_ENDPOINT_URL`
//! points at one already), creates the resources, and serves the API on 127.0.0.1.
//!
//! Settings: `FORGEFLOW_PORT` (default 8787), `FORGEFLOW_STACK` (resource prefix, default
//! `forgeflow-local`), `FORGEFLOW_STATE_DIR` (default `.local`, where `stack.env` is written).

use std::net::SocketAddr;
use std::sync::Arc;

use forgeflow_agents::Agents;
use forgeflow_api::ApiContext;
use forgeflow_api::context::SecretSource;
use forgeflow_local::workers::{self, WorkerSettings};
use forgeflow_local::{Gateway, Moto, bootstrap, moto};
use forgeflow_store::Clients;
use forgeflow_workers::export::ForgeSettings;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    if std::env::args().nth(1).as_deref() == Some("describe") {
        return forgeflow_local::describe::run().await;
    }
    forgeflow_store::telemetry::init();
    let setting = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let port: u16 = setting("FORGEFLOW_PORT", "8787").parse()?;
    let prefix = setting("FORGEFLOW_STACK", "forgeflow-local");
    let state_dir = std::path::PathBuf::from(setting("FORGEFLOW_STATE_DIR", ".local"));

    let (_moto, endpoint) = match std::env::var("AWS_ENDPOINT_URL") {
        Ok(endpoint) => (None, endpoint),
        Err(_) => {
            let moto = Moto::start()?;
            let endpoint = moto.endpoint().to_owned();
            (Some(moto), endpoint)
        }
    };
    let clients = Clients::from_sdk_config(&moto::sdk_config(&endpoint).await);
    let stack = bootstrap(&clients, &prefix).await?;
    let jwt_secret = stack
        .secrets
        .get("jwt")
        .cloned()
        .ok_or("resources.json defines no jwt secret")?;
    let bound = Gateway::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let context = ApiContext::load(
        clients.clone(),
        stack.resources(),
        SecretSource::SecretsManager(jwt_secret),
    )
    .await?
    .with_ws_endpoint(&bound.url());
    let gateway = bound.serve(Arc::new(context));
    let tick_seconds: u64 = setting("FORGEFLOW_TICK_SECONDS", "60").parse()?;
    let settings = WorkerSettings {
        forges: ForgeSettings::from_env(),
        tick_every: Some(std::time::Duration::from_secs(tick_seconds.max(1))),
        // Workers post progress to the gateway's @connections endpoint, as to API Gateway's.
        ws_endpoint: Some(gateway.url()),
        ..WorkerSettings::default()
    };
    let workers = workers::start(&clients, &stack, Agents::from_env(), &settings).await;

    std::fs::create_dir_all(&state_dir)?;
    let mut env_file = format!(
        "AWS_ENDPOINT_URL={endpoint}\nFORGEFLOW_API_URL={}\nFORGEFLOW_WS_URL={}\nFORGEFLOW_WS_ENDPOINT={}\n",
        gateway.url(),
        gateway.ws_url(),
        gateway.url()
    );
    for (name, value) in stack.env() {
        env_file.push_str(&format!("{name}={value}\n"));
    }
    std::fs::write(state_dir.join("stack.env"), env_file)?;

    eprintln!("forgeflow local stack ready");
    eprintln!("  API:      {}", gateway.url());
    eprintln!("  page:     {}/", gateway.url());
    eprintln!("  socket:   {}", gateway.ws_url());
    eprintln!("  emulator: {endpoint} (moto)");
    eprintln!("  table {}, bucket {}", stack.table, stack.bucket);
    println!("{}", gateway.url());

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    eprintln!("stopping");
    drop(workers);
    Ok(())
}

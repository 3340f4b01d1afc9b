//! `forgeflow-local`: the whole stack on this machine. Starts moto (unless `AWS_ENDPOINT_URL`
//! points at one already), creates the resources, and serves the API on 127.0.0.1.
//!
//! Settings: `FORGEFLOW_PORT` (default 8787), `FORGEFLOW_STACK` (resource prefix, default
//! `forgeflow-local`), `FORGEFLOW_STATE_DIR` (default `.local`, where `stack.env` is written),
//! `FORGEFLOW_FUNCTIONS`: `processes` runs every function as Lambda does (the `forgeflow-api` and
//! worker binaries next to this one, as processes behind the Runtime API, with the environment CDK
//! gives them), for the HTTP and WebSocket routes, the SQS event sources and the schedule rule;
//! `in-process` (the default) calls the handlers in this process.

use std::net::SocketAddr;
use std::sync::Arc;

use forgeflow_agents::{Agents, AgentsConfig};
use forgeflow_api::ApiContext;
use forgeflow_api::context::SecretSource;
use forgeflow_api::guard::RateLimits;
use forgeflow_local::functions::ApiFunctions;
use forgeflow_local::worker_processes;
use forgeflow_local::workers::{self, WorkerSettings};
use forgeflow_local::{Gateway, Moto, Stack, bootstrap, iam, moto, principals};
use forgeflow_store::{Clients, Env};
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
    // A moto this stack did not start may not enforce IAM, and its admin is not ours to know.
    let config = match &_moto {
        Some(moto) => moto.sdk_config().await,
        None => moto::sdk_config(&endpoint, moto::unchecked_credentials()).await,
    };
    let clients = Clients::from_sdk_config(&config);
    // The settings the in-process handlers and workers read (a function process gets them through
    // its environment, `process_env`), and the deployment's provider keys, which go into their
    // secrets as an operator puts them there in AWS.
    let own_env = Env::process();
    let stack = bootstrap(&clients, &prefix, &|name| own_env.get(name).map(str::to_owned)).await?;
    let jwt_secret = stack
        .secrets
        .get("jwt")
        .cloned()
        .ok_or("resources.json defines no jwt secret")?;
    let bound = Gateway::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let mut context = ApiContext::load(
        clients.clone(),
        stack.resources(),
        SecretSource::SecretsManager(jwt_secret),
    )
    .await?
    .with_ws_endpoint(&bound.url());
    context.rate_limits = RateLimits::from_env(&own_env);
    let processes = match setting("FORGEFLOW_FUNCTIONS", "in-process").as_str() {
        "processes" => true,
        "in-process" => false,
        other => return Err(format!("FORGEFLOW_FUNCTIONS must be processes or in-process, not {other:?}").into()),
    };
    let env = process_env(&stack, &bound.url(), &endpoint);
    let principals = if processes {
        principals::create(&config, &stack, &prefix, &iam::roles()).await?
    } else {
        principals::Principals::default()
    };
    // `@connections` accepts the signatures of the in-process side and of every function's role.
    bound.keys().trust_config(&config).await;
    bound.keys().trust_principals(&principals);
    let gateway = if processes {
        let functions = ApiFunctions::new(&binary("forgeflow-api", "forgeflow-api-lambda")?, &env, &principals);
        bound.serve_functions(Arc::new(context), Arc::new(functions))
    } else {
        bound.serve(Arc::new(context))
    };
    let tick_seconds: u64 = setting("FORGEFLOW_TICK_SECONDS", "60").parse()?;
    let tick_every = Some(std::time::Duration::from_secs(tick_seconds.max(1)));
    let (_in_process, _processes) = if processes {
        let binaries = binary("step-worker", "forgeflow-workers")?.with_file_name("");
        let started = worker_processes::start(&clients, &stack, &binaries, &env, &principals, None, tick_every);
        (None, Some(started))
    } else {
        let settings = WorkerSettings {
            forges: ForgeSettings::from_env(&own_env),
            tick_every,
            // Workers post progress to the gateway's @connections endpoint, as to API Gateway's.
            ws_endpoint: Some(gateway.url()),
            ..WorkerSettings::default()
        };
        (
            Some(workers::start(&clients, &stack, agents(&own_env), &settings).await),
            None,
        )
    };

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
    Ok(())
}

fn agents(env: &Env) -> Agents {
    Agents::new(AgentsConfig::from_lookup(|name| env.get(name).map(str::to_owned)))
}

/// A function binary built next to this one (`cargo build -p <package>`).
fn binary(name: &str, package: &str) -> Result<std::path::PathBuf, BoxError> {
    let binary = std::env::current_exe()?.with_file_name(name);
    if !binary.exists() {
        return Err(format!("{} is missing: cargo build -p {package}", binary.display()).into());
    }
    Ok(binary)
}

/// What every function process gets: the environment CDK gives it with the endpoints on this stack,
/// the emulator's region, and the `FORGEFLOW_*` settings this process was given (rate limits and the
/// like, which CDK leaves at their defaults), but never a provided secret's value (a key reaches a
/// function only through its secret). Its role's credentials are added per function.
fn process_env(stack: &Stack, gateway: &str, emulator: &str) -> Vec<(String, String)> {
    let secret_values: Vec<String> = forgeflow_local::manifest::resources()
        .secrets
        .into_iter()
        .filter_map(|secret| secret.provided)
        .collect();
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(name, _)| name.starts_with("FORGEFLOW_") && !secret_values.contains(name))
        .collect();
    let function_env = stack.function_env(gateway);
    env.retain(|(name, _)| !function_env.iter().any(|(set, _)| set == name));
    env.extend(function_env);
    for (name, value) in [("AWS_ENDPOINT_URL", emulator), ("AWS_REGION", "us-east-1")] {
        env.push((name.into(), value.into()));
    }
    env
}

/// Structured JSON logs for every function, level from `RUST_LOG` (default `info`).
/// CloudWatch stamps each line, so no timestamp of our own.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .try_init();
}

use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// Every AWS client a function may need, built once per Lambda container and shared by reference.
/// Building a client makes no network call, so unused ones cost nothing but a few allocations.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub kms: aws_sdk_kms::Client,
    /// Region and credentials, for clients whose endpoint is not the environment's (the
    /// WebSocket API's `@connections`).
    pub config: SdkConfig,
}

impl Clients {
    /// Reads region, credentials and `AWS_ENDPOINT_URL` (the emulator, locally) from the environment.
    pub async fn from_env() -> Self {
        let started = std::time::Instant::now();
        let config = sdk_defaults().load().await;
        tracing::info!(ms = started.elapsed().as_secs_f64() * 1e3, "sdk config loaded");
        Self::from_sdk_config(&config)
    }

    pub fn from_sdk_config(config: &SdkConfig) -> Self {
        // An overridden endpoint is an emulator: its buckets live in the path, not in DNS names.
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Self {
            dynamo: aws_sdk_dynamodb::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: aws_sdk_sqs::Client::new(config),
            secrets: aws_sdk_secretsmanager::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            config: config.clone(),
        }
    }
}

/// The SDK's defaults with our HTTPS client: rustls on ring. Every client of the process shares it
/// (and its connection pool); the SDK's default would link aws-lc into every function.
pub fn sdk_defaults() -> ConfigLoader {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest()).http_client(https)
}

//! Tracing set-up that cannot leak secrets.
//!
//! Several dependencies log request bodies, SQL parameters or the raw Lambda payload at DEBUG or
//! TRACE (the SDK's HTTP layer, tokio-postgres, the Lambda runtime). A PutSecretValue body holds
//! the new secret and the payload holds the RotationToken, so those targets are capped at INFO
//! whatever level is requested. rotor's own code never logs a secret value at any level.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Directive;

/// Targets that are never allowed below INFO.
pub const CAPPED_TARGETS: &[&str] = &[
    "aws_config",
    "aws_runtime",
    "aws_sdk_secretsmanager",
    "aws_sdk_sts",
    "aws_sigv4",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "h2",
    "hyper",
    "hyper_util",
    "lambda_runtime",
    "lambda_runtime_api_client",
    "mysql_async",
    "mysql_common",
    "postgres_protocol",
    "rustls",
    "tokio_postgres",
    "tower",
];

/// A filter for `requested` (an `EnvFilter` directive string or a bare level such as `TRACE`),
/// with [`CAPPED_TARGETS`] capped at INFO.
pub fn filter(requested: &str) -> EnvFilter {
    let requested = match requested.trim().to_ascii_lowercase().as_str() {
        "" => "info".to_owned(),
        "fatal" => "error".to_owned(),
        other => other.to_owned(),
    };
    let mut filter = EnvFilter::try_new(&requested).unwrap_or_else(|_| EnvFilter::new("info"));
    for target in CAPPED_TARGETS {
        if let Ok(directive) = format!("{target}=info").parse::<Directive>() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// The level requested by the environment: `AWS_LAMBDA_LOG_LEVEL`, then `RUST_LOG`, else INFO.
pub fn requested_level() -> String {
    std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_default()
}

/// Installs JSON logging to stdout for CloudWatch. Does nothing if a subscriber is already set.
pub fn init_json() {
    let _already_set = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter(&requested_level()))
        .with_current_span(false)
        .with_span_list(false)
        .with_target(true)
        .without_time()
        .try_init();
}

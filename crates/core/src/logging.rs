//! Tracing set-up that cannot leak secrets.
//!
//! Several dependencies log request bodies, SQL parameters or the raw Lambda payload at DEBUG or
//! TRACE (the SDK's HTTP layer, database drivers, the Lambda runtime). A PutSecretValue body
//! holds the new secret and the payload holds the RotationToken, so those targets are capped at
//! INFO whatever level is requested. rotor's own code never logs a secret value at any level.
//!
//! rotor-core caps the dependencies it brings itself ([`CAPPED_TARGETS`]); an engine crate
//! declares its driver's targets ([`Engine::LOG_TARGETS`](crate::database::Engine::LOG_TARGETS)),
//! and a rotator passes them on ([`Rotator::log_targets`](crate::Rotator::log_targets)), so
//! [`lambda::run`](crate::lambda::run) caps them too.
//!
//! The cap is a layer of its own ([`DependencyCap`]) in front of the `EnvFilter` that reads the
//! requested level, not a directive inside it: `EnvFilter` lets the most specific directive win,
//! so `RUST_LOG=aws_smithy_runtime::client::orchestrator=trace` would override an
//! `aws_smithy_runtime=info` cap. The layer refuses every span and event below INFO whose target
//! is a capped target or one of its modules, both when a callsite registers and whenever it is
//! checked again, so no directive (target, span, field or a mix) can turn it back on.

use tracing::subscriber::Interest;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, Layered, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

#[cfg(test)]
mod tests;

/// The targets (crates, with all their modules) of rotor-core's own dependencies that are never
/// allowed below INFO.
pub const CAPPED_TARGETS: &[&str] = &[
    "aws_config",
    "aws_runtime",
    "aws_sdk_eventbridge",
    "aws_sdk_rds",
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
    "rustls",
    "tower",
];

/// Whether `target` is `capped` or a module inside it (`aws_smithy_runtime::client::orchestrator`
/// inside `aws_smithy_runtime`), but not a crate that merely shares a prefix.
fn within(target: &str, capped: &str) -> bool {
    target
        .strip_prefix(capped)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// Whether `target` is one of [`CAPPED_TARGETS`] or a module inside one.
pub fn is_capped(target: &str) -> bool {
    CAPPED_TARGETS.iter().any(|capped| within(target, capped))
}

/// A layer that disables every span and event below INFO from a [capped](is_capped) target, or
/// from one of the extra targets it was given (a rotator's [`log_targets`](crate::Rotator::log_targets)),
/// whatever the other layers or filters of the subscriber would allow.
#[derive(Debug, Clone, Default)]
pub struct DependencyCap {
    extra: Vec<&'static str>,
}

impl DependencyCap {
    /// The cap of [`CAPPED_TARGETS`] and `extra`.
    pub fn new(extra: &[&'static str]) -> Self {
        Self {
            extra: extra.to_vec(),
        }
    }

    /// Whether the cap lets a span or event with `metadata` through.
    pub fn allows(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::INFO || !self.caps(metadata.target())
    }

    /// Whether `target` is capped: one of [`CAPPED_TARGETS`] or of the extra targets, or a
    /// module inside one.
    pub fn caps(&self, target: &str) -> bool {
        is_capped(target) || self.extra.iter().any(|capped| within(target, capped))
    }
}

impl<S: Subscriber> Layer<S> for DependencyCap {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.allows(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        self.allows(metadata)
    }
}

/// The production filter: `requested` (an `EnvFilter` directive string such as
/// `aws_smithy_runtime=trace,info`, or a bare level such as `TRACE`) behind a [`DependencyCap`]
/// of [`CAPPED_TARGETS`] and `extra` (the rotators' driver targets).
///
/// Targets that no directive names log at INFO, so a per-module setting does not silence
/// rotor's own step lines; a bare level in `requested` replaces that default. An unparsable
/// string means INFO.
pub fn filter<S>(requested: &str, extra: &[&'static str]) -> Layered<DependencyCap, EnvFilter, S>
where
    S: Subscriber,
{
    requested_filter(requested).and_then(DependencyCap::new(extra))
}

/// The requested directives alone, with INFO as the default: without the cap, which is why
/// it is not public.
fn requested_filter(requested: &str) -> EnvFilter {
    let requested = match requested.trim().to_ascii_lowercase().as_str() {
        "" => "info".to_owned(),
        "fatal" => "error".to_owned(),
        other => other.to_owned(),
    };
    EnvFilter::try_new(format!("info,{requested}")).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The level requested by the environment: `AWS_LAMBDA_LOG_LEVEL`, then `RUST_LOG`, else INFO.
/// An empty variable counts as unset.
pub fn requested_level() -> String {
    ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_default()
}

/// Installs JSON logging to stdout for CloudWatch, with `extra` capped besides
/// [`CAPPED_TARGETS`]. Does nothing if a subscriber is already set.
pub fn init_json(extra: &[&'static str]) {
    let format = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .with_span_list(false)
        .with_target(true)
        .without_time();
    let _already_set = tracing_subscriber::registry()
        .with(filter(&requested_level(), extra))
        .with(format)
        .try_init();
}

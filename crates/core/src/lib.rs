//! # rotor-core
//!
//! The AWS Secrets Manager rotation protocol, once, correctly: Secrets Manager calls a rotation
//! function four times (`createSecret`, `setSecret`, `testSecret`, `finishSecret`) and retries
//! any of them at will. This crate owns everything that does not depend on what is being
//! rotated:
//!
//! - the [`RotationEvent`] and its strict [`Step`] enum;
//! - the preamble (one DescribeSecret per invocation, AWS's four rules);
//! - the four steps as an idempotent state machine ([`RotationFunction`]), where AWSPENDING,
//!   addressed by the ClientRequestToken, is the write-ahead log of a rotation;
//! - the [`SecretsManager`] port with an AWS SDK adapter and an in-memory model of the
//!   service's documented semantics;
//! - password generation with AWS's environment variables ([`PasswordPolicy`]);
//! - what both database engines share ([`database`]): AWS's database secret format, the pair
//!   checks, the order in which stored and master credentials are tried, and the trusted CAs;
//! - Lambda glue ([`lambda::run`], or [`lambda::run_or_report`] for a rotator that reads settings
//!   of its own: an invalid configuration is answered on every invocation, not a dead process)
//!   and logging that cannot leak secrets whatever the log level says ([`logging`]).
//!
//! ## Design
//!
//! The [`Rotator`] trait is the only thing a user implements. It is deliberately small: how to
//! build the pending value (a default copies AWSCURRENT with a new `password`), how to apply it,
//! and how to test it. Rotators never touch staging labels, so they cannot break the protocol.
//! Engine crates (`rotor-postgres`, `rotor-mysql`) are rotators like any other.
//!
//! Errors are typed and classified ([`ErrorClass`]): engines report *auth failure*, *transient*
//! or *permanent*, and the Lambda `errorType` is a stable name ([`Classify::error_type`]). No
//! error, log line or `Debug` output ever holds a secret value.
//!
//! ## Writing a rotator
//!
//! A rotator for an API key that lives in a third-party service:
//!
//! ```
//! use rotor_core::{Rotator, RotatorError, StepContext, Classify, ErrorClass};
//!
//! /// What the key service can say.
//! #[derive(Debug, thiserror::Error)]
//! #[error("the key service refused the key")]
//! struct KeyRefused;
//!
//! impl Classify for KeyRefused {
//!     fn class(&self) -> ErrorClass { ErrorClass::AuthFailure }
//!     fn error_type(&self) -> &'static str { "KeyRefused" }
//! }
//!
//! struct ApiKeyRotator;
//!
//! impl Rotator for ApiKeyRotator {
//!     // createSecret: the default copies AWSCURRENT with a new `password` field.
//!
//!     async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
//!         let _new_key = ctx.pending().password()
//!             .map_err(|problem| ctx.malformed("AWSPENDING", problem))?;
//!         // Register the key with the service here; registering twice must be harmless.
//!         Ok(())
//!     }
//!
//!     async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
//!         let key = ctx.pending().password().map_err(|problem| ctx.malformed("AWSPENDING", problem))?;
//!         use secrecy::ExposeSecret;
//!         if key.expose_secret().is_empty() { return Err(KeyRefused.into()); }
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use rotor_core::{Deadline, InMemorySecretsManager, RotationEvent, RotationFunction,
//!     RotationSettings, SecretValue, Step};
//! use std::time::Duration;
//!
//! // Play Secrets Manager locally: a secret, a RotateSecret placeholder, then the four steps.
//! let store = InMemorySecretsManager::new();
//! let arn = store.create_secret("api-key", &SecretValue::new(r#"{"password":"k1"}"#)).unwrap();
//! let token = store.start_rotation(&arn).unwrap();
//! let function = RotationFunction::new(ApiKeyRotator, store, RotationSettings::new(""));
//! for step in Step::ALL {
//!     let event = RotationEvent::new(&arn, &token, step);
//!     function.invoke(&event, Deadline::after(Duration::from_secs(30))).await.unwrap();
//! }
//! # }
//! ```
//!
//! In a Lambda binary, `rotor_core::lambda::run(ApiKeyRotator).await` is the whole `main`.

mod boxed;
mod context;
pub mod database;
mod deadline;
mod error;
mod event;
pub mod fault;
mod finish_context;
mod function;
pub mod lambda;
pub mod logging;
pub mod metrics;
pub mod notify;
mod outcome;
pub mod password;
mod preamble;
pub mod rds;
pub mod redshift;
mod rotator;
mod secret;
pub mod secrets_manager;
mod settings;
mod stage;
mod steps;
mod type_name;

pub use boxed::BoxedRotator;
pub use context::{CreateContext, RecentVersion, SecretContext, StepContext};
pub use deadline::Deadline;
pub use error::{Classify, ErrorClass, RotationError, RotatorError};
pub use event::{RotationEvent, RotationToken, Step};
pub use finish_context::FinishContext;
pub use function::{DEADLINE_MARGIN, RotationFunction};
pub use outcome::StepOutcome;
pub use password::{PasswordPolicy, PasswordSource};
pub use rotator::Rotator;
pub use secret::{FieldError, SecretJson, SecretValue};
pub use secrets_manager::{
    AwsSecretsManager, InMemorySecretsManager, SecretDescription, SecretsManager, SecretsManagerError,
};
pub use settings::{InvalidSetting, RotationSettings};
pub use stage::StagingLabel;

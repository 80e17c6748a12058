//! Lambda glue: one call turns a [`Rotator`] into a rotation function.

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

use crate::deadline::Deadline;
use crate::error::{Classify, RotationError};
use crate::event::RotationEvent;
use crate::function::{DEADLINE_MARGIN, RotationFunction};
use crate::rotator::Rotator;
use crate::secrets_manager::{AwsSecretsManager, SecretsManager};
use crate::settings::RotationSettings;

/// Runs a rotation function until the Lambda runtime stops it.
///
/// Sets up JSON logging for CloudWatch (with secret-bearing dependency logs capped, see
/// [`logging`](crate::logging)), reads the password settings, builds the Secrets Manager client
/// once, and serves invocations with it.
///
/// ```no_run
/// # struct MyRotator;
/// # impl rotor_core::Rotator for MyRotator {
/// #     async fn set_secret(&self, _: &rotor_core::StepContext<'_>) -> Result<(), rotor_core::RotatorError> { Ok(()) }
/// #     async fn test_secret(&self, _: &rotor_core::StepContext<'_>) -> Result<(), rotor_core::RotatorError> { Ok(()) }
/// # }
/// #[tokio::main]
/// async fn main() -> Result<(), lambda_runtime::Error> {
///     rotor_core::lambda::run(MyRotator).await
/// }
/// ```
pub async fn run<R: Rotator>(rotator: R) -> Result<(), lambda_runtime::Error> {
    crate::logging::init_json();
    let settings = RotationSettings::from_env(R::DEFAULT_EXCLUDE_CHARACTERS).inspect_err(|error| {
        // The process exits before it takes an event: say why in CloudWatch, not only on stderr.
        tracing::error!(%error, "invalid rotation function configuration");
    })?;
    let secrets = AwsSecretsManager::from_env().await;
    let function = RotationFunction::new(rotator, secrets, settings);
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(function, event).await
    }))
    .await
}

/// Handles one Lambda invocation: parses the payload, derives the deadline from the context, and
/// runs the step. Errors become a [`Diagnostic`] whose `error_type` names the failure.
pub async fn handle<R: Rotator, S: SecretsManager>(
    function: &RotationFunction<R, S>,
    event: LambdaEvent<Value>,
) -> Result<(), Diagnostic> {
    let deadline = Deadline::from_epoch_millis(event.context.deadline).with_margin(DEADLINE_MARGIN);
    let rotation = RotationEvent::from_json(&event.payload)?;
    function.invoke(&rotation, deadline).await?;
    Ok(())
}

impl From<RotationError> for Diagnostic {
    fn from(error: RotationError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

//! Lambda glue: one call turns a [`Rotator`] into a rotation function.

use std::sync::Arc;
use std::time::Instant;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

use crate::deadline::Deadline;
use crate::error::{Classify, RotationError};
use crate::event::RotationEvent;
use crate::function::{DEADLINE_MARGIN, RotationFunction};
use crate::metrics::InvocationMetrics;
use crate::notify::EventBridgeNotifier;
use crate::password::{DEFAULT_EXCLUDE_CHARACTERS, PolicyError};
use crate::rds::AwsRds;
use crate::rotator::Rotator;
use crate::secrets_manager::{AwsSecretsManager, SecretsManager};
use crate::settings::RotationSettings;

/// Runs a rotation function until the Lambda runtime stops it.
///
/// Sets up JSON logging for CloudWatch (with secret-bearing dependency logs capped, see
/// [`logging`](crate::logging)), reads the password settings, builds the Secrets Manager client
/// once, and serves invocations with it. Invalid password settings do not end the process: see
/// [`run_or_report`].
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
    run_or_report(Ok::<R, RotationError>(rotator)).await
}

/// Like [`run`], for a rotator whose construction can fail, typically because it reads settings
/// of its own from the environment.
///
/// An invalid configuration is answered, not a dead process: when `rotator` is an error, or the
/// password settings are invalid ([`PolicyError`]), the function
/// still starts and answers every invocation with that error, and does nothing else: no
/// Secrets Manager client is built, so nothing is read or written. The Lambda `errorType` is the
/// error's [`Classify::error_type`] (`InvalidSetting.<VARIABLE>` for the password settings, e.g.
/// `InvalidSetting.PASSWORD_LENGTH`), and `errorMessage` says which variable to fix. Secrets
/// Manager then reports the failed step, and the next invocation after the variable is fixed
/// (which starts a new process) rotates normally. The rotator error is reported first when
/// both are wrong.
///
/// ```no_run
/// # #[derive(Debug, thiserror::Error)] #[error("KEY_BITS must be 128 or 256")] struct BadKeyBits;
/// # impl rotor_core::Classify for BadKeyBits {
/// #     fn class(&self) -> rotor_core::ErrorClass { rotor_core::ErrorClass::Permanent }
/// #     fn error_type(&self) -> &'static str { "InvalidSetting.KEY_BITS" }
/// # }
/// # struct MyRotator;
/// # impl MyRotator { fn from_env() -> Result<Self, BadKeyBits> { Ok(Self) } }
/// # impl rotor_core::Rotator for MyRotator {
/// #     async fn set_secret(&self, _: &rotor_core::StepContext<'_>) -> Result<(), rotor_core::RotatorError> { Ok(()) }
/// #     async fn test_secret(&self, _: &rotor_core::StepContext<'_>) -> Result<(), rotor_core::RotatorError> { Ok(()) }
/// # }
/// #[tokio::main]
/// async fn main() -> Result<(), lambda_runtime::Error> {
///     rotor_core::lambda::run_or_report(MyRotator::from_env()).await
/// }
/// ```
pub async fn run_or_report<R: Rotator, E: Classify>(
    rotator: Result<R, E>,
) -> Result<(), lambda_runtime::Error> {
    run_or_report_with(rotator, |function| function).await
}

/// Like [`run_or_report`], with ports only this binary needs: `extend` receives the function
/// that [`run`] builds for every rotator (Secrets Manager, RDS, the rotation notifier) and returns
/// it with more, e.g. [`RotationFunction::with_redshift`]. It is not called when the
/// configuration is invalid, so nothing it adds is ever built then.
///
/// ```no_run
/// # struct MyRotator;
/// # impl rotor_core::Rotator for MyRotator {
/// #     async fn set_secret(&self, _: &rotor_core::StepContext<'_>) -> Result<(), rotor_core::RotatorError> { Ok(()) }
/// #     async fn test_secret(&self, _: &rotor_core::StepContext<'_>) -> Result<(), rotor_core::RotatorError> { Ok(()) }
/// # }
/// # fn redshift_api() -> std::sync::Arc<dyn rotor_core::redshift::RedshiftApi> { unimplemented!() }
/// #[tokio::main]
/// async fn main() -> Result<(), lambda_runtime::Error> {
///     let rotator = Ok::<_, rotor_core::RotationError>(MyRotator);
///     rotor_core::lambda::run_or_report_with(rotator, |function| function.with_redshift(redshift_api())).await
/// }
/// ```
pub async fn run_or_report_with<R, E, F>(
    rotator: Result<R, E>,
    extend: F,
) -> Result<(), lambda_runtime::Error>
where
    R: Rotator,
    E: Classify,
    F: FnOnce(RotationFunction<R, AwsSecretsManager>) -> RotationFunction<R, AwsSecretsManager>,
{
    crate::logging::init_json(rotator.as_ref().map_or(&[], Rotator::log_targets));
    let exclude = rotator
        .as_ref()
        .map_or(DEFAULT_EXCLUDE_CHARACTERS, Rotator::default_exclude_characters);
    let settings = RotationSettings::from_env(exclude);
    let (rotator, settings) = match configure(rotator, settings) {
        Ok(configured) => configured,
        Err(refusal) => return serve_invalid_configuration(&refusal).await,
    };
    let secrets = AwsSecretsManager::from_env().await;
    // Built on first use, on the Secrets Manager client's SDK configuration: only a function
    // that meets an RDS-managed master or a replica endpoint ever calls RDS.
    let function = RotationFunction::new(rotator, secrets, settings).with_rds(Arc::new(AwsRds::from_env()));
    // ROTOR_EVENT_BUS: the rotation notification; its client is also built on first use.
    let function = match EventBridgeNotifier::from_env() {
        Some(notifier) => function.with_notifier(Arc::new(notifier)),
        None => function,
    };
    let function = extend(function);
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(function, event).await
    }))
    .await
}

/// The rotator and settings to serve with, or the answer to every invocation when either is
/// invalid (the rotator's error first).
fn configure<R, E: Classify>(
    rotator: Result<R, E>,
    settings: Result<RotationSettings, PolicyError>,
) -> Result<(R, RotationSettings), Diagnostic> {
    let refuse = |error: &dyn Classify| Diagnostic {
        error_type: error.error_type().to_owned(),
        error_message: format!("invalid rotation function configuration, nothing was changed: {error}"),
    };
    match (rotator, settings) {
        (Ok(rotator), Ok(settings)) => Ok((rotator, settings)),
        (Err(error), _) => Err(refuse(&error)),
        (Ok(_), Err(error)) => Err(refuse(&error)),
    }
}

/// Answers every invocation with `refusal` and touches nothing else.
async fn serve_invalid_configuration(refusal: &Diagnostic) -> Result<(), lambda_runtime::Error> {
    tracing::error!(
        error_type = refusal.error_type.as_str(),
        error = refusal.error_message.as_str(),
        "invalid rotation function configuration: every invocation fails until it is fixed"
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // The step and secret, so CloudWatch shows what was refused; never the payload itself,
        // which carries the RotationToken.
        let rotation = RotationEvent::from_json(&event.payload).ok();
        tracing::error!(
            secret_id = rotation.as_ref().map(|rotation| rotation.secret_id.as_str()),
            step = rotation.as_ref().map(|rotation| rotation.step.as_str()),
            error_type = refusal.error_type.as_str(),
            "rotation step refused: invalid rotation function configuration"
        );
        Err::<(), Diagnostic>(refusal.clone())
    }))
    .await
}

/// Handles one Lambda invocation: parses the payload, derives the deadline from the context, and
/// runs the step. Errors become a [`Diagnostic`] whose `error_type` names the failure. Then the
/// invocation's [metrics](crate::metrics) are printed to stdout as EMF lines.
pub async fn handle<R: Rotator, S: SecretsManager>(
    function: &RotationFunction<R, S>,
    event: LambdaEvent<Value>,
) -> Result<(), Diagnostic> {
    let started = Instant::now();
    let deadline = Deadline::from_epoch_millis(event.context.deadline).with_margin(DEADLINE_MARGIN);
    let (step, result) = match RotationEvent::from_json(&event.payload) {
        Ok(rotation) => (
            rotation.step.as_str(),
            function.invoke(&rotation, deadline).await.map(drop),
        ),
        Err(error) => (crate::metrics::UNKNOWN_STEP, Err(error)),
    };
    let error_type = result.as_ref().err().map(Classify::error_type);
    InvocationMetrics {
        rotator: function.rotator().name(),
        step,
        duration: started.elapsed(),
        error_type,
    }
    .emit();
    Ok(result?)
}

impl From<RotationError> for Diagnostic {
    fn from(error: RotationError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rotator constructor's error, as a binary reading its own settings would return it.
    #[derive(Debug, thiserror::Error)]
    #[error("USERNAME_CHARACTER_LIMIT must be a positive whole number")]
    struct BadLimit;

    impl Classify for BadLimit {
        fn class(&self) -> crate::ErrorClass {
            crate::ErrorClass::Permanent
        }
        fn error_type(&self) -> &'static str {
            "InvalidSetting.USERNAME_CHARACTER_LIMIT"
        }
    }

    fn settings() -> RotationSettings {
        RotationSettings::new("")
    }

    #[test]
    fn a_valid_configuration_is_served() {
        let configured = configure(Ok::<u8, BadLimit>(7), Ok(settings())).unwrap();
        assert_eq!(configured, (7, settings()));
    }

    #[test]
    fn an_invalid_password_setting_becomes_the_answer_naming_its_variable() {
        let refusal = configure(Ok::<u8, BadLimit>(7), Err(PolicyError::InvalidLength)).unwrap_err();
        assert_eq!(refusal.error_type, "InvalidSetting.PASSWORD_LENGTH");
        assert!(refusal.error_message.contains("PASSWORD_LENGTH"), "{refusal:?}");
        assert!(
            refusal.error_message.contains("nothing was changed"),
            "{refusal:?}"
        );
    }

    #[test]
    fn a_rotator_construction_error_is_answered_first() {
        let refusal = configure(Err::<u8, _>(BadLimit), Err(PolicyError::EmptyAlphabet)).unwrap_err();
        assert_eq!(refusal.error_type, "InvalidSetting.USERNAME_CHARACTER_LIMIT");
        assert!(
            refusal.error_message.contains("USERNAME_CHARACTER_LIMIT"),
            "{refusal:?}"
        );
    }
}

use crate::context::{SecretContext, StepContext};
use crate::error::RotationError;
use crate::event::Step;
use crate::outcome::StepOutcome;
use crate::rotator::Rotator;

/// testSecret: hands the pending value to the rotator's test. When the pending version has no
/// value (Secrets Manager testing a rotation configuration with `RotateImmediately=false`), runs
/// the rotator's configuration test instead and reports [`StepOutcome::ConfigurationTested`].
///
/// Second run: tests change nothing, so a repeat gives the same answer.
pub(crate) async fn test_secret<R: Rotator>(
    rotator: &R,
    secret: SecretContext<'_>,
) -> Result<StepOutcome, RotationError> {
    let fail = |source| RotationError::Rotator {
        step: Step::TestSecret,
        source,
    };
    match super::read_pending(&secret).await? {
        Some(pending) => {
            let ctx = StepContext::new(secret, pending);
            rotator.test_secret(&ctx).await.map_err(fail)?;
            Ok(StepOutcome::SecretTested)
        }
        None => {
            tracing::info!(
                secret_id = secret.secret_id(),
                token = secret.token(),
                "AWSPENDING has no value: testing the rotation configuration against AWSCURRENT only"
            );
            rotator.test_configuration(&secret).await.map_err(fail)?;
            Ok(StepOutcome::ConfigurationTested)
        }
    }
}

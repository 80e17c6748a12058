use crate::context::{SecretContext, StepContext};
use crate::error::RotationError;
use crate::event::Step;
use crate::outcome::StepOutcome;
use crate::rotator::Rotator;

/// setSecret: reads the pending value by token and hands it to the rotator.
///
/// Second run: the rotator's own rule applies; every shipped rotator detects that the pending
/// value is already in effect and changes nothing.
pub(crate) async fn set_secret<R: Rotator>(
    rotator: &R,
    secret: SecretContext<'_>,
) -> Result<StepOutcome, RotationError> {
    let Some(pending) = super::read_pending(&secret).await? else {
        return Err(RotationError::PendingValueMissing {
            secret_id: secret.secret_id().to_owned(),
            token: secret.token().to_owned(),
        });
    };
    let ctx = StepContext::new(secret, pending);
    rotator
        .set_secret(&ctx)
        .await
        .map_err(|source| RotationError::Rotator {
            step: Step::SetSecret,
            source,
        })?;
    Ok(StepOutcome::SecretSet)
}

use crate::context::SecretContext;
use crate::error::RotationError;
use crate::event::Step;
use crate::finish_context::FinishContext;
use crate::rotator::Rotator;

/// The finish hook ([`Rotator::after_finish`]), once AWSCURRENT is on the token's version.
///
/// Second run: the hook runs again. Every finishSecret whose token is already AWSCURRENT reaches
/// this function (the preamble's no-op path), so a hook that failed or crashed after the label
/// moved is completed by the next retry; the hook itself must be idempotent.
pub(crate) async fn after_finish<R: Rotator>(
    rotator: &R,
    secret: SecretContext<'_>,
    previous_version: Option<String>,
) -> Result<(), RotationError> {
    let ctx = FinishContext::new(secret, previous_version);
    rotator
        .after_finish(&ctx)
        .await
        .map_err(|source| RotationError::Rotator {
            step: Step::FinishSecret,
            source,
        })
}

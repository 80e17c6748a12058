use crate::context::SecretContext;
use crate::error::RotationError;
use crate::outcome::StepOutcome;
use crate::rotator::Rotator;
use crate::secrets_manager::{SecretsManager, SecretsManagerError, UpdateVersionStage};
use crate::stage::StagingLabel;

/// finishSecret: reads the pending value by token and AWSPENDING together, then one
/// UpdateSecretVersionStage moves AWSCURRENT to the token's version and Secrets Manager puts
/// AWSPREVIOUS on the version it left. AWSPENDING stays on the new current version, which the
/// service documents as a completed rotation.
///
/// The read is the guard: a version without a value (a RotateSecret placeholder that
/// createSecret never filled) or one that lost AWSPENDING after DescribeSecret must never
/// become AWSCURRENT, so either fails with [`RotationError::PendingValueMissing`] and no label
/// moves.
///
/// Then the rotator's finish hook runs ([`super::after_finish`]).
///
/// Second run: the preamble sees the token is already AWSCURRENT; this function is not reached,
/// only the finish hook runs again. The DescribeSecret answer from the preamble is reused, so no
/// second call.
pub(crate) async fn finish_secret<R: Rotator, S: SecretsManager>(
    rotator: &R,
    secrets: &S,
    secret: SecretContext<'_>,
) -> Result<StepOutcome, RotationError> {
    let pending = match super::read_pending(&secret).await {
        Ok(pending) => pending,
        // The service's answer when the version exists but no longer carries AWSPENDING.
        Err(RotationError::SecretsManager {
            source: SecretsManagerError::InvalidRequest(_),
            ..
        }) => None,
        Err(error) => return Err(error),
    };
    if pending.is_none() {
        return Err(RotationError::PendingValueMissing {
            secret_id: secret.secret_id().to_owned(),
            token: secret.token().to_owned(),
        });
    }
    let current = secret
        .description()
        .version_with(StagingLabel::Current)
        .map(str::to_owned);
    secrets
        .update_secret_version_stage(UpdateVersionStage {
            secret_id: secret.secret_id(),
            stage: StagingLabel::Current,
            move_to: Some(secret.token()),
            remove_from: current.as_deref(),
        })
        .await
        .map_err(|source| RotationError::secrets_manager("UpdateSecretVersionStage", source))?;
    super::after_finish(rotator, secret, current.clone()).await?;
    Ok(StepOutcome::Finished {
        previous_version: current,
    })
}

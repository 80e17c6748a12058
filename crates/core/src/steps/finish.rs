use crate::context::SecretContext;
use crate::error::RotationError;
use crate::outcome::StepOutcome;
use crate::secrets_manager::{SecretsManager, UpdateVersionStage};
use crate::stage::StagingLabel;

/// finishSecret: one UpdateSecretVersionStage moves AWSCURRENT to the token's version and
/// Secrets Manager puts AWSPREVIOUS on the version it left. AWSPENDING stays on the new current
/// version, which the service documents as a completed rotation.
///
/// Second run: the preamble sees the token is already AWSCURRENT and does nothing; this function
/// is not reached. The DescribeSecret answer from the preamble is reused, so no second call.
pub(crate) async fn finish_secret<S: SecretsManager>(
    secrets: &S,
    secret: SecretContext<'_>,
) -> Result<StepOutcome, RotationError> {
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
    Ok(StepOutcome::Finished {
        previous_version: current,
    })
}

use crate::context::{CreateContext, SecretContext};
use crate::error::RotationError;
use crate::event::Step;
use crate::outcome::StepOutcome;
use crate::rotator::Rotator;
use crate::secret::SecretJson;
use crate::secrets_manager::{PutSecretValue, SecretsManager, SecretsManagerError};
use crate::stage::StagingLabel;

/// createSecret: reads AWSCURRENT, then the pending value by token; when there is none, asks the
/// rotator for a new value and stores it with PutSecretValue(ClientRequestToken = token,
/// VersionStages = [AWSPENDING], RotationToken).
///
/// Second run: the pending value exists, so nothing is written. When a duplicate invocation
/// stores its value between our read and our write, our PutSecretValue is refused and the value
/// that won is kept.
pub(crate) async fn create_secret<R: Rotator, S: SecretsManager>(
    rotator: &R,
    secrets: &S,
    secret: SecretContext<'_>,
) -> Result<StepOutcome, RotationError> {
    let current = secret.current().await?.clone();
    if super::read_pending(&secret).await?.is_some() {
        return Ok(StepOutcome::PendingAlreadyExists);
    }
    let ctx = CreateContext::new(secret, current);
    let pending: SecretJson =
        rotator
            .create_pending(&ctx)
            .await
            .map_err(|source| RotationError::Rotator {
                step: Step::CreateSecret,
                source,
            })?;
    let value = pending.to_secret_value();
    let put = secrets
        .put_secret_value(PutSecretValue {
            secret_id: ctx.secret_id(),
            client_request_token: ctx.token(),
            value: &value,
            stages: &[StagingLabel::Pending],
            rotation_token: ctx.rotation_token(),
        })
        .await;
    match put {
        Ok(()) => Ok(StepOutcome::PendingCreated),
        Err(SecretsManagerError::ResourceExists(message)) => match super::read_pending(&ctx).await? {
            Some(_) => Ok(StepOutcome::PendingAlreadyExists),
            None => Err(RotationError::secrets_manager(
                "PutSecretValue",
                SecretsManagerError::ResourceExists(message),
            )),
        },
        Err(source) => Err(RotationError::secrets_manager("PutSecretValue", source)),
    }
}

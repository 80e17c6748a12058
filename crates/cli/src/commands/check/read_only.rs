//! The store as testSecret's configuration test sees it: a view that shows the rotation's token
//! as an empty AWSPENDING version and refuses every write.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rotor_core::password::PasswordPolicy;
use rotor_core::secrets_manager::{
    PutSecretValue, SecretVersion, UpdateVersionStage, VersionSelector, VersionSummary,
};
use rotor_core::{SecretDescription, SecretsManager, SecretsManagerError, StagingLabel};
use secrecy::SecretString;

use crate::store::{Store, describe_with_placeholder, list_with_placeholder};

/// The store as RotateSecret with `RotateImmediately=false` leaves it for testSecret: the
/// secret shows one more version, `token`, carrying AWSPENDING and holding no value. Nothing
/// is stored for it, and every write is refused (and counted), so the checks cannot change the
/// store whatever a rotator tries.
#[derive(Debug, Clone)]
pub(crate) struct ReadOnly {
    store: Store,
    arn: String,
    token: String,
    refused: Arc<AtomicUsize>,
}

fn refused(operation: &str) -> SecretsManagerError {
    SecretsManagerError::InvalidRequest(format!("rotor check changes nothing: {operation} refused"))
}

impl ReadOnly {
    /// A read-only view of `store` in which secret `arn` has the empty AWSPENDING `token`.
    pub(crate) fn new(store: Store, arn: &str, token: &str) -> Self {
        Self {
            store,
            arn: arn.to_owned(),
            token: token.to_owned(),
            refused: Arc::default(),
        }
    }

    /// Writes refused so far.
    pub(crate) fn refused_writes(&self) -> usize {
        self.refused.load(Ordering::Relaxed)
    }

    fn is_ours(&self, secret_id: &str, description_arn: Option<&str>) -> bool {
        secret_id == self.arn || description_arn == Some(self.arn.as_str())
    }
}

impl SecretsManager for ReadOnly {
    async fn describe_secret(&self, secret_id: &str) -> Result<SecretDescription, SecretsManagerError> {
        let mut description = self.store.describe_secret(secret_id).await?;
        if self.is_ours(secret_id, Some(&description.arn)) {
            describe_with_placeholder(&mut description, self.token.clone());
        }
        Ok(description)
    }

    async fn get_secret_value(
        &self,
        secret_id: &str,
        selector: VersionSelector<'_>,
    ) -> Result<SecretVersion, SecretsManagerError> {
        let asks_for_token =
            selector.version_id == Some(self.token.as_str()) || selector.stage == Some(StagingLabel::Pending);
        if self.is_ours(secret_id, None) && asks_for_token {
            return Err(SecretsManagerError::ResourceNotFound(
                "Secrets Manager can't find the specified secret value for this version.".to_owned(),
            ));
        }
        self.store.get_secret_value(secret_id, selector).await
    }

    async fn put_secret_value(&self, _: PutSecretValue<'_>) -> Result<(), SecretsManagerError> {
        self.refused.fetch_add(1, Ordering::Relaxed);
        Err(refused("PutSecretValue"))
    }

    async fn update_secret_version_stage(
        &self,
        _: UpdateVersionStage<'_>,
    ) -> Result<(), SecretsManagerError> {
        self.refused.fetch_add(1, Ordering::Relaxed);
        Err(refused("UpdateSecretVersionStage"))
    }

    async fn list_secret_version_ids(
        &self,
        secret_id: &str,
    ) -> Result<Vec<VersionSummary>, SecretsManagerError> {
        let mut versions = self.store.list_secret_version_ids(secret_id).await?;
        if self.is_ours(secret_id, None) {
            list_with_placeholder(&mut versions, self.token.clone());
        }
        Ok(versions)
    }

    async fn get_random_password(
        &self,
        policy: &PasswordPolicy,
    ) -> Result<SecretString, SecretsManagerError> {
        self.store.get_random_password(policy).await
    }
}

#[cfg(test)]
mod tests {
    use rotor_core::SecretValue;

    use super::*;
    use crate::store::LocalStore;

    #[tokio::test]
    async fn the_view_shows_an_empty_awspending_and_refuses_every_write() {
        let dir = std::env::temp_dir().join(format!("rotor-check-{}", uuid::Uuid::new_v4()));
        let store = LocalStore::open(&dir.join("store.json"), |_| {}).unwrap();
        let arn = store
            .model()
            .create_secret("app", &SecretValue::new(r#"{"k":"v"}"#))
            .unwrap();
        let store = Store::Local(store);
        let before = store.describe_secret(&arn).await.unwrap().versions;
        let view = ReadOnly::new(store.clone(), &arn, "token-1");

        let seen = view.describe_secret(&arn).await.unwrap().versions;
        assert_eq!(seen["token-1"], ["AWSPENDING"]);
        assert_eq!(seen.len(), before.len() + 1);
        let pending = view
            .get_secret_value(&arn, VersionSelector::pending("token-1"))
            .await;
        assert!(pending.unwrap_err().is_not_found(), "AWSPENDING has no value");
        let listed = view.list_secret_version_ids(&arn).await.unwrap();
        assert_eq!(listed[0].version_id, "token-1");

        let value = SecretValue::new("changed");
        let put = PutSecretValue {
            secret_id: &arn,
            client_request_token: "token-1",
            value: &value,
            stages: &[StagingLabel::Pending],
            rotation_token: None,
        };
        assert!(view.put_secret_value(put).await.is_err());
        let current = before.keys().next().unwrap();
        let update = UpdateVersionStage {
            secret_id: &arn,
            stage: StagingLabel::Current,
            move_to: Some("token-1"),
            remove_from: Some(current),
        };
        assert!(view.update_secret_version_stage(update).await.is_err());
        assert_eq!(view.refused_writes(), 2);
        assert_eq!(store.describe_secret(&arn).await.unwrap().versions, before);
        let _ = std::fs::remove_dir_all(dir);
    }
}

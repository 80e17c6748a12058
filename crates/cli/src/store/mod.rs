//! The Secrets Manager a command runs against: the local file store or AWS, behind one port,
//! plus the few calls outside the rotation port (placeholders, listing, seeding).

mod aws;
mod list;
mod local;
mod select;

use rotor_core::password::PasswordPolicy;
use rotor_core::secrets_manager::{
    PutSecretValue, SecretVersion, UpdateVersionStage, VersionSelector, VersionSummary,
};
use rotor_core::{AwsSecretsManager, SecretDescription, SecretsManager, SecretsManagerError};
use secrecy::SecretString;

pub(crate) use aws::AwsStore;
pub(crate) use list::{Filter, SecretEntry};
pub(crate) use local::{LocalStore, LocalStoreError};
pub(crate) use select::{Environment, choose};

use crate::cli::{StoreArgs, StoreKind};

/// One of the two stores. Clones share state, so a fleet shares one store.
#[derive(Debug, Clone)]
pub(crate) enum Store {
    /// The JSON file.
    Local(LocalStore),
    /// AWS Secrets Manager or `--endpoint-url`.
    Aws(AwsStore),
}

impl Store {
    /// Opens the store the rule picks; returns it with a one-line description for the user.
    pub(crate) async fn open(
        args: &StoreArgs,
        waiting: impl FnOnce(&std::path::Path),
    ) -> Result<(Self, String), LocalStoreError> {
        let choice = choose(args, &Environment::current());
        match choice.kind {
            StoreKind::Local => {
                let store = LocalStore::open(&args.store_file, waiting)?;
                let line = format!("local store {} ({})", store.path().display(), choice.reason);
                Ok((Self::Local(store), line))
            }
            StoreKind::Aws => {
                let secrets = AwsSecretsManager::from_endpoint(args.endpoint_url.as_deref()).await;
                let target = args.endpoint_url.as_deref().unwrap_or("AWS Secrets Manager");
                let line = format!("{target} ({})", choice.reason);
                Ok((Self::Aws(AwsStore::new(secrets)), line))
            }
        }
    }

    /// What RotateSecret does before it invokes the function: an AWSPENDING placeholder
    /// version, without a value, for `token`. Local: created in the model and saved. AWS:
    /// modelled until createSecret's PutSecretValue creates the version (see [`AwsStore`]).
    pub(crate) fn begin_rotation(&self, arn: &str, token: &str) -> Result<(), SecretsManagerError> {
        match self {
            Self::Local(store) => {
                store.model().start_rotation_with_token(arn, token)?;
                store.persist()
            }
            Self::Aws(store) => {
                store.begin(arn, token);
                Ok(())
            }
        }
    }

    /// Forgets an AWS placeholder that createSecret never made real.
    pub(crate) fn end_rotation(&self, arn: &str) {
        if let Self::Aws(store) = self {
            store.end(arn);
        }
    }

    /// The local store, for the commands that only it supports.
    pub(crate) fn local(&self) -> Option<&LocalStore> {
        match self {
            Self::Local(store) => Some(store),
            Self::Aws(_) => None,
        }
    }

    /// Every secret matching `filter`, each listed once.
    pub(crate) async fn list(&self, filter: &Filter) -> Result<Vec<SecretEntry>, SecretsManagerError> {
        match self {
            Self::Local(store) => list::local(store, filter).await,
            Self::Aws(store) => list::aws(store, filter).await,
        }
    }
}

impl SecretsManager for Store {
    async fn describe_secret(&self, secret_id: &str) -> Result<SecretDescription, SecretsManagerError> {
        match self {
            Self::Local(store) => store.model().describe_secret(secret_id).await,
            Self::Aws(store) => store.describe_secret(secret_id).await,
        }
    }

    async fn get_secret_value(
        &self,
        secret_id: &str,
        selector: VersionSelector<'_>,
    ) -> Result<SecretVersion, SecretsManagerError> {
        match self {
            Self::Local(store) => store.model().get_secret_value(secret_id, selector).await,
            Self::Aws(store) => store.get_secret_value(secret_id, selector).await,
        }
    }

    async fn put_secret_value(&self, request: PutSecretValue<'_>) -> Result<(), SecretsManagerError> {
        match self {
            Self::Local(store) => {
                store.model().put_secret_value(request).await?;
                store.persist()
            }
            Self::Aws(store) => store.put_secret_value(request).await,
        }
    }

    async fn update_secret_version_stage(
        &self,
        request: UpdateVersionStage<'_>,
    ) -> Result<(), SecretsManagerError> {
        match self {
            Self::Local(store) => {
                store.model().update_secret_version_stage(request).await?;
                store.persist()
            }
            Self::Aws(store) => store.update_secret_version_stage(request).await,
        }
    }

    async fn list_secret_version_ids(
        &self,
        secret_id: &str,
    ) -> Result<Vec<VersionSummary>, SecretsManagerError> {
        match self {
            Self::Local(store) => store.model().list_secret_version_ids(secret_id).await,
            Self::Aws(store) => store.list_secret_version_ids(secret_id).await,
        }
    }

    async fn get_random_password(
        &self,
        policy: &PasswordPolicy,
    ) -> Result<SecretString, SecretsManagerError> {
        match self {
            Self::Local(store) => store.model().get_random_password(policy).await,
            Self::Aws(store) => store.get_random_password(policy).await,
        }
    }
}

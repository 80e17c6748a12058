//! The Secrets Manager a command runs against: the local file store or AWS, behind one port,
//! plus the few calls outside the rotation port (placeholders, listing, seeding).

mod access;
mod aws;
mod list;
mod local;
mod placeholder;
mod select;

use rotor_core::password::PasswordPolicy;
use rotor_core::secrets_manager::{
    PutSecretValue, SecretVersion, UpdateVersionStage, VersionSelector, VersionSummary,
};
use rotor_core::{
    AwsSecretsManager, RotationFunction, Rotator, SecretDescription, SecretsManager, SecretsManagerError,
};
use secrecy::SecretString;

pub(crate) use access::AccessError;
pub(crate) use aws::AwsStore;
pub(crate) use list::{Filter, SecretEntry};
pub(crate) use local::{LocalStore, LocalStoreError};
pub(crate) use placeholder::{describe_with_placeholder, list_with_placeholder};
pub(crate) use select::{Environment, choose};

use crate::cli::{StoreArgs, StoreKind};
use crate::output::{Exit, Output};

/// One of the two stores. Clones share state, so a fleet shares one store.
#[derive(Debug, Clone)]
pub(crate) enum Store {
    /// The JSON file.
    Local(LocalStore),
    /// AWS Secrets Manager or `--endpoint-url`.
    Aws(AwsStore),
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum OpenError {
    /// The local store's file.
    #[error("cannot open the local store: {0}")]
    Local(#[from] LocalStoreError),
    /// AWS cannot be used: no credentials, no region.
    #[error(transparent)]
    Access(#[from] AccessError),
}

impl OpenError {
    /// The exit code.
    pub(crate) fn exit(&self) -> Exit {
        match self {
            Self::Local(_) => Exit::Failure,
            Self::Access(access) => access.exit(),
        }
    }

    /// What to do about it, when there is more to say than the error.
    pub(crate) fn what_to_do(&self) -> Option<String> {
        match self {
            Self::Local(_) => None,
            Self::Access(access) => Some(access.what_to_do()),
        }
    }
}

impl Store {
    /// Opens the store the rule picks. Returns a one-line description for the user (which
    /// store, and why), also when opening fails.
    pub(crate) async fn open(
        args: &StoreArgs,
        environment: &Environment,
        waiting: impl FnOnce(&std::path::Path),
    ) -> (String, Result<Self, OpenError>) {
        let choice = choose(args, environment);
        match choice.kind {
            StoreKind::Local => {
                let line = format!("local store {} ({})", args.store_file.display(), choice.reason);
                let store = LocalStore::open(&args.store_file, waiting).map(Self::Local);
                (line, store.map_err(OpenError::from))
            }
            StoreKind::Aws => {
                let config = AwsSecretsManager::load_config(args.endpoint_url.as_deref()).await;
                let target = args.endpoint_url.as_deref().unwrap_or("AWS Secrets Manager");
                let region = access::preflight(config.credentials_provider(), config.region()).await;
                let line = match &region {
                    Ok(region) => format!("{target} in {region} ({})", choice.reason),
                    Err(_) => format!("{target} ({})", choice.reason),
                };
                let store = region
                    .map(|region| Self::Aws(AwsStore::new(&config, target.to_owned(), region)))
                    .map_err(OpenError::from);
                (line, store)
            }
        }
    }

    /// Refuses a secret ARN of another region than the store's, before any call: the service
    /// would only answer that the secret does not exist.
    pub(crate) fn check_region(&self, secret_id: &str) -> Result<(), AccessError> {
        let Self::Aws(store) = self else {
            return Ok(());
        };
        match access::arn_region(secret_id) {
            Some(secret_region) if secret_region != store.region() => Err(AccessError::WrongRegion {
                secret_id: secret_id.to_owned(),
                secret_region: secret_region.to_owned(),
                region: store.region().to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// The access failure a port error means, on AWS.
    pub(crate) fn access_error(&self, error: &SecretsManagerError) -> Option<AccessError> {
        match self {
            Self::Aws(store) => AccessError::from_port(error, store.target()),
            Self::Local(_) => None,
        }
    }

    /// Reports a failed call: an access failure as its own line and what to do, with its exit
    /// code; anything else as `error: <what> failed: <error>`.
    pub(crate) fn report(&self, output: Output, what: &str, error: &SecretsManagerError) -> Exit {
        match self.access_error(error) {
            Some(access) => report_access(output, &access),
            None => {
                output.note(format!("error: {what} failed: {error}"));
                Exit::Failure
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
    /// `function` with the RDS and Redshift ports a deployed function has, for the AWS store;
    /// unchanged for the local store, whose secrets name their hosts.
    pub(crate) fn with_service_ports<R: Rotator, S: SecretsManager>(
        &self,
        function: RotationFunction<R, S>,
    ) -> RotationFunction<R, S> {
        match self {
            Self::Aws(aws) => aws.with_service_ports(function),
            Self::Local(_) => function,
        }
    }

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

/// Prints an access failure (one line, and one of what to do) and returns its exit code.
pub(crate) fn report_access(output: Output, access: &AccessError) -> Exit {
    output.note(format!("error: {access}"));
    output.note(format!("  what to do: {}", access.what_to_do()));
    access.exit()
}

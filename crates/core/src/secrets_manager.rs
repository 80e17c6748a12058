//! The Secrets Manager port: the six calls rotation needs, behind a trait.
//!
//! Two implementations ship with core: [`AwsSecretsManager`] over the AWS SDK, and
//! [`InMemorySecretsManager`], a model of the service's documented staging-label semantics for
//! unit tests, the local CLI and the test kit.

mod aws;
mod error;
mod memory;
mod types;

pub use aws::{AwsSecretsManager, ENDPOINT_VARIABLE, shared_sdk_config};
pub use error::{SecretsManagerError, codes, message_chain};
pub use memory::{InMemorySecretsManager, ModelState};
pub use types::{
    PutSecretValue, SecretDescription, SecretVersion, UpdateVersionStage, VersionSelector, VersionSummary,
};

/// The longest ARN that the tag of a service-managed secret (RDS's, Redshift's) may hold: AWS's
/// rotation functions refuse longer ones, and so does rotor.
pub(crate) const MAX_TAG_ARN_LENGTH: usize = 256;

use std::future::Future;

use secrecy::SecretString;

use crate::password::PasswordPolicy;

/// The calls a rotation makes to Secrets Manager.
///
/// Implementations must follow the service's documented semantics; see [`InMemorySecretsManager`]
/// for the reference model. Methods return `Send` futures so a rotation can run on any runtime
/// thread; implementors may write them as `async fn`.
pub trait SecretsManager: Send + Sync {
    /// DescribeSecret: rotation status and `VersionIdsToStages`.
    fn describe_secret(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<SecretDescription, SecretsManagerError>> + Send;

    /// GetSecretValue by version id, staging label, or both.
    ///
    /// A version without a value (the placeholder RotateSecret creates) is
    /// [`SecretsManagerError::ResourceNotFound`].
    fn get_secret_value(
        &self,
        secret_id: &str,
        selector: VersionSelector<'_>,
    ) -> impl Future<Output = Result<SecretVersion, SecretsManagerError>> + Send;

    /// PutSecretValue with a ClientRequestToken, staging labels and an optional RotationToken.
    fn put_secret_value(
        &self,
        request: PutSecretValue<'_>,
    ) -> impl Future<Output = Result<(), SecretsManagerError>> + Send;

    /// UpdateSecretVersionStage: moves one staging label between versions.
    fn update_secret_version_stage(
        &self,
        request: UpdateVersionStage<'_>,
    ) -> impl Future<Output = Result<(), SecretsManagerError>> + Send;

    /// ListSecretVersionIds including deprecated (unlabelled) versions, newest first.
    fn list_secret_version_ids(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<Vec<VersionSummary>, SecretsManagerError>> + Send;

    /// GetRandomPassword with the given policy.
    fn get_random_password(
        &self,
        policy: &PasswordPolicy,
    ) -> impl Future<Output = Result<SecretString, SecretsManagerError>> + Send;
}

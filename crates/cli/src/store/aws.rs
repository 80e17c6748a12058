//! AWS Secrets Manager, with RotateSecret's placeholder modelled in-process.
//!
//! RotateSecret creates a value-less version carrying AWSPENDING and then invokes the deployed
//! rotation function. `rotor` replaces that function in-process, and no public API creates a
//! value-less version (PutSecretValue needs a value). So while a rotation has not stored its
//! pending value yet, this adapter shows the four steps exactly what they would see after
//! RotateSecret: DescribeSecret and ListSecretVersionIds list the token with AWSPENDING (taken
//! off any other version), and reading that version or AWSPENDING is ResourceNotFound, the
//! service's answer for a version without a value. createSecret's PutSecretValue
//! (ClientRequestToken = token, VersionStages = `[AWSPENDING]`) then creates the real version and
//! moves the real label, and from then on every call passes straight through.
//!
//! The only observable difference from the service: a rotation that fails before createSecret
//! stores its value leaves nothing behind, where the service would leave an empty AWSPENDING.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use aws_config::SdkConfig;
use rotor_core::password::PasswordPolicy;
use rotor_core::rds::{AwsRds, RdsApi};
use rotor_core::redshift::RedshiftApi;
use rotor_core::secrets_manager::{
    PutSecretValue, SecretVersion, UpdateVersionStage, VersionSelector, VersionSummary,
};
use rotor_core::{
    AwsSecretsManager, RotationFunction, Rotator, SecretDescription, SecretsManager, SecretsManagerError,
    StagingLabel,
};
use rotor_redshift::AwsRedshift;
use secrecy::SecretString;

use super::placeholder::{describe_with_placeholder, list_with_placeholder};

/// The SDK adapter plus the placeholders of rotations in flight (secret ARN → token), and the
/// RDS and Redshift ports a deployed function has, on the same configuration.
#[derive(Debug, Clone)]
pub(crate) struct AwsStore {
    secrets: AwsSecretsManager,
    target: String,
    region: String,
    placeholders: Arc<Mutex<HashMap<String, String>>>,
    rds: Arc<AwsRds>,
    redshift: Arc<AwsRedshift>,
}

impl AwsStore {
    /// Clients on `config` that call `target` (the endpoint, or "AWS Secrets Manager") in
    /// `region`.
    pub(crate) fn new(config: &SdkConfig, target: String, region: String) -> Self {
        Self {
            secrets: AwsSecretsManager::from_config(config),
            target,
            region,
            placeholders: Arc::default(),
            rds: Arc::new(AwsRds::from_config(config)),
            redshift: Arc::new(AwsRedshift::from_config(config)),
        }
    }

    /// `function` with what a deployed function has besides Secrets Manager: RDS and Redshift,
    /// which complete the master secrets they manage (on the store's credentials, region and
    /// endpoint).
    pub(crate) fn with_service_ports<R: Rotator, S: SecretsManager>(
        &self,
        function: RotationFunction<R, S>,
    ) -> RotationFunction<R, S> {
        let rds: Arc<dyn RdsApi> = self.rds.clone();
        let redshift: Arc<dyn RedshiftApi> = self.redshift.clone();
        function.with_rds(rds).with_redshift(redshift)
    }

    /// The endpoint, or "AWS Secrets Manager", for messages.
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// The region the client calls.
    pub(crate) fn region(&self) -> &str {
        &self.region
    }

    /// The SDK client, for ListSecrets.
    pub(crate) fn client(&self) -> &aws_sdk_secretsmanager::Client {
        self.secrets.client()
    }

    fn placeholders(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.placeholders.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts modelling RotateSecret's placeholder for `arn` with `token`.
    pub(crate) fn begin(&self, arn: &str, token: &str) {
        self.placeholders().insert(arn.to_owned(), token.to_owned());
    }

    /// Stops modelling the placeholder for `arn`.
    pub(crate) fn end(&self, arn: &str) {
        self.placeholders().remove(arn);
    }

    /// The token of a placeholder that is still virtual for `secret_id`.
    fn virtual_token(&self, secret_id: &str) -> Option<String> {
        self.placeholders().get(secret_id).cloned()
    }

    /// ListSecretVersionIds, every page, newest first. An empty NextToken ends the listing
    /// too (moto sends `""` on the last page).
    async fn all_versions(&self, secret_id: &str) -> Result<Vec<VersionSummary>, SecretsManagerError> {
        let mut versions = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .client()
                .list_secret_version_ids()
                .secret_id(secret_id)
                .include_deprecated(true)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(SecretsManagerError::from_sdk)?;
            versions.extend(page.versions().iter().map(|entry| {
                VersionSummary {
                    version_id: entry.version_id().unwrap_or_default().to_owned(),
                    stages: entry.version_stages().to_vec(),
                    created: entry
                        .created_date()
                        .and_then(|date| SystemTime::try_from(*date).ok()),
                }
            }));
            next_token = page
                .next_token()
                .filter(|token| !token.is_empty())
                .map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        versions.sort_by_key(|version| std::cmp::Reverse(version.created));
        Ok(versions)
    }

    /// Drops the placeholder once the service holds the version itself.
    fn settle(&self, description: &SecretDescription) -> Option<String> {
        let token = self.virtual_token(&description.arn)?;
        if description.versions.contains_key(&token) {
            self.end(&description.arn);
            return None;
        }
        Some(token)
    }
}

fn no_value() -> SecretsManagerError {
    SecretsManagerError::ResourceNotFound(
        "Secrets Manager can't find the specified secret value for this version.".to_owned(),
    )
}

impl SecretsManager for AwsStore {
    async fn describe_secret(&self, secret_id: &str) -> Result<SecretDescription, SecretsManagerError> {
        let mut description = self.secrets.describe_secret(secret_id).await?;
        if let Some(token) = self.settle(&description) {
            describe_with_placeholder(&mut description, token);
            description.versions.retain(|_, stages| !stages.is_empty());
        }
        Ok(description)
    }

    async fn get_secret_value(
        &self,
        secret_id: &str,
        selector: VersionSelector<'_>,
    ) -> Result<SecretVersion, SecretsManagerError> {
        if let Some(token) = self.virtual_token(secret_id) {
            let reads_placeholder = match (selector.version_id, selector.stage) {
                (Some(id), _) => id == token,
                (None, stage) => stage == Some(StagingLabel::Pending),
            };
            if reads_placeholder {
                // The placeholder may have become real through a PutSecretValue we did not see
                // (a duplicate run): then the service answers.
                let version = self.secrets.get_secret_value(secret_id, selector).await;
                return match version {
                    Ok(version) if version.version_id == token => Ok(version),
                    _ => Err(no_value()),
                };
            }
        }
        self.secrets.get_secret_value(secret_id, selector).await
    }

    async fn put_secret_value(&self, request: PutSecretValue<'_>) -> Result<(), SecretsManagerError> {
        self.secrets.put_secret_value(request).await
    }

    async fn update_secret_version_stage(
        &self,
        request: UpdateVersionStage<'_>,
    ) -> Result<(), SecretsManagerError> {
        self.secrets.update_secret_version_stage(request).await
    }

    async fn list_secret_version_ids(
        &self,
        secret_id: &str,
    ) -> Result<Vec<VersionSummary>, SecretsManagerError> {
        let mut versions = self.all_versions(secret_id).await?;
        if let Some(token) = self.virtual_token(secret_id)
            && !versions.iter().any(|version| version.version_id == token)
        {
            list_with_placeholder(&mut versions, token);
        }
        Ok(versions)
    }

    async fn get_random_password(
        &self,
        policy: &PasswordPolicy,
    ) -> Result<SecretString, SecretsManagerError> {
        self.secrets.get_random_password(policy).await
    }
}

//! The Secrets Manager port over the AWS SDK for Rust.

use std::time::SystemTime;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::primitives::DateTime;
use secrecy::SecretString;
use tokio::sync::OnceCell;

use super::{
    PutSecretValue, SecretDescription, SecretVersion, SecretsManager, SecretsManagerError,
    UpdateVersionStage, VersionSelector, VersionSummary,
};
use crate::password::PasswordPolicy;
use crate::secret::SecretValue;

/// The environment variable AWS's rotation functions read for the service endpoint.
pub const ENDPOINT_VARIABLE: &str = "SECRETS_MANAGER_ENDPOINT";

/// Secrets Manager through `aws-sdk-secretsmanager`.
///
/// Build it once per process and reuse it across invocations: the SDK client pools
/// connections and caches credentials.
#[derive(Debug, Clone)]
pub struct AwsSecretsManager {
    client: Client,
}

impl AwsSecretsManager {
    /// Wraps an SDK client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// A client from the default credential chain and region, with the standard retry mode, and
    /// the endpoint from `SECRETS_MANAGER_ENDPOINT` when it is set and not empty.
    ///
    /// It is built on the process's shared SDK configuration ([`shared_sdk_config`]), so the
    /// other AWS clients a function needs (RDS) reuse its HTTP client, TLS stack and credentials.
    /// The endpoint override applies to Secrets Manager only.
    pub async fn from_env() -> Self {
        let endpoint = std::env::var(ENDPOINT_VARIABLE)
            .ok()
            .filter(|endpoint| !endpoint.trim().is_empty());
        let mut config = aws_sdk_secretsmanager::config::Builder::from(shared_sdk_config().await);
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        Self::new(Client::from_conf(config.build()))
    }

    /// The SDK configuration of a client for a tool rather than a function: the default
    /// credential chain and region, the standard retry mode, and an optional endpoint override.
    /// A caller can check its credentials and region before the first call, then build the
    /// client with [`AwsSecretsManager::from_config`].
    pub async fn load_config(endpoint: Option<&str>) -> SdkConfig {
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::standard());
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        loader.load().await
    }

    /// A client on `config`.
    pub fn from_config(config: &SdkConfig) -> Self {
        Self::new(Client::new(config))
    }

    /// The SDK client, for calls outside the rotation port (ListSecrets, CreateSecret, …).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// The SDK configuration every AWS client of this process shares: the default credential
/// chain, region and HTTP client, with the standard retry mode. Loaded once, on first use.
pub async fn shared_sdk_config() -> &'static SdkConfig {
    static CONFIG: OnceCell<SdkConfig> = OnceCell::const_new();
    CONFIG
        .get_or_init(|| async {
            aws_config::defaults(BehaviorVersion::latest())
                .retry_config(RetryConfig::standard())
                .load()
                .await
        })
        .await
}

fn system_time(time: Option<&DateTime>) -> Option<SystemTime> {
    time.and_then(|time| SystemTime::try_from(*time).ok())
}

impl SecretsManager for AwsSecretsManager {
    async fn describe_secret(&self, secret_id: &str) -> Result<SecretDescription, SecretsManagerError> {
        let output = self
            .client
            .describe_secret()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(SecretsManagerError::from_sdk)?;
        Ok(SecretDescription {
            arn: output.arn().unwrap_or(secret_id).to_owned(),
            name: output.name().unwrap_or_default().to_owned(),
            rotation_enabled: output.rotation_enabled(),
            versions: output
                .version_ids_to_stages()
                .map(|versions| {
                    versions
                        .iter()
                        .map(|(id, stages)| (id.clone(), stages.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            last_rotated: system_time(output.last_rotated_date()),
            last_changed: system_time(output.last_changed_date()),
            tags: output
                .tags()
                .iter()
                .map(|tag| {
                    (
                        tag.key().unwrap_or_default().to_owned(),
                        tag.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
        })
    }

    async fn get_secret_value(
        &self,
        secret_id: &str,
        selector: VersionSelector<'_>,
    ) -> Result<SecretVersion, SecretsManagerError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .set_version_id(selector.version_id.map(str::to_owned))
            .set_version_stage(selector.stage.map(|stage| stage.as_str().to_owned()))
            .send()
            .await
            .map_err(SecretsManagerError::from_sdk)?;
        let value = output.secret_string().ok_or_else(|| {
            SecretsManagerError::InvalidRequest("the version holds SecretBinary, not SecretString".into())
        })?;
        Ok(SecretVersion {
            version_id: output.version_id().unwrap_or_default().to_owned(),
            value: SecretValue::new(value),
            stages: output.version_stages().to_vec(),
        })
    }

    async fn put_secret_value(&self, request: PutSecretValue<'_>) -> Result<(), SecretsManagerError> {
        self.client
            .put_secret_value()
            .secret_id(request.secret_id)
            .client_request_token(request.client_request_token)
            .secret_string(request.value.expose())
            .set_version_stages(Some(
                request
                    .stages
                    .iter()
                    .map(|stage| stage.as_str().to_owned())
                    .collect(),
            ))
            .set_rotation_token(request.rotation_token.map(|token| token.expose().to_owned()))
            .send()
            .await
            .map_err(SecretsManagerError::from_sdk)?;
        Ok(())
    }

    async fn update_secret_version_stage(
        &self,
        request: UpdateVersionStage<'_>,
    ) -> Result<(), SecretsManagerError> {
        self.client
            .update_secret_version_stage()
            .secret_id(request.secret_id)
            .version_stage(request.stage.as_str())
            .set_move_to_version_id(request.move_to.map(str::to_owned))
            .set_remove_from_version_id(request.remove_from.map(str::to_owned))
            .send()
            .await
            .map_err(SecretsManagerError::from_sdk)?;
        Ok(())
    }

    async fn list_secret_version_ids(
        &self,
        secret_id: &str,
    ) -> Result<Vec<VersionSummary>, SecretsManagerError> {
        // Secrets Manager keeps about 100 versions; a bounded page count guards against a
        // service or emulator that keeps returning a NextToken.
        const MAX_PAGES: usize = 20;
        let mut versions = Vec::new();
        let mut next_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let output = self
                .client
                .list_secret_version_ids()
                .secret_id(secret_id)
                .include_deprecated(true)
                .set_next_token(next_token.clone())
                .send()
                .await
                .map_err(SecretsManagerError::from_sdk)?;
            versions.extend(output.versions().iter().map(|entry| VersionSummary {
                version_id: entry.version_id().unwrap_or_default().to_owned(),
                stages: entry.version_stages().to_vec(),
                created: system_time(entry.created_date()),
            }));
            let following = output
                .next_token()
                .filter(|token| !token.is_empty())
                .map(str::to_owned);
            if following.is_none() || following == next_token || output.versions().is_empty() {
                break;
            }
            next_token = following;
        }
        versions.sort_by_key(|version| std::cmp::Reverse(version.created));
        Ok(versions)
    }

    async fn get_random_password(
        &self,
        policy: &PasswordPolicy,
    ) -> Result<SecretString, SecretsManagerError> {
        let output = self
            .client
            .get_random_password()
            .password_length(i64::try_from(policy.length()).unwrap_or(i64::MAX))
            .exclude_characters(policy.exclude_characters())
            .exclude_numbers(policy.exclude_numbers())
            .exclude_punctuation(policy.exclude_punctuation())
            .exclude_uppercase(policy.exclude_uppercase())
            .exclude_lowercase(policy.exclude_lowercase())
            .require_each_included_type(policy.require_each_included_type())
            .send()
            .await
            .map_err(SecretsManagerError::from_sdk)?;
        output
            .random_password()
            .map(|password| SecretString::from(password.to_owned()))
            .ok_or_else(|| {
                SecretsManagerError::InvalidRequest("GetRandomPassword returned no password".into())
            })
    }
}

//! What a rotator may see and read during a step.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use secrecy::SecretString;
use tokio::sync::OnceCell;

use crate::deadline::Deadline;
use crate::error::RotationError;
use crate::event::{RotationEvent, RotationToken, Step};
use crate::password::PasswordSource;
use crate::rds::RdsApi;
use crate::redshift::RedshiftApi;
use crate::secret::{FieldError, SecretJson};
use crate::secrets_manager::{
    SecretDescription, SecretVersion, SecretsManager, SecretsManagerError, VersionSelector, VersionSummary,
};
use crate::settings::RotationSettings;
use crate::stage::StagingLabel;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The reads a context makes lazily, as an object-safe view of any [`SecretsManager`].
pub(crate) trait SecretReader: Send + Sync {
    fn get<'a>(
        &'a self,
        secret_id: &'a str,
        selector: VersionSelector<'a>,
    ) -> BoxFuture<'a, Result<SecretVersion, SecretsManagerError>>;

    fn list<'a>(
        &'a self,
        secret_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<VersionSummary>, SecretsManagerError>>;

    fn random_password<'a>(
        &'a self,
        settings: &'a RotationSettings,
    ) -> BoxFuture<'a, Result<SecretString, SecretsManagerError>>;

    fn describe<'a>(
        &'a self,
        secret_id: &'a str,
    ) -> BoxFuture<'a, Result<SecretDescription, SecretsManagerError>>;
}

impl<S: SecretsManager> SecretReader for S {
    fn get<'a>(
        &'a self,
        secret_id: &'a str,
        selector: VersionSelector<'a>,
    ) -> BoxFuture<'a, Result<SecretVersion, SecretsManagerError>> {
        Box::pin(self.get_secret_value(secret_id, selector))
    }

    fn list<'a>(
        &'a self,
        secret_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<VersionSummary>, SecretsManagerError>> {
        Box::pin(self.list_secret_version_ids(secret_id))
    }

    fn random_password<'a>(
        &'a self,
        settings: &'a RotationSettings,
    ) -> BoxFuture<'a, Result<SecretString, SecretsManagerError>> {
        Box::pin(self.get_random_password(&settings.password_policy))
    }

    fn describe<'a>(
        &'a self,
        secret_id: &'a str,
    ) -> BoxFuture<'a, Result<SecretDescription, SecretsManagerError>> {
        Box::pin(self.describe_secret(secret_id))
    }
}

/// A version found by [`SecretContext::recent_versions`].
#[derive(Debug, Clone)]
pub struct RecentVersion {
    /// The version id.
    pub version_id: String,
    /// Its value.
    pub value: SecretJson,
}

/// The secret being rotated and lazy, cached access to its versions.
///
/// Each read happens at most once per invocation and only if a rotator asks, which keeps the
/// number of Secrets Manager calls per rotation low.
pub struct SecretContext<'a> {
    reader: &'a dyn SecretReader,
    event: &'a RotationEvent,
    description: &'a SecretDescription,
    settings: &'a RotationSettings,
    deadline: Deadline,
    rds: Option<&'a dyn RdsApi>,
    redshift: Option<&'a dyn RedshiftApi>,
    current: OnceCell<SecretJson>,
    previous: OnceCell<Option<SecretJson>>,
}

impl std::fmt::Debug for SecretContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretContext")
            .field("secret_id", &self.event.secret_id)
            .field("token", &self.event.client_request_token)
            .field("step", &self.event.step)
            .finish_non_exhaustive()
    }
}

impl<'a> SecretContext<'a> {
    pub(crate) fn new(
        reader: &'a dyn SecretReader,
        event: &'a RotationEvent,
        description: &'a SecretDescription,
        settings: &'a RotationSettings,
        deadline: Deadline,
        rds: Option<&'a dyn RdsApi>,
        redshift: Option<&'a dyn RedshiftApi>,
    ) -> Self {
        Self {
            reader,
            event,
            description,
            settings,
            deadline,
            rds,
            redshift,
            current: OnceCell::new(),
            previous: OnceCell::new(),
        }
    }

    /// The secret's id as given in the event (normally its ARN).
    pub fn secret_id(&self) -> &str {
        &self.event.secret_id
    }

    /// The ClientRequestToken: the version id of the pending value.
    pub fn token(&self) -> &str {
        &self.event.client_request_token
    }

    /// The step being run.
    pub fn step(&self) -> Step {
        self.event.step
    }

    /// When this invocation must be done. Bound every network wait by it.
    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// The DescribeSecret answer this invocation started with.
    pub fn description(&self) -> &SecretDescription {
        self.description
    }

    /// The RDS API, when the function was given one
    /// ([`RotationFunction::with_rds`](crate::RotationFunction::with_rds)).
    pub fn rds(&self) -> Option<&dyn RdsApi> {
        self.rds
    }

    /// The Redshift API, when the function was given one
    /// ([`RotationFunction::with_redshift`](crate::RotationFunction::with_redshift)).
    pub fn redshift(&self) -> Option<&dyn RedshiftApi> {
        self.redshift
    }

    /// DescribeSecret for another secret (the master, for its tags).
    pub async fn describe_other(&self, secret_id: &str) -> Result<SecretDescription, RotationError> {
        self.reader
            .describe(secret_id)
            .await
            .map_err(|source| RotationError::secrets_manager("DescribeSecret", source))
    }

    /// A [`RotationError::MalformedSecret`] for this secret.
    pub fn malformed(&self, version: impl Into<String>, problem: FieldError) -> RotationError {
        RotationError::MalformedSecret {
            secret_id: self.secret_id().to_owned(),
            version: version.into(),
            problem,
        }
    }

    async fn read_json(
        &self,
        secret_id: &str,
        selector: VersionSelector<'_>,
        name: &str,
    ) -> Result<SecretJson, RotationError> {
        let version = self
            .reader
            .get(secret_id, selector)
            .await
            .map_err(|source| RotationError::secrets_manager("GetSecretValue", source))?;
        SecretJson::parse(&version.value).map_err(|problem| RotationError::MalformedSecret {
            secret_id: secret_id.to_owned(),
            version: name.to_owned(),
            problem,
        })
    }

    pub(crate) async fn reader_get(
        &self,
        selector: VersionSelector<'_>,
    ) -> Result<SecretVersion, SecretsManagerError> {
        self.reader.get(self.secret_id(), selector).await
    }

    pub(crate) fn rotation_token(&self) -> Option<&RotationToken> {
        self.event.rotation_token.as_ref()
    }

    /// The AWSCURRENT value.
    pub async fn current(&self) -> Result<&SecretJson, RotationError> {
        self.current
            .get_or_try_init(|| {
                self.read_json(
                    self.secret_id(),
                    VersionSelector::stage(StagingLabel::Current),
                    "AWSCURRENT",
                )
            })
            .await
    }

    /// The AWSPREVIOUS value, or `None` when there is none or it is not a JSON object.
    ///
    /// No call is made when DescribeSecret shows no AWSPREVIOUS version.
    pub async fn previous(&self) -> Result<Option<&SecretJson>, RotationError> {
        let previous = self
            .previous
            .get_or_try_init(|| async {
                if self.description.version_with(StagingLabel::Previous).is_none() {
                    return Ok(None);
                }
                match self.read_json(self.secret_id(), VersionSelector::stage(StagingLabel::Previous), "AWSPREVIOUS").await {
                    Ok(previous) => Ok(Some(previous)),
                    Err(RotationError::SecretsManager { source, .. }) if source.is_not_found() => Ok(None),
                    Err(RotationError::MalformedSecret { problem, .. }) => {
                        tracing::warn!(secret_id = self.secret_id(), %problem, "ignoring malformed AWSPREVIOUS value");
                        Ok(None)
                    }
                    Err(error) => Err(error),
                }
            })
            .await?;
        Ok(previous.as_ref())
    }

    /// The version of another secret (a master secret, say) that carries `label`, parsed as
    /// JSON. `name` names that version in errors (`master AWSCURRENT`); a missing version is
    /// Secrets Manager's "not found" error ([`RotationError::is_not_found`]).
    pub async fn other_secret(
        &self,
        secret_id: &str,
        label: StagingLabel,
        name: &str,
    ) -> Result<SecretJson, RotationError> {
        self.read_json(secret_id, VersionSelector::stage(label), name)
            .await
    }

    /// Up to `limit` of the newest versions that carry none of AWSCURRENT, AWSPENDING or
    /// AWSPREVIOUS (values from cancelled or superseded rotations), for recovering a password
    /// that only an unlabelled version still holds. Versions that are not JSON are skipped.
    pub async fn recent_versions(&self, limit: usize) -> Result<Vec<RecentVersion>, RotationError> {
        let versions = self
            .reader
            .list(self.secret_id())
            .await
            .map_err(|source| RotationError::secrets_manager("ListSecretVersionIds", source))?;
        let labelled = [
            StagingLabel::Current,
            StagingLabel::Pending,
            StagingLabel::Previous,
        ];
        let mut found = Vec::new();
        for summary in versions {
            if found.len() >= limit {
                break;
            }
            let has_label = summary
                .stages
                .iter()
                .any(|stage| labelled.iter().any(|label| stage == label.as_str()));
            if has_label || summary.version_id == self.token() {
                continue;
            }
            match self
                .read_json(
                    self.secret_id(),
                    VersionSelector::version(&summary.version_id),
                    "recent version",
                )
                .await
            {
                Ok(value) => found.push(RecentVersion {
                    version_id: summary.version_id,
                    value,
                }),
                Err(RotationError::SecretsManager { source, .. }) if source.is_not_found() => {}
                Err(RotationError::MalformedSecret { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(found)
    }

    /// ListSecretVersionIds: every version with its labels and creation time, the version of this
    /// rotation (the empty AWSPENDING version RotateSecret made) included. For a rotator whose
    /// external system creates the new value and must tell what it made before or after this
    /// rotation started.
    pub async fn versions(&self) -> Result<Vec<VersionSummary>, RotationError> {
        self.reader
            .list(self.secret_id())
            .await
            .map_err(|source| RotationError::secrets_manager("ListSecretVersionIds", source))
    }

    pub(crate) async fn new_password(&self) -> Result<SecretString, RotationError> {
        match self.settings.password_source {
            PasswordSource::Local => Ok(self.settings.password_policy.generate()?),
            PasswordSource::SecretsManager => self
                .reader
                .random_password(self.settings)
                .await
                .map_err(|source| RotationError::secrets_manager("GetRandomPassword", source)),
        }
    }
}

/// What createSecret's rotator hook sees: AWSCURRENT, already read, and a password generator.
#[derive(Debug)]
pub struct CreateContext<'a> {
    secret: SecretContext<'a>,
    current: SecretJson,
}

impl<'a> CreateContext<'a> {
    pub(crate) fn new(secret: SecretContext<'a>, current: SecretJson) -> Self {
        Self { secret, current }
    }

    /// The AWSCURRENT value.
    pub fn current(&self) -> &SecretJson {
        &self.current
    }

    /// A new password under the configured policy and source.
    pub async fn new_password(&self) -> Result<SecretString, RotationError> {
        self.secret.new_password().await
    }
}

impl<'a> Deref for CreateContext<'a> {
    type Target = SecretContext<'a>;

    fn deref(&self) -> &Self::Target {
        &self.secret
    }
}

/// What setSecret and testSecret see: the pending value, plus lazy access to the others.
#[derive(Debug)]
pub struct StepContext<'a> {
    secret: SecretContext<'a>,
    pending: SecretJson,
}

impl<'a> StepContext<'a> {
    pub(crate) fn new(secret: SecretContext<'a>, pending: SecretJson) -> Self {
        Self { secret, pending }
    }

    /// The AWSPENDING value of this rotation (read by token).
    pub fn pending(&self) -> &SecretJson {
        &self.pending
    }
}

impl<'a> Deref for StepContext<'a> {
    type Target = SecretContext<'a>;

    fn deref(&self) -> &Self::Target {
        &self.secret
    }
}

//! An in-memory model of Secrets Manager's documented staging-label semantics.
//!
//! Where moto and the documentation disagree, this model follows the documentation:
//! - PutSecretValue with a used ClientRequestToken and a different value fails, even for an
//!   AWSPENDING version (moto overwrites it);
//! - UpdateSecretVersionStage validates before it changes anything (moto can strip AWSCURRENT
//!   and then fail);
//! - `VersionIdsToStages` lists only versions that carry a label (moto keeps empty lists);
//! - GetSecretValue without a selector reads AWSCURRENT (moto reads a "default" version).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{
    PutSecretValue, SecretDescription, SecretVersion, SecretsManager, SecretsManagerError,
    UpdateVersionStage, VersionSelector, VersionSummary,
};
use crate::password::PasswordPolicy;
use crate::secret::SecretValue;
use crate::stage::StagingLabel;

const ACCOUNT_ARN_PREFIX: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:";

/// The whole state of the model, serialisable so a local store can keep it in a file.
///
/// It holds secret values in plaintext: keep files that contain it private.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ModelState {
    secrets: Vec<StoredSecret>,
    next_sequence: u64,
}

impl std::fmt::Debug for ModelState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelState")
            .field("secrets", &self.secrets.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredSecret {
    arn: String,
    name: String,
    rotation_enabled: Option<bool>,
    versions: Vec<StoredVersion>,
    last_rotated: Option<u64>,
    last_changed: Option<u64>,
    #[serde(default)]
    tags: Vec<(String, String)>,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredVersion {
    id: String,
    value: Option<String>,
    stages: Vec<String>,
    created: u64,
    sequence: u64,
}

impl StoredSecret {
    fn version(&self, id: &str) -> Option<&StoredVersion> {
        self.versions.iter().find(|version| version.id == id)
    }

    fn holder_of(&self, label: &str) -> Option<&StoredVersion> {
        self.versions
            .iter()
            .find(|version| version.stages.iter().any(|stage| stage == label))
    }

    /// Attaches `label` to `target`, taking it off every other version. Moving AWSCURRENT puts
    /// AWSPREVIOUS on the version it left, as the service does.
    fn attach(&mut self, label: StagingLabel, target: &str) {
        let previous_holder = self.holder_of(label.as_str()).map(|version| version.id.clone());
        for version in &mut self.versions {
            version.stages.retain(|stage| stage != label.as_str());
        }
        if let Some(version) = self.versions.iter_mut().find(|version| version.id == target) {
            version.stages.push(label.as_str().to_owned());
        }
        if label == StagingLabel::Current {
            if let Some(old) = previous_holder.filter(|old| old != target) {
                self.attach(StagingLabel::Previous, &old);
            }
            self.last_rotated = Some(now());
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

fn time(seconds: Option<u64>) -> Option<SystemTime> {
    seconds.map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds))
}

fn secret_not_found() -> SecretsManagerError {
    SecretsManagerError::ResourceNotFound("Secrets Manager can't find the specified secret.".into())
}

/// An in-memory Secrets Manager for tests and local rotation.
///
/// Thread-safe; every call is applied atomically.
#[derive(Debug, Default)]
pub struct InMemorySecretsManager {
    state: Mutex<ModelState>,
}

impl InMemorySecretsManager {
    /// An empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// A model that continues from a saved state.
    pub fn from_state(state: ModelState) -> Self {
        Self {
            state: Mutex::new(state),
        }
    }

    /// A copy of the current state, for saving.
    pub fn snapshot(&self) -> ModelState {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, ModelState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with_secret<T>(
        &self,
        secret_id: &str,
        apply: impl FnOnce(&mut StoredSecret, u64) -> Result<T, SecretsManagerError>,
    ) -> Result<T, SecretsManagerError> {
        let mut state = self.lock();
        state.next_sequence += 1;
        let sequence = state.next_sequence;
        let secret = state
            .secrets
            .iter_mut()
            .find(|secret| secret.arn == secret_id || secret.name == secret_id)
            .ok_or_else(secret_not_found)?;
        apply(secret, sequence)
    }

    /// CreateSecret: a new secret whose first version is AWSCURRENT. Returns the ARN.
    pub fn create_secret(&self, name: &str, value: &SecretValue) -> Result<String, SecretsManagerError> {
        let mut state = self.lock();
        if state.secrets.iter().any(|secret| secret.name == name) {
            return Err(SecretsManagerError::ResourceExists(format!(
                "the secret {name} already exists"
            )));
        }
        state.next_sequence += 1;
        let sequence = state.next_sequence;
        let suffix: String = uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .take(6)
            .collect();
        let arn = format!("{ACCOUNT_ARN_PREFIX}{name}-{suffix}");
        state.secrets.push(StoredSecret {
            arn: arn.clone(),
            name: name.to_owned(),
            rotation_enabled: None,
            versions: vec![StoredVersion {
                id: uuid::Uuid::new_v4().to_string(),
                value: Some(value.expose().to_owned()),
                stages: vec![StagingLabel::Current.as_str().to_owned()],
                created: now(),
                sequence,
            }],
            last_rotated: None,
            last_changed: Some(now()),
            tags: Vec::new(),
        });
        Ok(arn)
    }

    /// Sets `RotationEnabled` (`None` leaves it out of DescribeSecret, as moto does).
    pub fn set_rotation_enabled(
        &self,
        secret_id: &str,
        enabled: Option<bool>,
    ) -> Result<(), SecretsManagerError> {
        self.with_secret(secret_id, |secret, _| {
            secret.rotation_enabled = enabled;
            Ok(())
        })
    }

    /// TagResource: adds or replaces a tag.
    pub fn tag_secret(&self, secret_id: &str, key: &str, value: &str) -> Result<(), SecretsManagerError> {
        self.with_secret(secret_id, |secret, _| {
            secret.tags.retain(|(existing, _)| existing != key);
            secret.tags.push((key.to_owned(), value.to_owned()));
            Ok(())
        })
    }

    /// The ARNs of all secrets, in creation order.
    pub fn secret_arns(&self) -> Vec<String> {
        self.lock()
            .secrets
            .iter()
            .map(|secret| secret.arn.clone())
            .collect()
    }

    /// What RotateSecret does before it invokes the function: a new version with no value that
    /// carries AWSPENDING, with RotationEnabled set. Returns the new token.
    ///
    /// Fails like the service when AWSPENDING sits on a version other than AWSCURRENT's: a
    /// previous rotation is still in progress.
    pub fn start_rotation(&self, secret_id: &str) -> Result<String, SecretsManagerError> {
        let token = uuid::Uuid::new_v4().to_string();
        self.start_rotation_with_token(secret_id, &token)?;
        Ok(token)
    }

    /// [`start_rotation`](Self::start_rotation) with a chosen token.
    pub fn start_rotation_with_token(&self, secret_id: &str, token: &str) -> Result<(), SecretsManagerError> {
        self.with_secret(secret_id, |secret, sequence| {
            if let Some(pending) = secret.holder_of(StagingLabel::Pending.as_str()) {
                let on_current = pending
                    .stages
                    .iter()
                    .any(|stage| stage == StagingLabel::Current.as_str());
                if !on_current && pending.id != token {
                    return Err(SecretsManagerError::InvalidRequest(
                        "A previous rotation isn't complete. That rotation will be reattempted.".into(),
                    ));
                }
            }
            if secret.version(token).is_none() {
                secret.versions.push(StoredVersion {
                    id: token.to_owned(),
                    value: None,
                    stages: Vec::new(),
                    created: now(),
                    sequence,
                });
            }
            secret.attach(StagingLabel::Pending, token);
            secret.rotation_enabled = Some(true);
            Ok(())
        })
    }

    /// CancelRotateSecret, with the clean-up its documentation asks of the caller done too:
    /// RotationEnabled becomes false, and AWSPENDING leaves the version it marks as in progress,
    /// which keeps its value (if it has one) as an unlabelled version. The rotation is then no
    /// longer in progress, so [`start_rotation`](Self::start_rotation) (RotateSecret) can begin
    /// a new one, which turns rotation back on. AWSPENDING on AWSCURRENT's version marks no
    /// rotation in progress and stays. Returns the cancelled version's id, if there was one.
    pub fn cancel_rotation(&self, secret_id: &str) -> Result<Option<String>, SecretsManagerError> {
        self.with_secret(secret_id, |secret, _| {
            secret.rotation_enabled = Some(false);
            let current = StagingLabel::Current.as_str();
            let pending = StagingLabel::Pending.as_str();
            let in_progress = secret.versions.iter_mut().find(|version| {
                version.stages.iter().any(|stage| stage == pending)
                    && !version.stages.iter().any(|stage| stage == current)
            });
            Ok(in_progress.map(|version| {
                version.stages.retain(|stage| stage != pending);
                version.id.clone()
            }))
        })
    }

    fn describe(secret: &StoredSecret) -> SecretDescription {
        SecretDescription {
            arn: secret.arn.clone(),
            name: secret.name.clone(),
            rotation_enabled: secret.rotation_enabled,
            versions: secret
                .versions
                .iter()
                .filter(|version| !version.stages.is_empty())
                .map(|version| (version.id.clone(), version.stages.clone()))
                .collect::<BTreeMap<_, _>>(),
            last_rotated: time(secret.last_rotated),
            last_changed: time(secret.last_changed),
            tags: secret.tags.clone(),
        }
    }

    fn read(
        secret: &StoredSecret,
        selector: VersionSelector<'_>,
    ) -> Result<SecretVersion, SecretsManagerError> {
        let version = match (selector.version_id, selector.stage) {
            (Some(id), stage) => {
                let version = secret.version(id).ok_or_else(|| {
                    SecretsManagerError::ResourceNotFound(format!(
                        "Secrets Manager can't find the specified secret value for VersionId: {id}"
                    ))
                })?;
                if let Some(stage) = stage
                    && !version.stages.iter().any(|label| label == stage.as_str())
                {
                    return Err(SecretsManagerError::InvalidRequest(
                        "You provided a VersionStage that is not associated to the provided VersionId."
                            .into(),
                    ));
                }
                version
            }
            (None, stage) => {
                let stage = stage.unwrap_or(StagingLabel::Current);
                secret.holder_of(stage.as_str()).ok_or_else(|| {
                    SecretsManagerError::ResourceNotFound(format!(
                        "Secrets Manager can't find the specified secret value for staging label: {stage}"
                    ))
                })?
            }
        };
        let value = version.value.as_ref().ok_or_else(|| {
            SecretsManagerError::ResourceNotFound(
                "Secrets Manager can't find the specified secret value for this version.".into(),
            )
        })?;
        Ok(SecretVersion {
            version_id: version.id.clone(),
            value: SecretValue::new(value.clone()),
            stages: version.stages.clone(),
        })
    }

    fn put(
        secret: &mut StoredSecret,
        request: &PutSecretValue<'_>,
        sequence: u64,
    ) -> Result<(), SecretsManagerError> {
        let token = request.client_request_token;
        let value = request.value.expose();
        match secret.versions.iter_mut().find(|version| version.id == token) {
            Some(version) => match &version.value {
                Some(existing) if existing == value => return Ok(()),
                Some(_) => {
                    return Err(SecretsManagerError::ResourceExists(format!(
                        "You can't use ClientRequestToken {token} because that value is already in use for a version of the secret."
                    )));
                }
                None => version.value = Some(value.to_owned()),
            },
            None => secret.versions.push(StoredVersion {
                id: token.to_owned(),
                value: Some(value.to_owned()),
                stages: Vec::new(),
                created: now(),
                sequence,
            }),
        }
        let stages = if request.stages.is_empty() {
            &[StagingLabel::Current][..]
        } else {
            request.stages
        };
        for stage in stages {
            secret.attach(*stage, token);
        }
        secret.last_changed = Some(now());
        Ok(())
    }

    fn update_stage(
        secret: &mut StoredSecret,
        request: &UpdateVersionStage<'_>,
    ) -> Result<(), SecretsManagerError> {
        let label = request.stage.as_str();
        if let Some(target) = request.move_to
            && secret.version(target).is_none()
        {
            return Err(SecretsManagerError::InvalidParameter(format!(
                "Not a valid version: {target}"
            )));
        }
        if let Some(source) = request.remove_from {
            let carries = secret
                .version(source)
                .is_some_and(|v| v.stages.iter().any(|stage| stage == label));
            if !carries {
                return Err(SecretsManagerError::InvalidParameter(format!(
                    "Version stage {label} not found in version {source}"
                )));
            }
        }
        let holder = secret.holder_of(label).map(|version| version.id.clone());
        if let (Some(holder), Some(target)) = (&holder, request.move_to)
            && holder != target
            && request.remove_from != Some(holder.as_str())
        {
            return Err(SecretsManagerError::InvalidParameter(format!(
                "The staging label {label} is currently attached to version {holder}. You must specify RemoveFromVersionId."
            )));
        }
        match (request.move_to, request.remove_from) {
            (Some(target), _) => secret.attach(request.stage, target),
            (None, Some(source)) => {
                if let Some(version) = secret.versions.iter_mut().find(|version| version.id == source) {
                    version.stages.retain(|stage| stage != label);
                }
            }
            (None, None) => {}
        }
        Ok(())
    }
}

impl SecretsManager for InMemorySecretsManager {
    async fn describe_secret(&self, secret_id: &str) -> Result<SecretDescription, SecretsManagerError> {
        self.with_secret(secret_id, |secret, _| Ok(Self::describe(secret)))
    }

    async fn get_secret_value(
        &self,
        secret_id: &str,
        selector: VersionSelector<'_>,
    ) -> Result<SecretVersion, SecretsManagerError> {
        self.with_secret(secret_id, |secret, _| Self::read(secret, selector))
    }

    async fn put_secret_value(&self, request: PutSecretValue<'_>) -> Result<(), SecretsManagerError> {
        self.with_secret(request.secret_id, |secret, sequence| {
            Self::put(secret, &request, sequence)
        })
    }

    async fn update_secret_version_stage(
        &self,
        request: UpdateVersionStage<'_>,
    ) -> Result<(), SecretsManagerError> {
        self.with_secret(request.secret_id, |secret, _| {
            Self::update_stage(secret, &request)
        })
    }

    async fn list_secret_version_ids(
        &self,
        secret_id: &str,
    ) -> Result<Vec<VersionSummary>, SecretsManagerError> {
        self.with_secret(secret_id, |secret, _| {
            let mut versions: Vec<&StoredVersion> = secret.versions.iter().collect();
            versions.sort_by_key(|version| std::cmp::Reverse(version.sequence));
            Ok(versions
                .into_iter()
                .map(|version| VersionSummary {
                    version_id: version.id.clone(),
                    stages: version.stages.clone(),
                    created: time(Some(version.created)),
                })
                .collect())
        })
    }

    async fn get_random_password(
        &self,
        policy: &PasswordPolicy,
    ) -> Result<SecretString, SecretsManagerError> {
        policy
            .generate()
            .map_err(|error| SecretsManagerError::InvalidParameter(error.to_string()))
    }
}

#[cfg(test)]
mod tests;

//! The rotator: createSecret makes the key in IAM, testSecret proves it through STS, the finish
//! hook retires the old ones.

use std::future::Future;
use std::time::Duration;

use rotor_core::fault::FaultPoints;
use rotor_core::{
    CreateContext, Deadline, FinishContext, Rotator, RotatorError, SecretContext, SecretJson, StagingLabel,
    StepContext,
};
use secrecy::{ExposeSecret, SecretString};

use crate::error::AccessKeyError;
use crate::iam::{AccessKey, AwsIam, IamApi, IamError, KeyStatus};
use crate::ownership::{self, Known, Ownership};

/// The field naming the IAM user.
pub const USER_NAME_FIELD: &str = "UserName";
/// The field holding the access key id.
pub const ACCESS_KEY_ID_FIELD: &str = "AccessKeyId";
/// The field holding the secret access key.
pub const SECRET_ACCESS_KEY_FIELD: &str = "SecretAccessKey";

/// The tracing targets of the IAM client, capped at INFO like every AWS client rotor uses.
pub const LOG_TARGETS: &[&str] = &["aws_sdk_iam"];

/// How many older versions the rotator reads to recognise its retired keys, when a key is
/// neither AWSCURRENT's nor AWSPREVIOUS's.
const HISTORY_VERSIONS: usize = 10;
/// The first wait after STS refuses a new key, doubled up to [`MAX_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(200);
/// The longest wait between two GetCallerIdentity attempts.
const MAX_WAIT: Duration = Duration::from_secs(4);

/// Rotates an IAM user's access key (see the crate docs for the rules).
#[derive(Debug, Clone, Default)]
pub struct IamAccessKeyRotator<I = AwsIam> {
    iam: I,
    faults: FaultPoints,
}

impl IamAccessKeyRotator<AwsIam> {
    /// The rotator of the Lambda function: IAM and STS clients from the process's shared SDK
    /// configuration, built on first use.
    pub fn from_env() -> Self {
        Self::new(AwsIam::from_env())
    }
}

impl<I: IamApi> IamAccessKeyRotator<I> {
    /// A rotator on the given IAM port.
    pub fn new(iam: I) -> Self {
        Self {
            iam,
            faults: FaultPoints::none(),
        }
    }

    /// Calls `before`/`after` on `faults` around every IAM and STS call (tests).
    #[must_use]
    pub fn with_faults(mut self, faults: FaultPoints) -> Self {
        self.faults = faults;
        self
    }

    /// The IAM port.
    pub fn iam(&self) -> &I {
        &self.iam
    }

    /// One IAM or STS call, behind its fault point and bounded by the deadline. The outer error
    /// is the fault or the deadline, the inner one the service's answer.
    async fn call<T>(
        &self,
        deadline: Deadline,
        operation: &'static str,
        call: impl Future<Output = Result<T, IamError>>,
    ) -> Result<Result<T, IamError>, RotatorError> {
        let ticket = self.faults.before(operation)?;
        let answer = tokio::time::timeout(deadline.remaining(), call)
            .await
            .map_err(|_| AccessKeyError::DeadlineExceeded { operation })?;
        ticket.after()?;
        Ok(answer)
    }

    async fn list(&self, deadline: Deadline, user: &str) -> Result<Vec<AccessKey>, RotatorError> {
        Ok(self
            .call(deadline, "ListAccessKeys", self.iam.list_access_keys(user))
            .await??)
    }

    /// DeleteAccessKey; a key that is already gone is deleted.
    async fn delete(&self, deadline: Deadline, user: &str, key_id: &str) -> Result<(), RotatorError> {
        match self
            .call(
                deadline,
                "DeleteAccessKey",
                self.iam.delete_access_key(user, key_id),
            )
            .await?
        {
            Ok(()) | Err(IamError::KeyNotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// What the secret says about `keys`; reads its history (ListSecretVersionIds and older
    /// versions) only when a key is neither AWSCURRENT's nor AWSPREVIOUS's.
    async fn known(
        &self,
        ctx: &SecretContext<'_>,
        keys: &[AccessKey],
        current: Option<&str>,
        previous: Option<&str>,
    ) -> Result<Known, RotatorError> {
        let mut known = Known {
            current: current.map(str::to_owned),
            previous: previous.map(str::to_owned),
            ..Known::default()
        };
        if !keys.iter().any(|key| known.needs_history(key)) {
            return Ok(known);
        }
        let versions = ctx.versions().await?;
        known.rotation_started = versions
            .iter()
            .find(|version| version.version_id == ctx.token())
            .and_then(|version| version.created);
        known.stored = ctx
            .recent_versions(HISTORY_VERSIONS)
            .await?
            .iter()
            .filter_map(|version| key_id(&version.value).map(str::to_owned))
            .collect();
        Ok(known)
    }

    /// The AWSPENDING value a concurrent createSecret of this rotation stored after this one
    /// started, if any. Read just before deleting orphans: a key that invocation created looks
    /// like an orphan until its PutSecretValue lands, and its value is then this one's too.
    async fn stored_meanwhile(&self, ctx: &SecretContext<'_>) -> Result<Option<SecretJson>, RotatorError> {
        match ctx
            .other_secret(ctx.secret_id(), StagingLabel::Pending, "AWSPENDING")
            .await
        {
            Ok(stored) => Ok(Some(stored)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Proves that the key signs as `user`: GetCallerIdentity, retried with backoff while STS
    /// does not know the key yet (IAM is eventually consistent), until the deadline.
    async fn prove(
        &self,
        deadline: Deadline,
        user: &str,
        key_id: &str,
        secret: &SecretString,
    ) -> Result<(), RotatorError> {
        let mut wait = FIRST_WAIT;
        let mut listed = false;
        loop {
            let answer = self
                .call(
                    deadline,
                    "GetCallerIdentity",
                    self.iam.caller_identity(key_id, secret),
                )
                .await?;
            match answer {
                Ok(arn) if arn_names_user(&arn, user) => return Ok(()),
                Ok(arn) => {
                    let (user, key_id) = (user.to_owned(), key_id.to_owned());
                    return Err(AccessKeyError::WrongIdentity { user, key_id, arn }.into());
                }
                Err(IamError::KeyNotRecognised { .. }) => {}
                Err(error) => return Err(error.into()),
            }
            if !listed {
                // A key that is gone or inactive will never be accepted: fail now, not at the deadline.
                let keys = self.list(deadline, user).await?;
                let why = match keys.iter().find(|key| key.id == key_id) {
                    None => Some("does not exist"),
                    Some(key) if key.status == KeyStatus::Inactive => Some("is inactive"),
                    Some(_) => None,
                };
                if let Some(why) = why {
                    let (user, key_id) = (user.to_owned(), key_id.to_owned());
                    return Err(AccessKeyError::KeyUnusable { user, key_id, why }.into());
                }
                listed = true;
            }
            if deadline.remaining() <= wait {
                return Err(AccessKeyError::NotPropagated {
                    key_id: key_id.to_owned(),
                }
                .into());
            }
            tracing::info!(
                key_id,
                wait_ms = wait.as_millis(),
                "STS does not accept the new key yet; retrying"
            );
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_WAIT);
        }
    }
}

/// The secret's user; a secret without one is malformed.
fn user_of<'j>(
    ctx: &SecretContext<'_>,
    secret: &'j SecretJson,
    version: &str,
) -> Result<&'j str, RotatorError> {
    Ok(secret
        .required_str(USER_NAME_FIELD)
        .map_err(|problem| ctx.malformed(version, problem))?)
}

/// The `AccessKeyId` of a value, when it has one.
fn key_id(secret: &SecretJson) -> Option<&str> {
    secret.optional_str(ACCESS_KEY_ID_FIELD).ok().flatten()
}

/// The key pair of a value.
fn key_pair<'j>(
    ctx: &SecretContext<'_>,
    secret: &'j SecretJson,
    version: &str,
) -> Result<(&'j str, SecretString), RotatorError> {
    let malformed = |problem| ctx.malformed(version, problem);
    let id = secret.required_str(ACCESS_KEY_ID_FIELD).map_err(malformed)?;
    let secret = secret.required_str(SECRET_ACCESS_KEY_FIELD).map_err(malformed)?;
    Ok((id, SecretString::from(secret)))
}

/// Whether an STS ARN (`arn:aws:iam::123456789012:user/path/name`) is the IAM user `user`.
/// User names are unique in an account whatever their path.
fn arn_names_user(arn: &str, user: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2);
    let resource = parts.nth(2).unwrap_or_default();
    service == Some("iam")
        && resource
            .strip_prefix("user/")
            .is_some_and(|path| path.rsplit('/').next() == Some(user))
}

impl<I: IamApi> Rotator for IamAccessKeyRotator<I> {
    /// createSecret: makes room (deletes retired keys, this rotation's orphans and, at the limit,
    /// AWSPREVIOUS's key), then CreateAccessKey. Refuses before changing anything when the user
    /// does not exist or foreign keys leave no room.
    ///
    /// Idempotency: core calls it only while the version has no value. A retry after a crash
    /// between CreateAccessKey and PutSecretValue finds that key as an orphan (created after the
    /// rotation started, stored nowhere), deletes it and creates another.
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        let deadline = ctx.deadline();
        let current = ctx.current();
        let user = user_of(ctx, current, "AWSCURRENT")?;
        let previous = ctx
            .previous()
            .await?
            .filter(|previous| previous.optional_str(USER_NAME_FIELD).ok().flatten() == Some(user));
        let keys = self.list(deadline, user).await?;
        let known = self
            .known(ctx, &keys, key_id(current), previous.and_then(key_id))
            .await?;
        let delete = ownership::make_room(&keys, &known).map_err(|foreign| AccessKeyError::NoRoomForKey {
            user: user.to_owned(),
            foreign,
        })?;
        let orphans = keys.iter().any(|key| known.classify(key) == Ownership::Orphan);
        if orphans && let Some(stored) = self.stored_meanwhile(ctx).await? {
            return Ok(stored);
        }
        for key_id in &delete {
            tracing::info!(user, key_id, "deleting an access key this secret no longer needs");
            self.delete(deadline, user, key_id).await?;
        }
        let created = self
            .call(deadline, "CreateAccessKey", self.iam.create_access_key(user))
            .await??;
        tracing::info!(user, key_id = created.id, "created the new access key");
        let mut pending = current.clone();
        pending.set(ACCESS_KEY_ID_FIELD, created.id);
        pending.set(SECRET_ACCESS_KEY_FIELD, created.secret.expose_secret());
        Ok(pending)
    }

    /// setSecret: IAM already holds the key createSecret made, so there is nothing to apply; the
    /// pending value is checked (same user, a complete key pair). Running it again changes nothing.
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let current = user_of(ctx, ctx.current().await?, "AWSCURRENT")?;
        let pending = user_of(ctx, ctx.pending(), "AWSPENDING")?;
        if pending != current {
            let (current, pending) = (current.to_owned(), pending.to_owned());
            return Err(AccessKeyError::UserChanged { current, pending }.into());
        }
        key_pair(ctx, ctx.pending(), "AWSPENDING")?;
        Ok(())
    }

    /// testSecret: GetCallerIdentity with the new key returns the secret's user. Changes nothing.
    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let user = user_of(ctx, ctx.pending(), "AWSPENDING")?;
        let (key_id, secret) = key_pair(ctx, ctx.pending(), "AWSPENDING")?;
        self.prove(ctx.deadline(), user, key_id, &secret).await
    }

    /// The configuration test: the user exists and, when AWSCURRENT holds a key, it signs as the
    /// user. A value with only `UserName` (a secret waiting for its first key) passes.
    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        let current = ctx.current().await?;
        let user = user_of(ctx, current, "AWSCURRENT")?;
        if key_id(current).is_none() {
            self.list(ctx.deadline(), user).await?;
            return Ok(());
        }
        let (key_id, secret) = key_pair(ctx, current, "AWSCURRENT")?;
        self.prove(ctx.deadline(), user, key_id, &secret).await
    }

    /// The finish hook: deactivates AWSPREVIOUS's key and deletes the user's retired keys and
    /// this rotation's orphans; foreign keys stay. Running it again finds nothing to do.
    async fn after_finish(&self, ctx: &FinishContext<'_>) -> Result<(), RotatorError> {
        let deadline = ctx.deadline();
        let current = ctx.current_value().await?;
        let user = user_of(ctx, current, "AWSCURRENT")?;
        let previous = ctx
            .previous_value()
            .await?
            .filter(|previous| previous.optional_str(USER_NAME_FIELD).ok().flatten() == Some(user));
        let keys = self.list(deadline, user).await?;
        let known = self
            .known(ctx, &keys, key_id(current), previous.and_then(key_id))
            .await?;
        let (deactivate, delete) = ownership::retire(&keys, &known);
        if let Some(key_id) = deactivate {
            tracing::info!(user, key_id, "deactivating the previous access key");
            let update = self.iam.update_access_key(user, &key_id, KeyStatus::Inactive);
            match self.call(deadline, "UpdateAccessKey", update).await? {
                Ok(()) | Err(IamError::KeyNotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        for key_id in &delete {
            tracing::info!(user, key_id, "deleting an access key older than AWSPREVIOUS's");
            self.delete(deadline, user, key_id).await?;
        }
        Ok(())
    }

    fn log_targets(&self) -> &'static [&'static str] {
        LOG_TARGETS
    }

    fn name(&self) -> &'static str {
        "iam-access-key"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arn_names_the_user_whatever_its_path_but_not_a_role_or_another_user() {
        assert!(arn_names_user("arn:aws:iam::123456789012:user/ci", "ci"));
        assert!(arn_names_user(
            "arn:aws-cn:iam::123456789012:user/deploy/ci",
            "ci"
        ));
        assert!(!arn_names_user("arn:aws:iam::123456789012:user/ci-admin", "ci"));
        assert!(!arn_names_user(
            "arn:aws:sts::123456789012:assumed-role/ci/session",
            "ci"
        ));
        assert!(!arn_names_user("arn:aws:sts::123456789012:user/moto", "ci"));
    }
}

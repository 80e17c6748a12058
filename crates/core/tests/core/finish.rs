//! finishSecret moves AWSCURRENT only onto a version that holds this rotation's pending value:
//! on the in-memory model and on moto.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rotor_core::secrets_manager::{
    PutSecretValue, SecretVersion, UpdateVersionStage, VersionSelector, VersionSummary,
};
use rotor_core::{
    Classify, Deadline, InMemorySecretsManager, PasswordPolicy, RotationError, RotationEvent,
    RotationFunction, RotationSettings, SecretDescription, SecretsManager, SecretsManagerError, StagingLabel,
    Step,
};
use rotor_testkit::MotoServer;
use secrecy::SecretString;

use super::support::{Harness, INITIAL, ServiceRotator, put_pending};

/// Plays a concurrent writer: right after the function's DescribeSecret, it removes AWSPENDING
/// from `token` (as `rotor cancel` or an operator would), once.
struct UnlabelAfterDescribe<S> {
    inner: S,
    token: String,
    done: AtomicBool,
}

impl<S> UnlabelAfterDescribe<S> {
    fn new(inner: S, token: &str) -> Self {
        Self {
            inner,
            token: token.to_owned(),
            done: AtomicBool::new(false),
        }
    }
}

impl<S: SecretsManager> SecretsManager for UnlabelAfterDescribe<S> {
    async fn describe_secret(&self, id: &str) -> Result<SecretDescription, SecretsManagerError> {
        let description = self.inner.describe_secret(id).await?;
        if !self.done.swap(true, Ordering::SeqCst) {
            self.inner
                .update_secret_version_stage(UpdateVersionStage {
                    secret_id: id,
                    stage: StagingLabel::Pending,
                    move_to: None,
                    remove_from: Some(&self.token),
                })
                .await?;
        }
        Ok(description)
    }
    async fn get_secret_value(
        &self,
        id: &str,
        selector: VersionSelector<'_>,
    ) -> Result<SecretVersion, SecretsManagerError> {
        self.inner.get_secret_value(id, selector).await
    }
    async fn put_secret_value(&self, request: PutSecretValue<'_>) -> Result<(), SecretsManagerError> {
        self.inner.put_secret_value(request).await
    }
    async fn update_secret_version_stage(
        &self,
        request: UpdateVersionStage<'_>,
    ) -> Result<(), SecretsManagerError> {
        self.inner.update_secret_version_stage(request).await
    }
    async fn list_secret_version_ids(&self, id: &str) -> Result<Vec<VersionSummary>, SecretsManagerError> {
        self.inner.list_secret_version_ids(id).await
    }
    async fn get_random_password(
        &self,
        policy: &PasswordPolicy,
    ) -> Result<SecretString, SecretsManagerError> {
        self.inner.get_random_password(policy).await
    }
}

/// Runs finishSecret for `token` with `secrets` (finishSecret never calls the rotator) and
/// hands the function back.
async fn finish<S: SecretsManager>(
    secrets: S,
    arn: &str,
    token: &str,
) -> (Result<(), RotationError>, RotationFunction<ServiceRotator, S>) {
    let rotator = Harness::new().function.rotator().clone();
    let function = RotationFunction::new(rotator, secrets, RotationSettings::new(""));
    let result = function
        .invoke(
            &RotationEvent::new(arn, token, Step::FinishSecret),
            Deadline::after(Duration::from_secs(30)),
        )
        .await
        .map(|_| ());
    (result, function)
}

async fn labels<S: SecretsManager>(secrets: &S, arn: &str) -> BTreeMap<String, Vec<String>> {
    let mut versions = secrets.describe_secret(arn).await.unwrap().versions;
    // moto lists unlabelled versions with an empty list; the model drops them.
    versions.retain(|_, labels| !labels.is_empty());
    versions
}

fn assert_pending_value_missing(result: Result<(), RotationError>) {
    let error = result.unwrap_err();
    assert!(
        matches!(error, RotationError::PendingValueMissing { .. }),
        "{error:?}"
    );
    assert_eq!(error.error_type(), "PendingValueMissing");
}

#[tokio::test]
async fn finish_secret_on_a_pending_version_without_a_value_fails_and_moves_no_label() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    let before = harness.labels().await;
    harness.store().faults().clear_log();

    let error = harness.step(&token, Step::FinishSecret).await.unwrap_err();

    assert!(
        matches!(error, RotationError::PendingValueMissing { .. }),
        "{error:?}"
    );
    assert_eq!(harness.labels().await, before, "AWSCURRENT has not moved");
    assert!(
        !harness
            .store()
            .faults()
            .log()
            .iter()
            .any(|call| call == "UpdateSecretVersionStage"),
        "{:?}",
        harness.store().faults().log()
    );
}

#[tokio::test]
async fn finish_secret_refuses_a_version_that_lost_awspending_after_describe_secret() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    let model = InMemorySecretsManager::from_state(harness.model().snapshot());
    let current = labels(&model, &harness.arn).await;
    let racing = UnlabelAfterDescribe::new(model, &token);

    let (result, function) = finish(racing, &harness.arn, &token).await;

    assert_pending_value_missing(result);

    let after = labels(&function.secrets().inner, &harness.arn).await;
    assert!(
        !after.contains_key(&token),
        "the writer removed AWSPENDING: {after:?}"
    );
    let still_current = current
        .iter()
        .find(|(_, labels)| labels.contains(&"AWSCURRENT".to_owned()));
    let moved_to = after
        .iter()
        .find(|(_, labels)| labels.contains(&"AWSCURRENT".to_owned()));
    assert_eq!(moved_to, still_current, "AWSCURRENT has not moved");
}

#[tokio::test]
async fn against_moto_finish_secret_refuses_a_placeholder_and_a_version_that_lost_awspending() {
    let moto = MotoServer::start().await.unwrap();
    let aws = moto.secrets_manager().await;
    let created = aws
        .client()
        .create_secret()
        .name("finish-guard")
        .secret_string(INITIAL)
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_owned();
    let initial = labels(&aws, &arn).await;
    let token = "44444444-0000-4000-8000-000000000004";
    moto.start_rotation(&arn, token).await.unwrap();

    assert_pending_value_missing(finish(aws.clone(), &arn, token).await.0);
    let placeholder = labels(&aws, &arn).await;
    assert_eq!(placeholder[token], ["AWSPENDING"], "the placeholder is untouched");
    let current_of = |labels: &BTreeMap<String, Vec<String>>| {
        labels
            .iter()
            .find(|(_, labels)| labels.contains(&"AWSCURRENT".to_owned()))
            .map(|(version, _)| version.clone())
    };
    assert_eq!(
        current_of(&placeholder),
        current_of(&initial),
        "AWSCURRENT has not moved"
    );

    // A pending value, then a writer removes AWSPENDING between DescribeSecret and the read.
    let other = "55555555-0000-4000-8000-000000000005";
    aws.update_secret_version_stage(UpdateVersionStage {
        secret_id: &arn,
        stage: StagingLabel::Pending,
        move_to: None,
        remove_from: Some(token),
    })
    .await
    .unwrap();
    put_pending(&aws, &arn, other, r#"{"password":"pending-pw"}"#)
        .await
        .unwrap();
    let racing = UnlabelAfterDescribe::new(aws.clone(), other);
    assert_pending_value_missing(finish(racing, &arn, other).await.0);

    let after = labels(&aws, &arn).await;
    assert_eq!(
        current_of(&after),
        current_of(&initial),
        "AWSCURRENT has not moved"
    );
    assert!(!after.contains_key(other), "{after:?}");
}

//! The finish hook: runs once AWSCURRENT has moved, and again on every finishSecret of a
//! completed rotation, so a retry completes a hook that failed or crashed after the move.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    Classify, Deadline, ErrorClass, FinishContext, InMemorySecretsManager, RotationEvent, RotationFunction,
    RotationSettings, Rotator, RotatorError, SecretValue, SecretsManager, StagingLabel, Step, StepContext,
    StepOutcome,
};
use rotor_testkit::faults::{FaultTiming, FaultySecretsManager};
use secrecy::ExposeSecret;

/// The revocation service was unavailable.
#[derive(Debug, thiserror::Error)]
#[error("the revocation service is unavailable")]
struct RevocationUnavailable;

impl Classify for RevocationUnavailable {
    fn class(&self) -> ErrorClass {
        ErrorClass::Transient
    }
    fn error_type(&self) -> &'static str {
        "RevocationUnavailable"
    }
}

/// What the hook saw, one entry per run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HookRun {
    current_version: String,
    previous_version: Option<String>,
    previous_password: Option<String>,
    current_label_on: Option<String>,
}

#[derive(Debug, Default)]
struct Revocations {
    runs: Mutex<Vec<HookRun>>,
    /// How many runs fail before one succeeds.
    failures_left: Mutex<usize>,
}

/// Accepts any pending value; its hook records what it saw.
struct RevokingRotator {
    revocations: Arc<Revocations>,
    store: Arc<InMemorySecretsManager>,
    arn: String,
}

impl Rotator for RevokingRotator {
    async fn set_secret(&self, _ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        Ok(())
    }

    async fn test_secret(&self, _ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        Ok(())
    }

    async fn after_finish(&self, ctx: &FinishContext<'_>) -> Result<(), RotatorError> {
        let previous_password = ctx
            .previous_value()
            .await?
            .and_then(|previous| previous.password().ok())
            .map(|password| password.expose_secret().to_owned());
        let labels = self.store.describe_secret(&self.arn).await.unwrap();
        self.revocations.runs.lock().unwrap().push(HookRun {
            current_version: ctx.current_version().to_owned(),
            previous_version: ctx.previous_version().map(str::to_owned),
            previous_password,
            current_label_on: labels.version_with(StagingLabel::Current).map(str::to_owned),
        });
        let mut failures_left = self.revocations.failures_left.lock().unwrap();
        if *failures_left > 0 {
            *failures_left -= 1;
            return Err(RevocationUnavailable.into());
        }
        Ok(())
    }
}

/// A shared model, so the hook can look at the labels the moment it runs.
#[derive(Debug, Clone)]
struct Shared(Arc<InMemorySecretsManager>);

impl SecretsManager for Shared {
    async fn describe_secret(
        &self,
        id: &str,
    ) -> Result<rotor_core::SecretDescription, rotor_core::SecretsManagerError> {
        self.0.describe_secret(id).await
    }
    async fn get_secret_value(
        &self,
        id: &str,
        selector: VersionSelector<'_>,
    ) -> Result<rotor_core::secrets_manager::SecretVersion, rotor_core::SecretsManagerError> {
        self.0.get_secret_value(id, selector).await
    }
    async fn put_secret_value(
        &self,
        request: rotor_core::secrets_manager::PutSecretValue<'_>,
    ) -> Result<(), rotor_core::SecretsManagerError> {
        self.0.put_secret_value(request).await
    }
    async fn update_secret_version_stage(
        &self,
        request: rotor_core::secrets_manager::UpdateVersionStage<'_>,
    ) -> Result<(), rotor_core::SecretsManagerError> {
        self.0.update_secret_version_stage(request).await
    }
    async fn list_secret_version_ids(
        &self,
        id: &str,
    ) -> Result<Vec<rotor_core::secrets_manager::VersionSummary>, rotor_core::SecretsManagerError> {
        self.0.list_secret_version_ids(id).await
    }
    async fn get_random_password(
        &self,
        policy: &rotor_core::PasswordPolicy,
    ) -> Result<secrecy::SecretString, rotor_core::SecretsManagerError> {
        self.0.get_random_password(policy).await
    }
}

struct Setup {
    arn: String,
    revocations: Arc<Revocations>,
    function: RotationFunction<RevokingRotator, FaultySecretsManager<Shared>>,
}

fn setup(failures: usize) -> Setup {
    let model = Arc::new(InMemorySecretsManager::new());
    let arn = model
        .create_secret("revoked-on-finish", &SecretValue::new(r#"{"password":"old-pw"}"#))
        .unwrap();
    let revocations = Arc::new(Revocations {
        failures_left: Mutex::new(failures),
        ..Revocations::default()
    });
    let rotator = RevokingRotator {
        revocations: revocations.clone(),
        store: model.clone(),
        arn: arn.clone(),
    };
    let function = RotationFunction::new(
        rotator,
        FaultySecretsManager::new(Shared(model)),
        RotationSettings::new(""),
    );
    Setup {
        arn,
        revocations,
        function,
    }
}

impl Setup {
    fn model(&self) -> &InMemorySecretsManager {
        &self.function.secrets().inner().0
    }

    async fn current_version(&self) -> String {
        let description = self.model().describe_secret(&self.arn).await.unwrap();
        description
            .version_with(StagingLabel::Current)
            .unwrap()
            .to_owned()
    }

    async fn step(&self, token: &str, step: Step) -> Result<StepOutcome, rotor_core::RotationError> {
        let event = RotationEvent::new(&self.arn, token, step);
        self.function
            .invoke(&event, Deadline::after(Duration::from_secs(10)))
            .await
    }

    async fn until_finish(&self) -> String {
        let token = self.model().start_rotation(&self.arn).unwrap();
        for step in [Step::CreateSecret, Step::SetSecret, Step::TestSecret] {
            self.step(&token, step).await.unwrap();
        }
        token
    }

    fn runs(&self) -> Vec<HookRun> {
        self.revocations.runs.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn the_finish_hook_runs_after_awscurrent_moved_and_sees_the_previous_version_and_value() {
    let setup = setup(0);
    let old_version = setup.current_version().await;
    let token = setup.until_finish().await;
    assert!(setup.runs().is_empty(), "no hook before finishSecret");

    let outcome = setup.step(&token, Step::FinishSecret).await.unwrap();

    assert_eq!(
        outcome,
        StepOutcome::Finished {
            previous_version: Some(old_version.clone())
        }
    );
    let expected = HookRun {
        current_version: token.clone(),
        previous_version: Some(old_version),
        previous_password: Some("old-pw".to_owned()),
        current_label_on: Some(token),
    };
    assert_eq!(setup.runs(), [expected]);
}

#[tokio::test]
async fn a_retried_finish_secret_completes_a_hook_that_failed_after_the_label_moved() {
    let setup = setup(1);
    let old_version = setup.current_version().await;
    let token = setup.until_finish().await;

    let failed = setup.step(&token, Step::FinishSecret).await.unwrap_err();
    assert_eq!(failed.error_type(), "RevocationUnavailable");
    assert_eq!(
        setup.current_version().await,
        token,
        "the label moved before the hook"
    );

    let retried = setup.step(&token, Step::FinishSecret).await.unwrap();
    assert_eq!(retried, StepOutcome::AlreadyCurrent);
    let runs = setup.runs();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[1].previous_version.as_deref(), Some(old_version.as_str()));
    assert_eq!(runs[1].previous_password.as_deref(), Some("old-pw"));
}

#[tokio::test]
async fn a_finish_secret_that_crashed_after_moving_the_label_runs_the_hook_on_retry() {
    let setup = setup(0);
    let token = setup.until_finish().await;
    // DescribeSecret, GetSecretValue (pending), UpdateSecretVersionStage: crash after the third.
    setup.function.secrets().faults().arm(3, FaultTiming::AfterApply);

    setup.step(&token, Step::FinishSecret).await.unwrap_err();
    assert_eq!(setup.current_version().await, token);
    assert!(setup.runs().is_empty(), "the crash struck before the hook");

    assert_eq!(
        setup.step(&token, Step::FinishSecret).await.unwrap(),
        StepOutcome::AlreadyCurrent
    );
    let runs = setup.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].current_version, token);
    assert_eq!(runs[0].previous_password.as_deref(), Some("old-pw"));
}

#[tokio::test]
async fn only_finish_secret_runs_the_hook_for_a_token_that_is_already_current() {
    let setup = setup(0);
    let token = setup.until_finish().await;
    setup.step(&token, Step::FinishSecret).await.unwrap();
    for step in [Step::CreateSecret, Step::SetSecret, Step::TestSecret] {
        assert_eq!(
            setup.step(&token, step).await.unwrap(),
            StepOutcome::AlreadyCurrent
        );
    }
    assert_eq!(setup.runs().len(), 1, "only the first finishSecret so far");
    setup.step(&token, Step::FinishSecret).await.unwrap();
    assert_eq!(setup.runs().len(), 2);
}

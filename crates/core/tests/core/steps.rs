use std::sync::atomic::Ordering;
use std::time::Duration;

use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use rotor_core::secrets_manager::{PutSecretValue, VersionSelector};
use rotor_core::{
    Deadline, PasswordSource, RotationError, RotationEvent, RotationSettings, RotationToken, SecretsManager,
    StagingLabel, Step, StepOutcome,
};
use rotor_testkit::faults::FaultTiming;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::support::{Harness, INITIAL};

#[tokio::test]
async fn a_full_rotation_makes_the_new_value_current_and_the_old_one_previous() {
    let harness = Harness::new();
    let first = harness
        .model()
        .get_secret_value(&harness.arn, VersionSelector::stage(StagingLabel::Current))
        .await
        .unwrap();
    let token = harness.start_rotation();
    harness.run_steps(&token).await.unwrap();

    let labels = harness.labels().await;
    assert!(labels[&token].contains(&"AWSCURRENT".to_owned()), "{labels:?}");
    assert_eq!(labels[&first.version_id], ["AWSPREVIOUS"]);
    let current = harness
        .value(VersionSelector::stage(StagingLabel::Current))
        .await
        .unwrap();
    let previous = harness
        .value(VersionSelector::stage(StagingLabel::Previous))
        .await
        .unwrap();
    assert_eq!(previous.password().unwrap().expose_secret(), "initial-pw");
    let new_password = current.password().unwrap();
    assert_ne!(new_password.expose_secret(), "initial-pw");
    assert_eq!(
        *harness.service.active.lock().unwrap(),
        new_password.expose_secret()
    );
}

#[tokio::test]
async fn create_secret_copies_the_current_json_verbatim_with_a_new_password() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    assert_eq!(
        harness.step(&token, Step::CreateSecret).await.unwrap(),
        StepOutcome::PendingCreated
    );
    let pending = harness.value(VersionSelector::pending(&token)).await.unwrap();
    let mut expected: serde_json::Map<String, Value> = serde_json::from_str(INITIAL).unwrap();
    expected.insert(
        "password".into(),
        json!(pending.password().unwrap().expose_secret()),
    );
    let stored: Value = serde_json::from_str(pending.to_secret_value().expose()).unwrap();
    assert_eq!(stored, Value::Object(expected.clone()));
    let keys: Vec<&str> = pending.keys().collect();
    assert_eq!(
        keys,
        expected.keys().map(String::as_str).collect::<Vec<_>>(),
        "key order is kept"
    );
    assert_eq!(pending.password().unwrap().expose_secret().chars().count(), 32);
}

#[tokio::test]
async fn every_step_run_twice_in_a_row_converges() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    let mut outcomes = Vec::new();
    for step in Step::ALL {
        outcomes.push(harness.step(&token, step).await.unwrap());
        let labels = harness.labels().await;
        let pending = harness
            .model()
            .get_secret_value(&harness.arn, VersionSelector::version(&token))
            .await
            .ok();
        outcomes.push(harness.step(&token, step).await.unwrap());
        assert_eq!(harness.labels().await, labels, "second {step} changed labels");
        let again = harness
            .model()
            .get_secret_value(&harness.arn, VersionSelector::version(&token))
            .await
            .ok();
        assert_eq!(
            again.map(|v| v.value),
            pending.map(|v| v.value),
            "second {step} changed the value"
        );
    }
    assert_eq!(outcomes[0], StepOutcome::PendingCreated);
    assert_eq!(outcomes[1], StepOutcome::PendingAlreadyExists);
    assert_eq!(
        outcomes[2..6],
        [
            StepOutcome::SecretSet,
            StepOutcome::SecretSet,
            StepOutcome::SecretTested,
            StepOutcome::SecretTested
        ]
    );
    assert!(matches!(outcomes[6], StepOutcome::Finished { .. }));
    assert_eq!(outcomes[7], StepOutcome::AlreadyCurrent);
    assert_eq!(
        harness.service.changes.load(Ordering::SeqCst),
        1,
        "the service password changed once"
    );
}

#[tokio::test]
async fn concurrent_duplicate_create_secret_invocations_keep_one_value() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    let (a, b) = tokio::join!(
        harness.step(&token, Step::CreateSecret),
        harness.step(&token, Step::CreateSecret)
    );
    let mut outcomes = [a.unwrap(), b.unwrap()];
    outcomes.sort_by_key(|outcome| format!("{outcome:?}"));
    assert_eq!(
        outcomes,
        [StepOutcome::PendingAlreadyExists, StepOutcome::PendingCreated]
    );
    harness.run_steps(&token).await.unwrap();
    let current = harness
        .value(VersionSelector::stage(StagingLabel::Current))
        .await
        .unwrap();
    assert_eq!(
        *harness.service.active.lock().unwrap(),
        current.password().unwrap().expose_secret()
    );
}

#[tokio::test]
async fn set_secret_before_create_secret_is_a_typed_error() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();
    assert!(
        matches!(error, RotationError::PendingValueMissing { .. }),
        "{error:?}"
    );
    assert_eq!(*harness.service.active.lock().unwrap(), "initial-pw");
}

#[tokio::test]
async fn test_secret_on_an_empty_pending_version_only_tests_the_configuration() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    let before = harness.labels().await;
    assert_eq!(
        harness.step(&token, Step::TestSecret).await.unwrap(),
        StepOutcome::ConfigurationTested
    );
    assert_eq!(harness.labels().await, before);
    assert_eq!(*harness.service.active.lock().unwrap(), "initial-pw");
}

#[tokio::test]
async fn a_happy_rotation_makes_twelve_secrets_manager_calls() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    let mut per_step = Vec::new();
    for step in Step::ALL {
        harness.store().faults().clear_log();
        harness.step(&token, step).await.unwrap();
        per_step.push(harness.store().faults().log());
    }
    assert_eq!(
        per_step[0],
        [
            "DescribeSecret",
            "GetSecretValue",
            "GetSecretValue",
            "PutSecretValue"
        ]
    );
    assert_eq!(
        per_step[1],
        ["DescribeSecret", "GetSecretValue", "GetSecretValue"]
    );
    assert_eq!(per_step[2], ["DescribeSecret", "GetSecretValue"]);
    assert_eq!(
        per_step[3],
        ["DescribeSecret", "GetSecretValue", "UpdateSecretVersionStage"],
        "finishSecret reads the pending value before it moves AWSCURRENT"
    );
    assert_eq!(per_step.iter().map(Vec::len).sum::<usize>(), 12);
}

#[tokio::test]
async fn get_random_password_is_used_when_selected() {
    let mut settings = RotationSettings::new("/@\"'\\");
    settings.password_source = PasswordSource::SecretsManager;
    let harness = Harness::with_settings(settings);
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    assert!(
        harness
            .store()
            .faults()
            .log()
            .iter()
            .any(|call| call == "GetRandomPassword")
    );
}

#[tokio::test]
async fn a_crash_at_any_secrets_manager_call_converges_on_retry() {
    for k in 1..=12 {
        for timing in [FaultTiming::BeforeApply, FaultTiming::AfterApply] {
            let harness = Harness::new();
            let token = harness.start_rotation();
            harness.store().faults().arm(k, timing);
            let mut failed = false;
            for step in Step::ALL {
                // Secrets Manager retries a failed step with the same token.
                if harness.step(&token, step).await.is_err() {
                    failed = true;
                    harness.step(&token, step).await.unwrap();
                }
            }
            assert!(failed, "call {k} {timing:?} was injected");
            let current = harness
                .value(VersionSelector::stage(StagingLabel::Current))
                .await
                .unwrap();
            assert_eq!(
                *harness.service.active.lock().unwrap(),
                current.password().unwrap().expose_secret(),
                "call {k} {timing:?}: AWSCURRENT must be the live password"
            );
            assert!(harness.labels().await[&token].contains(&"AWSCURRENT".to_owned()));
        }
    }
}

#[tokio::test]
async fn a_slow_step_reports_deadline_exceeded() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    let held = harness.service.active.lock().unwrap().clone();
    let event = RotationEvent::new(&harness.arn, &token, Step::CreateSecret);
    let error = harness
        .function
        .invoke(&event, Deadline::after(Duration::ZERO))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            RotationError::DeadlineExceeded {
                step: Step::CreateSecret
            }
        ),
        "{error:?}"
    );
    assert_eq!(rotor_core::Classify::error_type(&error), "DeadlineExceeded");

    harness.step(&token, Step::CreateSecret).await.unwrap();
    *harness.service.latency.lock().unwrap() = Duration::from_secs(30);
    let event = RotationEvent::new(&harness.arn, &token, Step::SetSecret);
    let error = harness
        .function
        .invoke(&event, Deadline::after(Duration::from_millis(100)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            RotationError::DeadlineExceeded {
                step: Step::SetSecret
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        rotor_core::Classify::class(&error),
        rotor_core::ErrorClass::Transient
    );
    assert_eq!(*harness.service.active.lock().unwrap(), held);
}

#[tokio::test]
async fn a_refused_credential_reaches_lambda_with_the_rotators_error_type() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    *harness.service.active.lock().unwrap() = "someone-else-changed-it".into();
    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "ServiceRefused");
    assert_eq!(
        diagnostic.error_message,
        "setSecret failed: the service refused the credential"
    );
}

#[tokio::test]
async fn the_lambda_handler_maps_bad_payloads_to_typed_diagnostics() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    let invoke = |payload: Value| {
        let mut context = Context::default();
        context.deadline = u64::try_from(
            (std::time::SystemTime::now() + Duration::from_secs(30))
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap();
        rotor_core::lambda::handle(&harness.function, LambdaEvent::new(payload, context))
    };
    let bad_step =
        invoke(json!({"Step": "rollbackSecret", "SecretId": harness.arn, "ClientRequestToken": token})).await;
    assert_eq!(bad_step.unwrap_err().error_type, "InvalidStep");
    let missing = invoke(json!({"Step": "createSecret", "SecretId": harness.arn})).await;
    assert_eq!(missing.unwrap_err().error_type, "InvalidEvent");
    invoke(json!({"Step": "createSecret", "SecretId": harness.arn, "ClientRequestToken": token}))
        .await
        .unwrap();
}

/// Records the RotationToken that PutSecretValue receives.
struct TokenSpy {
    inner: rotor_core::InMemorySecretsManager,
    seen: std::sync::Mutex<Option<String>>,
}

impl SecretsManager for TokenSpy {
    async fn describe_secret(
        &self,
        id: &str,
    ) -> Result<rotor_core::SecretDescription, rotor_core::SecretsManagerError> {
        self.inner.describe_secret(id).await
    }
    async fn get_secret_value(
        &self,
        id: &str,
        selector: VersionSelector<'_>,
    ) -> Result<rotor_core::secrets_manager::SecretVersion, rotor_core::SecretsManagerError> {
        self.inner.get_secret_value(id, selector).await
    }
    async fn put_secret_value(
        &self,
        request: PutSecretValue<'_>,
    ) -> Result<(), rotor_core::SecretsManagerError> {
        *self.seen.lock().unwrap() = request.rotation_token.map(|token| token.expose().to_owned());
        self.inner.put_secret_value(request).await
    }
    async fn update_secret_version_stage(
        &self,
        request: rotor_core::secrets_manager::UpdateVersionStage<'_>,
    ) -> Result<(), rotor_core::SecretsManagerError> {
        self.inner.update_secret_version_stage(request).await
    }
    async fn list_secret_version_ids(
        &self,
        id: &str,
    ) -> Result<Vec<rotor_core::secrets_manager::VersionSummary>, rotor_core::SecretsManagerError> {
        self.inner.list_secret_version_ids(id).await
    }
    async fn get_random_password(
        &self,
        policy: &rotor_core::PasswordPolicy,
    ) -> Result<secrecy::SecretString, rotor_core::SecretsManagerError> {
        self.inner.get_random_password(policy).await
    }
}

#[tokio::test]
async fn the_rotation_token_is_forwarded_to_put_secret_value() {
    let model = rotor_core::InMemorySecretsManager::new();
    let arn = model
        .create_secret("s", &rotor_core::SecretValue::new(INITIAL))
        .unwrap();
    let token = model.start_rotation(&arn).unwrap();
    let spy = TokenSpy {
        inner: model,
        seen: std::sync::Mutex::new(None),
    };
    let harness = Harness::new();
    let function =
        rotor_core::RotationFunction::new(harness.function.rotator().clone(), spy, RotationSettings::new(""));
    let mut event = RotationEvent::new(&arn, &token, Step::CreateSecret);
    event.rotation_token = Some(RotationToken::new("rotation-token-0123456789-abcdef-0123"));
    function
        .invoke(&event, Deadline::after(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(
        function.secrets().seen.lock().unwrap().as_deref(),
        Some("rotation-token-0123456789-abcdef-0123")
    );
}

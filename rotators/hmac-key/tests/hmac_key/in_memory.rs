use rotor_core::{InMemorySecretsManager, RotationError, SecretValue, StagingLabel, Step, StepOutcome};
use rotor_testkit::capture::LogCapture;

use super::support::{INITIAL, INITIAL_KEY, ROTATION_TOKEN, assert_rotated, function, rotate, step, value};

fn seeded() -> (InMemorySecretsManager, String) {
    let store = InMemorySecretsManager::new();
    let arn = store
        .create_secret("signing-key", &SecretValue::new(INITIAL))
        .unwrap();
    (store, arn)
}

#[tokio::test]
async fn a_full_rotation_replaces_the_key_and_keeps_the_old_one_as_previous() {
    let (store, arn) = seeded();
    let token = store.start_rotation(&arn).unwrap();
    let function = function(store);
    rotate(&function, &arn, &token).await;
    assert_rotated(function.secrets(), &arn, &token).await;
}

#[tokio::test]
async fn each_step_twice_converges_to_one_new_key() {
    let (store, arn) = seeded();
    let token = store.start_rotation(&arn).unwrap();
    let function = function(store);
    for each in Step::ALL {
        step(&function, &arn, &token, each).await.unwrap();
        step(&function, &arn, &token, each).await.unwrap();
    }
    assert_rotated(function.secrets(), &arn, &token).await;
}

#[tokio::test]
async fn a_configuration_test_checks_the_current_key_only() {
    let (store, arn) = seeded();
    let token = store.start_rotation(&arn).unwrap();
    let function = function(store);
    assert_eq!(
        step(&function, &arn, &token, Step::TestSecret).await.unwrap(),
        StepOutcome::ConfigurationTested
    );
}

#[tokio::test]
async fn a_malformed_current_key_is_a_typed_error_and_nothing_is_written() {
    let store = InMemorySecretsManager::new();
    let arn = store
        .create_secret("bad", &SecretValue::new(r#"{"signing_key":"c2hvcnQ="}"#))
        .unwrap();
    let token = store.start_rotation(&arn).unwrap();
    let function = function(store);
    step(&function, &arn, &token, Step::CreateSecret).await.unwrap();
    step(&function, &arn, &token, Step::SetSecret).await.unwrap();
    let error = step(&function, &arn, &token, Step::TestSecret).await.unwrap_err();
    assert!(matches!(error, RotationError::Rotator { .. }), "{error:?}");
    assert_eq!(rotor_core::Classify::error_type(&error), "InvalidSigningKey");
    let current = value(function.secrets(), &arn, StagingLabel::Current).await;
    assert_eq!(current.required_str("signing_key").unwrap(), "c2hvcnQ=");
}

#[tokio::test]
async fn no_key_and_no_rotation_token_reach_the_logs_at_trace() {
    let capture = LogCapture::start();
    let (store, arn) = seeded();
    let token = store.start_rotation(&arn).unwrap();
    let function = function(store);
    rotate(&function, &arn, &token).await;
    let new_key = value(function.secrets(), &arn, StagingLabel::Current)
        .await
        .required_str("signing_key")
        .unwrap()
        .to_owned();
    assert!(
        capture.text().contains("rotation step succeeded"),
        "the capture works: {}",
        capture.text()
    );
    assert_eq!(
        capture.leaked(&[INITIAL_KEY, &new_key, ROTATION_TOKEN]),
        Vec::<&str>::new()
    );
}

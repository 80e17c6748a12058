use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rotor_core::secrets_manager::PutSecretValue;
use rotor_core::{
    InMemorySecretsManager, RotationError, SecretValue, SecretsManager, StagingLabel, Step, StepOutcome,
};
use rotor_hmac_key::KEY_BYTES;
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
async fn a_configuration_test_passes_with_a_usable_current_key() {
    let (store, arn) = seeded();
    let token = store.start_rotation(&arn).unwrap();
    let function = function(store);
    assert_eq!(
        step(&function, &arn, &token, Step::TestSecret).await.unwrap(),
        StepOutcome::ConfigurationTested
    );
}

#[tokio::test]
async fn a_configuration_test_refuses_a_current_key_that_cannot_sign() {
    for broken in ["not base64!", "c2hvcnQ="] {
        let store = InMemorySecretsManager::new();
        let current = with_key(broken);
        let arn = store
            .create_secret("broken", &SecretValue::new(&current))
            .unwrap();
        let token = store.start_rotation(&arn).unwrap();
        let function = function(store);

        let error = step(&function, &arn, &token, Step::TestSecret).await.unwrap_err();

        assert_eq!(error_type(&error), "InvalidSigningKey", "{broken}: {error:?}");
        assert!(error.to_string().contains("AWSCURRENT"), "{error}");
    }
}

/// [`INITIAL`] with its signing key replaced by `key`.
fn with_key(key: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(INITIAL).unwrap();
    value["signing_key"] = key.into();
    value.to_string()
}

/// A rotation from [`INITIAL`] whose AWSPENDING holds `key`, as a faulty createSecret or a
/// writer of the secret could leave it; testSecret then runs on it.
async fn test_secret_with_pending_key(key: &str) -> Result<StepOutcome, RotationError> {
    let (store, arn) = seeded();
    let token = store.start_rotation(&arn).unwrap();
    let pending = SecretValue::new(with_key(key));
    store
        .put_secret_value(PutSecretValue {
            secret_id: &arn,
            client_request_token: &token,
            value: &pending,
            stages: &[StagingLabel::Pending],
            rotation_token: None,
        })
        .await
        .unwrap();
    let function = function(store);
    let outcome = step(&function, &arn, &token, Step::TestSecret).await;
    let current = value(function.secrets(), &arn, StagingLabel::Current).await;
    assert_eq!(current.required_str("signing_key").unwrap(), INITIAL_KEY);
    outcome
}

#[tokio::test]
async fn test_secret_accepts_a_fresh_256_bit_key() {
    let fresh = STANDARD.encode([0x5a_u8; KEY_BYTES]);
    test_secret_with_pending_key(&fresh).await.unwrap();
}

#[tokio::test]
async fn test_secret_refuses_a_pending_key_that_is_not_base64_too_short_or_empty() {
    let short = STANDARD.encode([0x5a_u8; KEY_BYTES - 1]);
    let cases = [
        ("not base64!", "InvalidSigningKey"),
        (short.as_str(), "InvalidSigningKey"),
        ("", "MalformedSecret"),
    ];
    for (broken, expected) in cases {
        let error = test_secret_with_pending_key(broken).await.unwrap_err();
        assert_eq!(error_type(&error), expected, "{broken:?}: {error:?}");
        assert!(error.to_string().contains("AWSPENDING"), "{error}");
    }
}

#[tokio::test]
async fn test_secret_refuses_a_pending_key_that_is_the_current_key() {
    let error = test_secret_with_pending_key(INITIAL_KEY).await.unwrap_err();
    assert_eq!(error_type(&error), "SigningKeyNotRotated", "{error:?}");
}

fn error_type(error: &RotationError) -> &'static str {
    rotor_core::Classify::error_type(error)
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

//! Drives the example rotator the way Secrets Manager does.

use std::time::Duration;

use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    Deadline, RotationError, RotationEvent, RotationFunction, RotationSettings, RotationToken, SecretJson,
    SecretsManager, StagingLabel, Step, StepOutcome,
};
use rotor_hmac_key::HmacKeyRotator;

/// The secret every test starts from: a real 32-byte key and fields the rotator must keep.
pub const INITIAL: &str = r#"{"key_id":"k0","signing_key":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","issuer":"billing","rotations":0}"#;
/// The initial key, as a needle for leak checks.
pub const INITIAL_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// A RotationToken as Secrets Manager sends it for assumed-role rotation.
pub const ROTATION_TOKEN: &str = "3f1c9b52-rotation-token-must-never-be-logged-7a6e";

pub fn function<S: SecretsManager>(secrets: S) -> RotationFunction<HmacKeyRotator, S> {
    RotationFunction::new(HmacKeyRotator, secrets, RotationSettings::new(""))
}

pub async fn step<S: SecretsManager>(
    function: &RotationFunction<HmacKeyRotator, S>,
    arn: &str,
    token: &str,
    step: Step,
) -> Result<StepOutcome, RotationError> {
    let mut event = RotationEvent::new(arn, token, step);
    event.rotation_token = Some(RotationToken::new(ROTATION_TOKEN));
    function
        .invoke(&event, Deadline::after(Duration::from_secs(30)))
        .await
}

pub async fn rotate<S: SecretsManager>(
    function: &RotationFunction<HmacKeyRotator, S>,
    arn: &str,
    token: &str,
) {
    for each in Step::ALL {
        step(function, arn, token, each).await.unwrap();
    }
}

pub async fn value<S: SecretsManager>(secrets: &S, arn: &str, label: StagingLabel) -> SecretJson {
    let version = secrets
        .get_secret_value(arn, VersionSelector::stage(label))
        .await
        .unwrap();
    SecretJson::parse(&version.value).unwrap()
}

/// Checks the outcome a user cares about after one rotation from [`INITIAL`].
pub async fn assert_rotated<S: SecretsManager>(secrets: &S, arn: &str, token: &str) {
    let labels = secrets.describe_secret(arn).await.unwrap().versions;
    assert!(labels[token].contains(&"AWSCURRENT".to_owned()), "{labels:?}");
    let current = value(secrets, arn, StagingLabel::Current).await;
    let previous = value(secrets, arn, StagingLabel::Previous).await;
    assert_eq!(previous.required_str("signing_key").unwrap(), INITIAL_KEY);
    assert_ne!(current.required_str("signing_key").unwrap(), INITIAL_KEY);
    assert_eq!(current.required_str("key_id").unwrap(), token);
    assert_eq!(current.required_str("issuer").unwrap(), "billing");
    assert_eq!(current.get("rotations"), Some(&serde_json::json!(0)));
}

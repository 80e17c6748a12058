//! The example custom rotator's release binary, driven through the Runtime API against moto.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rotor_testkit::MotoServer;
use serde_json::{Value, json};

use super::bootstrap::Launch;
use super::lambdas::{Arch, HMAC_KEY};
use super::rotation::{Function, Secrets, field, new_token};
use super::runtime_api::Outcome;

/// A real 32-byte key.
const INITIAL_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn initial() -> Value {
    json!({"key_id": "k0", "signing_key": INITIAL_KEY, "issuer": "billing"})
}

/// One full rotation of the HMAC key with `launch`, with every assertion a user cares about.
pub async fn full_rotation(launch: &Launch) {
    let moto = MotoServer::start().await.unwrap();
    let secrets = Secrets::new(&moto).await;
    let arn = secrets.create("signing-key", &initial()).await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let mut function = Function::start(launch, &moto).await;

    function.rotate(&arn, &token).await;

    secrets.assert_rotated(&arn, &former, &token).await;
    let current = secrets.value(&arn, "AWSCURRENT").await;
    let key = STANDARD.decode(field(&current, "signing_key")).unwrap();
    assert_eq!(key.len(), 32, "a 32-byte key");
    assert_ne!(field(&current, "signing_key"), INITIAL_KEY);
    assert_eq!(field(&current, "key_id"), token);
    assert_eq!(field(&current, "issuer"), "billing", "unknown fields survive");
    let previous = secrets.value(&arn, "AWSPREVIOUS").await;
    assert_eq!(field(&previous, "signing_key"), INITIAL_KEY);
    assert_eq!(
        function.process.exit_status(),
        None,
        "a warm function keeps serving after four steps"
    );
}

#[tokio::test]
async fn the_hmac_key_rotator_binary_rotates_a_secret_through_the_runtime_api() {
    full_rotation(&Launch::new(HMAC_KEY)).await;
}

#[tokio::test]
async fn the_arm64_hmac_key_rotator_built_by_cargo_lambda_rotates_under_qemu() {
    full_rotation(&Launch::new(HMAC_KEY).arch(Arch::Arm64)).await;
}

#[tokio::test]
async fn rotation_disabled_reaches_the_error_endpoint_and_the_function_keeps_serving() {
    let moto = MotoServer::start().await.unwrap();
    let secrets = Secrets::new(&moto).await;
    let arn = secrets.create("signing-key", &initial()).await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let cancelled = new_token();
    moto.start_rotation(&arn, &cancelled).await.unwrap();
    secrets.cancel_rotation(&arn).await;
    let before = secrets.stages(&arn).await;
    let mut function = Function::start(&Launch::new(HMAC_KEY), &moto).await;

    let error = function
        .step("createSecret", &arn, &cancelled)
        .await
        .unwrap_error();

    assert_eq!(error.error_type, "RotationDisabled", "{error:?}");
    assert!(
        error.header.is_some(),
        "Lambda-Runtime-Function-Error-Type is sent"
    );
    assert!(!error.error_message.is_empty());
    assert!(!error.error_message.contains(INITIAL_KEY));
    assert_eq!(secrets.stages(&arn).await, before, "nothing changed");

    // The same process then serves the next rotation, once the user has cleared the cancelled
    // AWSPENDING as the service requires.
    secrets.remove_label(&arn, "AWSPENDING", &cancelled).await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    function.rotate(&arn, &token).await;
    secrets.assert_rotated(&arn, &former, &token).await;
}

#[tokio::test]
async fn a_token_that_is_not_a_version_of_the_secret_fails_with_unknown_version() {
    let moto = MotoServer::start().await.unwrap();
    let secrets = Secrets::new(&moto).await;
    let arn = secrets.create("signing-key", &initial()).await;
    moto.start_rotation(&arn, &new_token()).await.unwrap();
    let mut function = Function::start(&Launch::new(HMAC_KEY), &moto).await;

    let outcome = function.step("createSecret", &arn, &new_token()).await;

    let Outcome::Error(error) = outcome else {
        panic!("expected an error, got {outcome:?}");
    };
    assert_eq!(error.error_type, "UnknownVersion", "{error:?}");
}

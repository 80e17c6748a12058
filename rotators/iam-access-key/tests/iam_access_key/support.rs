//! A user in the in-memory IAM model, a secret for it, and a harness that rotates it.

use std::time::{Duration, SystemTime};

use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{InMemorySecretsManager, RotationSettings, SecretJson, StagingLabel};
use rotor_iam_access_key::iam::AccessKey;
use rotor_iam_access_key::{IamAccessKeyRotator, InMemoryIam};
use rotor_testkit::harness::Harness;
use secrecy::ExposeSecret;

/// The user every in-memory test rotates.
pub const USER: &str = "ci-deployer";
/// A RotationToken as Secrets Manager sends it for assumed-role rotation.
pub const ROTATION_TOKEN: &str = "3f1c9b52-rotation-token-must-never-be-logged-7a6e";

/// An hour before now: when keys made by someone else were created.
pub fn an_hour_ago() -> SystemTime {
    SystemTime::now() - Duration::from_secs(3600)
}

/// A secret value for `user` with the given key, and a field the rotator must keep.
pub fn secret_json(user: &str, key_id: &str, secret: &str) -> String {
    serde_json::json!({
        "UserName": user,
        "AccessKeyId": key_id,
        "SecretAccessKey": secret,
        "team": "platform",
    })
    .to_string()
}

/// A model with [`USER`] and one key of it (made an hour ago), and the secret holding that key.
pub fn seeded() -> (InMemoryIam, String, String) {
    let iam = InMemoryIam::new();
    iam.add_user(USER);
    let key = iam.add_key(USER, an_hour_ago()).unwrap();
    let secret = key.secret.expose_secret().to_owned();
    let json = secret_json(USER, &key.id, &secret);
    (iam, json, secret)
}

/// A harness rotating `secret` with the rotator on `iam`, its IAM calls behind recording fault
/// points.
pub fn harness(iam: &InMemoryIam, secret: &str) -> Harness<IamAccessKeyRotator<InMemoryIam>> {
    Harness::new(
        InMemorySecretsManager::new(),
        secret,
        RotationSettings::new(""),
        |faults| IamAccessKeyRotator::new(iam.clone()).with_faults(faults),
    )
    .with_rotation_token(rotor_core::RotationToken::new(ROTATION_TOKEN))
}

/// The value carrying `label`.
pub async fn value(harness: &Harness<IamAccessKeyRotator<InMemoryIam>>, label: StagingLabel) -> SecretJson {
    harness.value(VersionSelector::stage(label)).await.unwrap()
}

/// A field of a value.
pub fn field<'a>(value: &'a SecretJson, name: &str) -> &'a str {
    value.required_str(name).unwrap()
}

/// The ids of `keys`.
pub fn ids(keys: &[AccessKey]) -> Vec<String> {
    let mut ids: Vec<String> = keys.iter().map(|key| key.id.clone()).collect();
    ids.sort();
    ids
}

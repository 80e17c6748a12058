//! Hostile input: role names that try to break out of quoting, and malformed secrets. Each is
//! rotated correctly or refused with a typed error before anything changes.

use rotor_core::secrets_manager::PutSecretValue;
use rotor_core::{SecretValue, SecretsManager, StagingLabel, Step};
use rotor_postgres::{AlternatingUsers, SingleUser};
use serde_json::{Value, json};

use super::support::{Db, Harness, error_type, store_master};

const INITIAL: &str = "initial-Password-1";

const HOSTILE_NAMES: [&str; 6] = [
    "app\"; DROP ROLE postgres; --",
    "o'brien; SELECT pg_sleep(10)",
    "back\\slash\\\"",
    "Ünïcødé 用户 🚀",
    "UPPER lower",
    // 63 bytes: the longest name PostgreSQL keeps without truncating.
    "a23456789012345678901234567890123456789012345678901234567890123",
];

#[tokio::test]
async fn hostile_usernames_rotate_as_themselves_and_nothing_else() {
    let db = Db::start().await;
    for name in HOSTILE_NAMES {
        db.create_user(name, INITIAL, "").await;
        let harness = Harness::new(&db.secret(name, INITIAL), |faults| {
            SingleUser::new().with_fault_points(faults)
        });

        harness
            .rotate()
            .await
            .unwrap_or_else(|error| panic!("{name}: {error:?}"));

        let (user, password) = harness.credential(StagingLabel::Current).await;
        assert_eq!(user, name);
        assert!(db.can_login(name, &password).await, "{name}");
        assert!(!db.can_login(name, INITIAL).await, "{name}");
    }
    assert_eq!(
        db.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'postgres';")
            .await
            .trim(),
        "1"
    );
    assert_eq!(
        db.failed_logins(),
        HOSTILE_NAMES.len(),
        "only the checks that old passwords fail"
    );
}

#[tokio::test]
async fn hostile_usernames_get_hostile_clones_quoted_correctly() {
    let db = Db::start().await;
    db.create_rds_master("master", "master-pw").await;
    for name in &HOSTILE_NAMES[..4] {
        db.create_user(name, INITIAL, "").await;
        let model = rotor_core::InMemorySecretsManager::new();
        let master_arn = store_master(&model, &db, "master", "master-pw");
        let mut secret = db.secret(name, INITIAL);
        secret["masterarn"] = json!(master_arn);
        let harness = Harness::with_store(model, &secret, |faults| {
            AlternatingUsers::new().with_fault_points(faults)
        });

        harness
            .rotate()
            .await
            .unwrap_or_else(|error| panic!("{name}: {error:?}"));

        let (user, password) = harness.credential(StagingLabel::Current).await;
        assert_eq!(user, format!("{name}_clone"));
        assert!(db.can_login(&user, &password).await, "{name}");
        assert!(db.can_login(name, INITIAL).await, "{name}");
    }
    assert_eq!(db.failed_logins(), 0);
}

#[tokio::test]
async fn usernames_of_64_bytes_or_more_are_refused_before_any_connection() {
    let db = Db::start().await;
    for name in ["a".repeat(64), "é".repeat(32), format!("{}🚀", "a".repeat(61))] {
        let harness = Harness::new(&db.secret(&name, INITIAL), |faults| {
            SingleUser::new().with_fault_points(faults)
        });

        let (step, error) = harness.rotate().await.unwrap_err();

        assert_eq!(
            (step, error_type(&error)),
            (Step::CreateSecret, "MalformedSecret"),
            "{name}"
        );
        assert!(error.to_string().contains("username"), "{error}");
        assert!(harness.faults.log().is_empty());
    }
    assert_eq!(db.rotor_sessions(), 0);
}

/// Secrets that must be refused at createSecret, with the expected error type.
fn malformed_current(db: &Db) -> Vec<(Value, &'static str)> {
    let base = db.secret("app", INITIAL);
    let with = |key: &str, value: Value| {
        let mut secret = base.clone();
        secret[key] = value;
        secret
    };
    let mut without_host = base.clone();
    without_host.as_object_mut().unwrap().remove("host");
    vec![
        (with("engine", json!("mysql")), "MalformedSecret"),
        (with("engine", Value::Null), "MalformedSecret"),
        (without_host, "MalformedSecret"),
        (with("port", json!("54x32")), "MalformedSecret"),
        (with("port", json!(70000)), "MalformedSecret"),
        (with("password", json!(12345)), "MalformedSecret"),
        (with("username", json!("")), "MalformedSecret"),
    ]
}

#[tokio::test]
async fn malformed_secrets_get_typed_errors_and_change_nothing() {
    let db = Db::start().await;
    db.create_user("app", INITIAL, "").await;
    for (secret, expected) in malformed_current(&db) {
        let harness = Harness::new(&secret, |faults| SingleUser::new().with_fault_points(faults));

        let (step, error) = harness.rotate().await.unwrap_err();

        assert_eq!(
            (step, error_type(&error)),
            (Step::CreateSecret, expected),
            "{secret}"
        );
        assert!(!error.to_string().contains(INITIAL), "{error}");
        assert!(harness.value(StagingLabel::Pending).await.is_none(), "{secret}");
    }
    assert_eq!(db.rotor_sessions(), 0, "no connection was made");
    assert!(db.can_login("app", INITIAL).await);
}

#[tokio::test]
async fn a_tampered_pending_value_is_refused_before_any_connection() {
    let db = Db::start().await;
    db.create_user("app", INITIAL, "").await;
    db.create_user("victim", INITIAL, "").await;
    let tampered = [
        ("username", json!("victim"), "UsernameChanged"),
        ("host", json!("attacker.example"), "TargetMismatch"),
        ("port", json!(1), "TargetMismatch"),
        ("dbname", json!("template1"), "TargetMismatch"),
        ("engine", json!("oracle"), "MalformedSecret"),
    ];
    for (key, value, expected) in tampered {
        let harness = Harness::new(&db.secret("app", INITIAL), |faults| {
            SingleUser::new().with_fault_points(faults)
        });
        let token = harness.start_rotation();
        let mut pending = db.secret("app", "attacker-chosen-1");
        pending[key] = value;
        harness
            .model()
            .put_secret_value(PutSecretValue {
                secret_id: &harness.arn,
                client_request_token: &token,
                value: &SecretValue::new(pending.to_string()),
                stages: &[StagingLabel::Pending],
                rotation_token: None,
            })
            .await
            .unwrap();

        let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

        assert_eq!(error_type(&error), expected, "{key}");
        assert!(
            harness.faults.log().is_empty(),
            "{key}: no connection before validation"
        );
    }
    assert!(db.can_login("app", INITIAL).await);
    assert!(db.can_login("victim", INITIAL).await);
}

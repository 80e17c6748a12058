//! Single-user rotation against a real MariaDB.

use rotor_core::secrets_manager::{PutSecretValue, VersionSelector};
use rotor_core::{SecretValue, SecretsManager, StagingLabel, Step, StepOutcome};
use rotor_mysql::{Account, SingleUser};
use serde_json::json;

use super::support::{Db, Harness, credentials, error_type};

fn single_user(db: &Db, user: &str, password: &str) -> Harness<SingleUser> {
    let secret = db.secret(user, password);
    Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| secret,
    )
}

#[tokio::test]
async fn a_rotation_changes_the_password_of_the_exact_account_with_no_failed_login_and_no_plaintext_in_the_log()
 {
    let db = Db::start().await;
    // Two accounts named app: the login from 127.0.0.1 matches the more specific one.
    db.create_user("app", "127.0.0.1", "initial-pw").await;
    db.create_user("app", "%", "wildcard-pw").await;
    let wildcard = Account::new("app", "%");
    let wildcard_hash = db.stored_hash(&wildcard).await;
    let harness = single_user(&db, "app", "initial-pw");
    let before = db.login_failures().await;

    harness.rotate().await;

    let after = db.login_failures().await;
    let (user, new_password) = credentials(&harness.current().await);
    assert_eq!(user, "app");
    assert_eq!(before, after, "a healthy rotation fails no login");
    assert!(
        db.logs_in("app", &new_password).await,
        "the new AWSCURRENT logs in"
    );
    assert!(
        !db.logs_in("app", "initial-pw").await,
        "the old password no longer does"
    );
    assert_ne!(
        db.login_failures().await,
        after,
        "the counters do count a refused login"
    );
    assert_eq!(
        credentials(&harness.previous().await).1,
        "initial-pw",
        "AWSPREVIOUS holds the old value"
    );
    assert_eq!(
        db.stored_hash(&wildcard).await,
        wildcard_hash,
        "'app'@'%' is a different account: untouched"
    );
    assert_eq!(
        harness.current().await.get("proxy"),
        Some(&json!({"keep": [1, true]})),
        "unknown keys survive"
    );
    let general_log = db.server.general_log().unwrap();
    assert!(
        general_log.contains("SET PASSWORD FOR 'app'@'127.0.0.1' = '*"),
        "the change is logged, as a hash"
    );
    assert!(
        !general_log.contains(&new_password),
        "the new password never reaches the general log"
    );
}

#[tokio::test]
async fn every_step_run_twice_converges() {
    let db = Db::start().await;
    db.create_user("app", "%", "initial-pw").await;
    let harness = single_user(&db, "app", "initial-pw");
    let token = harness.start_rotation();

    for step in Step::ALL {
        harness.step(&token, step).await.unwrap();
        let again = harness.step(&token, step).await.unwrap();
        if step == Step::FinishSecret {
            assert_eq!(again, StepOutcome::AlreadyCurrent);
        }
    }

    let (_, new_password) = credentials(&harness.current().await);
    assert!(db.logs_in("app", &new_password).await);
    assert!(!db.logs_in("app", "initial-pw").await);
    harness.rotate().await;
    let (_, newer_password) = credentials(&harness.current().await);
    assert!(
        db.logs_in("app", &newer_password).await,
        "a later rotation still works"
    );
}

#[tokio::test]
async fn a_password_set_by_a_cancelled_rotation_is_recovered_from_recent_versions() {
    let db = Db::start().await;
    db.create_user("app", "%", "initial-pw").await;
    let harness = single_user(&db, "app", "initial-pw");
    let cancelled = harness.start_rotation();
    harness.step(&cancelled, Step::CreateSecret).await.unwrap();
    harness.step(&cancelled, Step::SetSecret).await.unwrap();
    // CancelRotateSecret: AWSPENDING leaves the version, which now only an unlabelled version holds.
    assert_eq!(harness.cancel_rotation(), Some(cancelled));

    harness.rotate().await;

    let (_, new_password) = credentials(&harness.current().await);
    assert!(db.logs_in("app", &new_password).await);
    assert_eq!(credentials(&harness.previous().await).1, "initial-pw");
}

#[tokio::test]
async fn test_secret_with_an_empty_pending_version_checks_that_current_logs_in() {
    let db = Db::start().await;
    db.create_user("app", "%", "initial-pw").await;
    let harness = single_user(&db, "app", "initial-pw");
    let token = harness.start_rotation();
    assert!(harness.step(&token, Step::TestSecret).await.is_ok());

    let broken = single_user(&db, "app", "wrong-pw");
    let token = broken.start_rotation();
    let error = broken.step(&token, Step::TestSecret).await.unwrap_err();
    assert_eq!(error_type(&error), "MySqlAuthFailed");
}

#[tokio::test]
async fn malformed_or_mismatched_secrets_are_typed_errors_and_change_nothing() {
    let db = Db::start().await;
    db.create_user("app", "%", "initial-pw").await;

    let wrong_engine = Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        |_| json!({"engine": "postgres", "host": "127.0.0.1", "username": "app", "password": "initial-pw"}),
    );
    let token = wrong_engine.start_rotation();
    let error = wrong_engine.step(&token, Step::CreateSecret).await.unwrap_err();
    assert_eq!(error_type(&error), "MalformedSecret");
    assert!(!wrong_engine.has_pending_value(&token).await, "nothing is stored");

    let not_json = Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        |_| json!("not an object"),
    );
    let token = not_json.start_rotation();
    assert_eq!(
        error_type(&not_json.step(&token, Step::CreateSecret).await.unwrap_err()),
        "MalformedSecret"
    );

    // A pending value that points elsewhere: a rotation never moves a credential to another target.
    for (field, value, expected) in [
        ("host", json!("elsewhere.example"), "TargetMismatch"),
        ("port", json!(1), "TargetMismatch"),
        ("username", json!("root"), "UsernameChanged"),
        ("port", json!("not a port"), "MalformedSecret"),
    ] {
        let harness = single_user(&db, "app", "initial-pw");
        let token = harness.start_rotation();
        let mut pending = db.secret("app", "hijacked-pw");
        pending[field] = value;
        let put = PutSecretValue {
            secret_id: &harness.arn,
            client_request_token: &token,
            value: &SecretValue::new(pending.to_string()),
            stages: &[StagingLabel::Pending],
            rotation_token: None,
        };
        harness.model().put_secret_value(put).await.unwrap();
        let error = harness.step(&token, Step::SetSecret).await.unwrap_err();
        assert_eq!(error_type(&error), expected, "{field}");
        assert!(!error.to_string().contains("hijacked-pw"));
        assert!(
            db.logs_in("app", "initial-pw").await,
            "{field}: the password is unchanged"
        );
    }
}

#[tokio::test]
async fn a_plaintext_server_is_refused_unless_tls_is_explicitly_disabled() {
    let db = Db::start().await;
    db.create_user("app", "%", "initial-pw").await;
    let mut secret = db.secret("app", "initial-pw");
    secret.as_object_mut().unwrap().remove("ssl");
    let harness = Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| secret,
    );
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlTlsUnavailable");
    assert!(db.logs_in("app", "initial-pw").await, "nothing changed");
    let pending = harness.value(VersionSelector::pending(&token)).await;
    assert!(!db.logs_in("app", &credentials(&pending).1).await);
}

#[tokio::test]
async fn a_server_that_never_answers_fails_transiently_within_the_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _silent_server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let secret = json!({"engine": "mysql", "host": "127.0.0.1", "port": port, "username": "app",
        "password": "initial-pw", "ssl": false});
    let harness = Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| secret,
    );
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let started = std::time::Instant::now();
    let event = rotor_core::RotationEvent::new(&harness.arn, &token, Step::SetSecret);
    let deadline = rotor_core::Deadline::after(std::time::Duration::from_secs(1));
    let error = harness.function.invoke(&event, deadline).await.unwrap_err();

    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        rotor_core::Classify::class(&error),
        rotor_core::ErrorClass::Transient,
        "{error}"
    );
}

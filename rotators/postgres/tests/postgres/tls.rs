//! TLS: verify-full by default, plaintext only when the secret opts out, never a silent fallback.

use rotor_core::{StagingLabel, Step, StepOutcome};
use rotor_postgres::{AlternatingUsers, SingleUser};
use rotor_testkit::{PostgresOptions, TestCa};
use serde_json::json;

use super::support::{Db, Harness, error_type, store_master};
use super::versions;

const INITIAL: &str = "initial-Password-1";

/// A scenario of the version matrix ([`versions`]), with an RDS-like master that created `app`.
pub async fn rotations_run_over_verified_tls_with_the_secrets_ca_bundle(major: u32) {
    let Some(db) = versions::start(major, PostgresOptions::new(), true).await else {
        return;
    };
    db.create_rds_master("master", "master-pw").await;
    db.create_user_as("master", "app", INITIAL, "").await;
    let secret = db.secret("app", INITIAL);
    assert!(secret.get("ssl").is_none(), "TLS is the default, not an opt-in");
    let single = Harness::new(&secret, |faults| SingleUser::new().with_fault_points(faults));

    single.rotate().await.unwrap();

    let model = rotor_core::InMemorySecretsManager::new();
    let master_arn = store_master(&model, &db, "master", "master-pw");
    let (_, password) = single.credential(StagingLabel::Current).await;
    let mut secret = db.secret("app", &password);
    secret["masterarn"] = json!(master_arn);
    let alternating = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });
    alternating.rotate().await.unwrap();

    let (user, password) = alternating.credential(StagingLabel::Current).await;
    assert!(db.can_login(&user, &password).await);
    let rotor_lines: Vec<_> = db
        .log()
        .lines()
        .filter(|line| line.contains("connection authorized") && line.contains("rotor-postgres"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        rotor_lines.len(),
        5,
        "2 single-user sessions, 3 alternating-users sessions"
    );
    assert!(
        rotor_lines.iter().all(|line| line.contains("SSL enabled")),
        "{rotor_lines:#?}"
    );
    assert_eq!(db.failed_logins(), 0);
}

#[tokio::test]
async fn a_server_without_tls_is_refused_unless_the_secret_opts_out() {
    let db = Db::start().await;
    db.create_user("app", INITIAL, "").await;
    let mut secret = db.secret("app", INITIAL);
    secret.as_object_mut().unwrap().remove("ssl");
    let harness = Harness::new(&secret, |faults| SingleUser::new().with_fault_points(faults));

    let (step, error) = harness.rotate().await.unwrap_err();

    assert_eq!(
        (step, error_type(&error)),
        (Step::SetSecret, "PostgresTlsUnavailable")
    );
    assert_eq!(db.rotor_sessions(), 0, "no plaintext session was opened");
    assert!(db.can_login("app", INITIAL).await, "nothing changed");

    for opt_out in [json!(false), json!("false"), json!("FALSE")] {
        secret["ssl"] = opt_out.clone();
        let harness = Harness::new(&secret, |faults| SingleUser::new().with_fault_points(faults));
        let token = harness.start_rotation();
        assert_eq!(
            harness.step(&token, Step::TestSecret).await.unwrap(),
            StepOutcome::ConfigurationTested,
            "ssl: {opt_out}"
        );
    }
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused_before_authentication() {
    let db = Db::start_tls().await;
    db.create_user("app", INITIAL, "").await;
    let stranger = TestCa::generate().unwrap();
    let mut secret = db.secret("app", INITIAL);
    secret["ssl_ca"] = json!(stranger.ca_cert_pem());
    let harness = Harness::new(&secret, |faults| SingleUser::new().with_fault_points(faults));

    let (step, error) = harness.rotate().await.unwrap_err();

    assert_eq!(
        (step, error_type(&error)),
        (Step::SetSecret, "PostgresTlsHandshake")
    );
    assert!(error.to_string().contains("invalid peer certificate"), "{error}");
    assert!(
        !db.log().contains("connection authorized: user=app"),
        "no session was opened"
    );
    assert!(db.can_login("app", INITIAL).await, "nothing changed");
}

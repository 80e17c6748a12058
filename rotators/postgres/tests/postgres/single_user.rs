//! Single-user rotation against a real server.

use rotor_core::{StagingLabel, Step, StepOutcome};
use rotor_postgres::SingleUser;
use serde_json::Value;

use rotor_testkit::PostgresOptions;

use super::support::{Db, Harness, field};
use super::versions;

const INITIAL: &str = "initial-Password-1";

async fn app_db() -> (Db, Harness<SingleUser>) {
    let db = Db::start().await;
    db.create_user("app", INITIAL, "").await;
    let harness = Harness::new(&db.secret("app", INITIAL), |faults| {
        SingleUser::new().with_fault_points(faults)
    });
    (db, harness)
}

/// A scenario of the version matrix ([`versions`]).
pub async fn single_user_rotation_changes_the_password_without_failed_logins_or_plaintext(major: u32) {
    let Some(db) = versions::start(major, PostgresOptions::new(), false).await else {
        return;
    };
    db.create_user("app", INITIAL, "").await;
    let harness = Harness::new(&db.secret("app", INITIAL), |faults| {
        SingleUser::new().with_fault_points(faults)
    });

    harness.rotate().await.unwrap();

    let (user, new_password) = harness.credential(StagingLabel::Current).await;
    let (_, previous_password) = harness.credential(StagingLabel::Previous).await;
    assert_eq!(db.failed_logins(), 0, "a healthy rotation fails no login");
    assert_eq!(
        db.rotor_sessions(),
        2,
        "one session for setSecret, one for testSecret"
    );
    let log = db.log();
    assert!(
        !log.contains(&new_password),
        "the new password reached the server log"
    );
    assert!(
        log.contains("PASSWORD 'SCRAM-SHA-256$4096:"),
        "only a verifier is sent"
    );
    assert_eq!(user, "app");
    assert_eq!(previous_password, INITIAL, "AWSPREVIOUS holds the old password");
    assert!(db.can_login("app", &new_password).await, "AWSCURRENT logs in");
    assert!(
        !db.can_login("app", INITIAL).await,
        "the old password no longer works"
    );
    let current = harness.value(StagingLabel::Current).await.unwrap();
    assert_eq!(
        current.get("dbInstanceIdentifier"),
        Some(&Value::from("throwaway")),
        "unknown keys are kept"
    );
    assert_eq!(
        current.get("port"),
        Some(&Value::from(db.server.port().to_string())),
        "value types are kept"
    );
}

#[tokio::test]
async fn each_step_run_twice_converges() {
    let (db, harness) = app_db().await;
    let token = harness.start_rotation();

    for step in Step::ALL {
        harness.step(&token, step).await.unwrap();
        let again = harness.step(&token, step).await.unwrap();
        if step == Step::FinishSecret {
            assert_eq!(again, StepOutcome::AlreadyCurrent);
        }
    }

    let (_, password) = harness.credential(StagingLabel::Current).await;
    assert!(db.can_login("app", &password).await);
    assert_eq!(
        db.failed_logins(),
        1,
        "only the repeated setSecret fails a login: AWSCURRENT, refused once the password changed"
    );
}

#[tokio::test]
async fn set_secret_is_a_no_op_when_pending_password_already_works() {
    let (db, harness) = app_db().await;
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    harness.step(&token, Step::SetSecret).await.unwrap();

    harness.faults.clear_log();
    harness.step(&token, Step::SetSecret).await.unwrap();

    assert_eq!(
        harness.faults.log(),
        ["connect:current", "connect:pending", "SET session"]
    );
    let pending = field(&harness.value(StagingLabel::Pending).await.unwrap(), "password");
    assert!(db.can_login("app", &pending).await);
}

#[tokio::test]
async fn a_password_only_a_cancelled_rotation_knows_is_recovered() {
    let (db, harness) = app_db().await;
    let abandoned = harness.start_rotation();
    harness.step(&abandoned, Step::CreateSecret).await.unwrap();
    harness.step(&abandoned, Step::SetSecret).await.unwrap();
    harness.cancel_rotation();
    assert!(
        !db.can_login("app", INITIAL).await,
        "the database now has the abandoned password"
    );

    harness.rotate().await.unwrap();

    let (_, password) = harness.credential(StagingLabel::Current).await;
    assert!(db.can_login("app", &password).await);
}

#[tokio::test]
async fn set_secret_gives_up_with_a_typed_auth_error_when_nothing_logs_in() {
    let (db, harness) = app_db().await;
    db.psql("ALTER ROLE app PASSWORD 'changed-behind-our-back';")
        .await;

    let (step, error) = harness.rotate().await.unwrap_err();

    assert_eq!(step, Step::SetSecret);
    assert_eq!(super::support::error_type(&error), "NoWorkingCredential");
    assert_eq!(
        rotor_core::Classify::class(&error),
        rotor_core::ErrorClass::AuthFailure
    );
    assert!(
        db.can_login("app", "changed-behind-our-back").await,
        "nothing changed"
    );
}

#[tokio::test]
async fn testing_the_configuration_logs_in_with_awscurrent() {
    let (db, harness) = app_db().await;
    let token = harness.start_rotation();

    let outcome = harness.step(&token, Step::TestSecret).await.unwrap();

    assert_eq!(outcome, StepOutcome::ConfigurationTested);
    assert_eq!(db.rotor_sessions(), 1);
    db.psql("ALTER ROLE app PASSWORD 'another';").await;
    let error = harness.step(&token, Step::TestSecret).await.unwrap_err();
    assert_eq!(super::support::error_type(&error), "PostgresAuthFailed");
}

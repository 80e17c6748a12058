//! Locked accounts: the credential search stops at the first "locked" answer, so a rotation never spends more
//! failed logins against a lockout policy.

use rotor_core::{Classify, ErrorClass, StagingLabel, Step};
use rotor_mysql::SingleUser;

use super::support::{Db, Harness, connects, error_type};

fn single_user(db: &Db, user: &str, password: &str) -> Harness<SingleUser> {
    let secret = db.secret(user, password);
    Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| secret,
    )
}

/// General-log lines of connection attempts by `user` (one per attempt, whatever the outcome).
fn connection_attempts(db: &Db, user: &str) -> usize {
    let needle = format!("Connect\t{user}@");
    db.server.general_log().unwrap().matches(&needle).count()
}

#[tokio::test]
async fn a_locked_account_fails_set_secret_as_locked_after_exactly_one_login() {
    let db = Db::start().await;
    db.create_user("app", "%", "initial-pw").await;
    db.sql("ALTER USER 'app'@'%' ACCOUNT LOCK").await;
    let harness = single_user(&db, "app", "initial-pw");
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    harness.faults.clear_log();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlAccountLocked", "{error}");
    assert_eq!(error.class(), ErrorClass::Permanent);
    assert!(error.to_string().contains("4151"), "{error}");
    assert_eq!(connects(&harness), 1, "no other credential was tried");
    assert_eq!(connection_attempts(&db, "app"), 1);
    db.sql("ALTER USER 'app'@'%' ACCOUNT UNLOCK").await;
    assert!(db.logs_in("app", "initial-pw").await, "nothing changed");
}

#[tokio::test]
async fn an_account_blocked_by_max_password_errors_stops_the_search_at_once() {
    let db = Db::start().await;
    db.create_user("app", "%", "the-live-pw").await;
    db.sql("SET GLOBAL max_password_errors = 1").await;
    // AWSCURRENT went stale; the live password is in AWSPREVIOUS.
    let harness = single_user(&db, "app", "the-live-pw");
    harness
        .put_version(&db.secret("app", "stale-pw"), &[StagingLabel::Current])
        .await;
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    harness.faults.clear_log();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlAccountLocked", "{error}");
    assert!(error.to_string().contains("4150"), "{error}");
    assert_eq!(
        connects(&harness),
        2,
        "AWSCURRENT is refused and blocks the account; AWSPENDING is told so; AWSPREVIOUS is never tried"
    );
    db.sql("FLUSH PRIVILEGES").await;
    assert!(db.logs_in("app", "the-live-pw").await, "nothing changed");
}

#[tokio::test]
async fn alternating_users_stop_at_a_locked_current_user_before_the_master_logs_in() {
    let db = Db::start().await;
    db.create_user("app", "127.0.0.1", "initial-pw").await;
    db.sql("ALTER USER 'app'@'127.0.0.1' ACCOUNT LOCK").await;
    let harness = super::alternating::alternating(&db, "app", "initial-pw");
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    harness.faults.clear_log();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlAccountLocked", "{error}");
    assert_eq!(connects(&harness), 1, "the master never logged in");
    assert!(
        !db.exists(&rotor_mysql::Account::new("app_clone", "127.0.0.1"))
            .await
    );
}

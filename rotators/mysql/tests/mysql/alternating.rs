//! Alternating-users rotation against a real MariaDB, with the admin account as the master.

use rotor_core::{SecretValue, Step, StepOutcome};
use rotor_mysql::{Account, AlternatingUsers};
use serde_json::json;

use super::support::{Db, Harness, credentials, error_type};

pub fn alternating(db: &Db, user: &str, password: &str) -> Harness<AlternatingUsers> {
    alternating_with(db, user, password, AlternatingUsers::new())
}

pub fn alternating_with(
    db: &Db,
    user: &str,
    password: &str,
    rotator: AlternatingUsers,
) -> Harness<AlternatingUsers> {
    let (mut secret, master) = (db.secret(user, password), db.master_secret());
    Harness::new(
        |faults| rotator.with_fault_points(faults),
        move |model| {
            let master_arn = model
                .create_secret("master", &SecretValue::new(master.to_string()))
                .unwrap();
            secret["masterarn"] = master_arn.into();
            secret
        },
    )
}

/// The database, table and role the originals' grants refer to. The master gets ADMIN OPTION on the role,
/// without which MariaDB refuses to grant it on.
pub async fn grant_fixture(db: &Db) {
    db.sql(
        "CREATE DATABASE shop; CREATE TABLE shop.t (a INT, b INT);
         CREATE ROLE reader; GRANT SELECT ON shop.* TO reader;
         GRANT reader TO 'admin'@'%' WITH ADMIN OPTION;",
    )
    .await;
}

/// `'user'@'127.0.0.1'` (a non-'%' host) with password `initial-pw` and table, column, role and option grants.
pub async fn original_named(db: &Db, user: &str) -> Account {
    let original = Account::new(user, "127.0.0.1");
    db.create_user(user, "127.0.0.1", "initial-pw").await;
    let account = rotor_mysql::Quoting::DEFAULT.account(&original);
    db.sql(&format!(
        "GRANT SELECT, INSERT ON shop.* TO {account} WITH GRANT OPTION;
         GRANT UPDATE (a, b) ON shop.t TO {account};
         GRANT reader TO {account}; SET DEFAULT ROLE reader FOR {account};
         ALTER USER {account} WITH MAX_USER_CONNECTIONS 7;"
    ))
    .await;
    original
}

async fn original_with_grants(db: &Db) -> Account {
    grant_fixture(db).await;
    original_named(db, "app").await
}

#[tokio::test]
async fn the_clone_is_created_at_the_originals_host_with_all_its_grants_and_both_users_keep_working() {
    let db = Db::start().await;
    let original = original_with_grants(&db).await;
    let clone = original.with_user("app_clone");
    let harness = alternating(&db, "app", "initial-pw");
    let before = db.login_failures().await;

    harness.rotate().await;

    assert_eq!(
        db.login_failures().await,
        before,
        "a healthy rotation fails no login"
    );
    let (user, clone_password) = credentials(&harness.current().await);
    assert_eq!(user, "app_clone");
    assert!(db.exists(&clone).await, "the clone lives at the original's host");
    assert!(
        !db.exists(&Account::new("app_clone", "%")).await,
        "not at an assumed '%'"
    );
    assert_eq!(
        db.grants(&clone).await,
        db.grants(&original).await,
        "grants, options, roles and default role"
    );
    assert!(
        db.grants(&clone)
            .await
            .iter()
            .any(|grant| grant.contains("WITH GRANT OPTION"))
    );
    assert!(
        db.grants(&clone)
            .await
            .iter()
            .any(|grant| grant.contains("MAX_USER_CONNECTIONS 7"))
    );
    assert!(
        db.logs_in("app_clone", &clone_password).await,
        "the new AWSCURRENT logs in"
    );
    assert!(
        db.logs_in("app", "initial-pw").await,
        "AWSPREVIOUS's user still logs in"
    );
    assert_eq!(
        credentials(&harness.previous().await),
        ("app".to_owned(), "initial-pw".to_owned())
    );
    let general_log = db.server.general_log().unwrap();
    assert!(general_log.contains("CREATE USER 'app_clone'@'127.0.0.1' IDENTIFIED BY PASSWORD '*"));
    assert!(
        !general_log.contains(&clone_password),
        "the new password never reaches the general log"
    );

    // The second rotation gives the original a new password; the clone keeps working meanwhile.
    let before = db.login_failures().await;
    harness.rotate().await;
    assert_eq!(db.login_failures().await, before);
    let (user, original_password) = credentials(&harness.current().await);
    assert_eq!(user, "app");
    assert!(db.logs_in("app", &original_password).await);
    assert!(!db.logs_in("app", "initial-pw").await);
    assert!(db.logs_in("app_clone", &clone_password).await);
    assert!(!db.server.general_log().unwrap().contains(&original_password));
}

#[tokio::test]
async fn grants_the_original_gains_or_loses_reach_the_clone_at_the_next_rotation() {
    let db = Db::start().await;
    let original = original_with_grants(&db).await;
    let clone = original.with_user("app_clone");
    let harness = alternating(&db, "app", "initial-pw");
    harness.rotate().await;

    db.sql(
        "REVOKE INSERT ON shop.* FROM 'app'@'127.0.0.1';
         REVOKE GRANT OPTION ON shop.* FROM 'app'@'127.0.0.1';
         REVOKE reader FROM 'app'@'127.0.0.1';
         GRANT DELETE ON shop.t TO 'app'@'127.0.0.1';
         ALTER USER 'app'@'127.0.0.1' WITH MAX_USER_CONNECTIONS 3;",
    )
    .await;
    // The clone is AWSCURRENT now; the next rotation changes the original's password and re-syncs the clone.
    harness.rotate().await;

    let grants = db.grants(&clone).await;
    assert_eq!(grants, db.grants(&original).await);
    assert!(
        !grants
            .iter()
            .any(|grant| grant.contains("INSERT") || grant.starts_with("GRANT `reader`")),
        "{grants:?}"
    );
    assert!(
        !grants.iter().any(|grant| grant.contains("GRANT OPTION")),
        "{grants:?}"
    );
    assert!(
        grants.iter().any(|grant| grant.contains("DELETE ON `shop`.`t`")),
        "{grants:?}"
    );
    assert!(
        grants
            .iter()
            .any(|grant| grant.contains("MAX_USER_CONNECTIONS 3")),
        "{grants:?}"
    );
}

#[tokio::test]
async fn every_step_run_twice_converges_and_the_second_set_secret_changes_nothing() {
    let db = Db::start().await;
    original_with_grants(&db).await;
    let harness = alternating(&db, "app", "initial-pw");
    let token = harness.start_rotation();

    for step in Step::ALL {
        harness.faults.clear_log();
        harness.step(&token, step).await.unwrap();
        harness.faults.clear_log();
        let again = harness.step(&token, step).await.unwrap();
        if step == Step::SetSecret {
            let writes: Vec<String> = harness
                .faults
                .log()
                .into_iter()
                .filter(|label| {
                    !label.starts_with("connect")
                        && !label.starts_with("SELECT")
                        && !label.starts_with("SHOW")
                })
                .collect();
            assert!(writes.is_empty(), "a second setSecret only reads: {writes:?}");
        }
        if step == Step::FinishSecret {
            assert_eq!(again, StepOutcome::AlreadyCurrent);
        }
    }

    let (user, password) = credentials(&harness.current().await);
    assert!(db.logs_in(&user, &password).await);
}

#[tokio::test]
async fn an_unrelated_account_with_the_clone_name_is_never_taken_over() {
    let db = Db::start().await;
    original_with_grants(&db).await;
    db.create_user("app_clone", "127.0.0.1", "someone-elses-pw").await;
    let squatter = Account::new("app_clone", "127.0.0.1");
    let hash = db.stored_hash(&squatter).await;
    let harness = alternating(&db, "app", "initial-pw");
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlNotOurAlternate");
    assert_eq!(db.stored_hash(&squatter).await, hash, "its password is untouched");
    assert_eq!(db.grants(&squatter).await.len(), 1, "and it gained no grant");

    let adopting = alternating_with(
        &db,
        "app",
        "initial-pw",
        AlternatingUsers::with_plan(rotor_mysql::MySqlAlternatePassword::new().adopt_existing_clone(true)),
    );
    adopting.rotate().await;
    assert_ne!(
        db.stored_hash(&squatter).await,
        hash,
        "adopted only when explicitly allowed"
    );
}

#[tokio::test]
async fn current_must_log_in_before_the_master_acts() {
    let db = Db::start().await;
    original_with_grants(&db).await;
    let harness = alternating(&db, "app", "not-the-password");
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlCurrentRefused");
    assert!(!db.exists(&Account::new("app_clone", "127.0.0.1")).await);
}

#[tokio::test]
async fn over_long_clone_names_are_refused_before_anything_is_stored() {
    let db = Db::start().await;
    let long_name = "u".repeat(75);
    db.create_user(&long_name, "%", "initial-pw").await;
    let harness = alternating(&db, &long_name, "initial-pw");
    let token = harness.start_rotation();
    let error = harness.step(&token, Step::CreateSecret).await.unwrap_err();
    assert_eq!(
        error_type(&error),
        "MySqlUsernameTooLong",
        "75 + 6 > MariaDB's 80"
    );
    assert!(!harness.has_pending_value(&token).await);

    db.create_user("application_user", "%", "initial-pw").await;
    let limited = alternating_with(
        &db,
        "application_user",
        "initial-pw",
        AlternatingUsers::new().username_limit(Some(16)),
    );
    let token = limited.start_rotation();
    let error = limited.step(&token, Step::CreateSecret).await.unwrap_err();
    assert_eq!(
        error_type(&error),
        "MySqlUsernameTooLong",
        "USERNAME_CHARACTER_LIMIT is honoured"
    );
    assert!(!limited.has_pending_value(&token).await);
}

#[tokio::test]
async fn a_master_in_the_middle_of_its_own_rotation_is_reached_through_its_pending_value() {
    use rotor_core::SecretsManager;
    use rotor_core::secrets_manager::PutSecretValue;

    let db = Db::start().await;
    original_with_grants(&db).await;
    let (mut secret, master) = (db.secret("app", "initial-pw"), db.master_secret());
    let mut stale_master = master.clone();
    stale_master["password"] = "the-masters-old-pw".into();
    let mut master_arn = String::new();
    let harness = Harness::new(
        |faults| AlternatingUsers::new().with_fault_points(faults),
        |model| {
            master_arn = model
                .create_secret("master", &SecretValue::new(stale_master.to_string()))
                .unwrap();
            secret["masterarn"] = master_arn.clone().into();
            secret
        },
    );
    // The master's setSecret has run: the server has AWSPENDING's password, AWSCURRENT is stale.
    let master_token = harness.model().start_rotation(&master_arn).unwrap();
    let put = PutSecretValue {
        secret_id: &master_arn,
        client_request_token: &master_token,
        value: &SecretValue::new(master.to_string()),
        stages: &[rotor_core::StagingLabel::Pending],
        rotation_token: None,
    };
    harness.model().put_secret_value(put).await.unwrap();

    harness.rotate().await;

    let (user, password) = credentials(&harness.current().await);
    assert_eq!(user, "app_clone");
    assert!(db.logs_in(&user, &password).await);
}

/// Decided once in rotor-core's kit for every engine: createSecret refuses an AWSCURRENT without
/// `masterarn`, so nothing is stored for a rotation whose setSecret could never run.
#[tokio::test]
async fn a_secret_without_masterarn_is_refused_at_create_secret_and_nothing_is_stored() {
    let db = Db::start().await;
    db.create_user("app", "%", "initial-pw").await;
    let secret = db.secret("app", "initial-pw");
    let harness = Harness::new(
        |faults| AlternatingUsers::new().with_fault_points(faults),
        move |_| secret,
    );
    let token = harness.start_rotation();

    let error = harness.step(&token, Step::CreateSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MalformedSecret", "{error}");
    assert!(error.to_string().contains("masterarn"), "{error}");
    assert!(!harness.has_pending_value(&token).await);
    assert!(harness.faults.log().is_empty(), "no session was opened");
}

/// The configuration test (testSecret without a pending value) logs in as the master as well.
#[tokio::test]
async fn the_configuration_test_refuses_a_master_secret_that_does_not_log_in() {
    let db = Db::start().await;
    db.create_user("app", "%", "initial-pw").await;
    let mut master = db.master_secret();
    master["password"] = json!("not-the-admin-password");
    let mut secret = db.secret("app", "initial-pw");
    let harness = Harness::new(
        |faults| AlternatingUsers::new().with_fault_points(faults),
        move |model| {
            let arn = model
                .create_secret("master", &SecretValue::new(master.to_string()))
                .unwrap();
            secret["masterarn"] = arn.into();
            secret
        },
    );
    let token = harness.start_rotation();

    let error = harness.step(&token, Step::TestSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MasterRefused", "{error}");
    assert!(db.logs_in("app", "initial-pw").await, "nothing changed");
}

/// The configuration test (RotateSecret with `RotateImmediately=false`) proves the master holds
/// the global privileges every rotation uses: a master without `GRANT OPTION` fails it, with the
/// privilege named, and passes once it has it; nothing changes either way.
#[tokio::test]
async fn the_configuration_test_refuses_a_master_without_the_grant_option() {
    let db = Db::start().await;
    db.create_user("app", "%", "initial-pw").await;
    db.create_user("weak", "%", "weak-Password-1").await;
    db.sql("GRANT CREATE USER, SELECT ON *.* TO 'weak'@'%';").await;
    let master = db.secret("weak", "weak-Password-1");
    let mut secret = db.secret("app", "initial-pw");
    let harness = Harness::new(
        |faults| AlternatingUsers::new().with_fault_points(faults),
        move |model| {
            let arn = model
                .create_secret("weak-master", &SecretValue::new(master.to_string()))
                .unwrap();
            secret["masterarn"] = arn.into();
            secret
        },
    );

    let error = harness.test_configuration().await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlMasterLacksPrivilege", "{error}");
    assert!(error.to_string().contains("GRANT OPTION ON *.*"), "{error}");
    assert!(
        !db.logs_in("app_clone", "initial-pw").await,
        "no clone was created"
    );
    db.sql("GRANT CREATE USER, SELECT ON *.* TO 'weak'@'%' WITH GRANT OPTION;")
        .await;
    assert_eq!(
        harness.test_configuration().await.unwrap(),
        StepOutcome::ConfigurationTested
    );
    assert!(db.logs_in("app", "initial-pw").await, "nothing changed");
}

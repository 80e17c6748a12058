//! What an RDS-like master (CREATEROLE, not a superuser) may do to roles it did not create.
//!
//! PostgreSQL 16 and later: granting membership in a role needs ADMIN OPTION on it, and setting
//! another role's password needs CREATEROLE and ADMIN OPTION on it; a CREATEROLE role gets ADMIN
//! OPTION only on the roles it creates. Up to 15, CREATEROLE alone manages every role but
//! superusers. Each scenario runs on every version of the matrix ([`versions`]) and expects
//! that version's outcome: a typed refusal before any change, or a working rotation.

use rotor_core::{InMemorySecretsManager, StagingLabel, Step};
use rotor_postgres::AlternatingUsers;
use rotor_testkit::PostgresOptions;
use serde_json::json;

use super::support::{Db, Harness, error_type, store_master};
use super::versions;

const INITIAL: &str = "initial-Password-1";
const MASTER: &str = "master-Password-1";
const THEIRS: &str = "their-Password-1";

/// A server with an RDS-like master, and `setup` run as the superuser.
async fn server(major: u32, setup: &str) -> Option<(Db, Harness<AlternatingUsers>)> {
    let db = versions::start(major, PostgresOptions::new(), false).await?;
    db.create_rds_master("master", MASTER).await;
    db.psql(setup).await;
    let model = InMemorySecretsManager::new();
    let master_arn = store_master(&model, &db, "master", MASTER);
    let mut secret = db.secret("app", INITIAL);
    secret["masterarn"] = json!(master_arn);
    let harness = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });
    Some((db, harness))
}

/// `app` created by the master, as on RDS.
async fn app_by_master(db: &Db) {
    db.create_user_as("master", "app", INITIAL, "").await;
}

/// Checks that setSecret failed with the master's missing privilege on `role`, and that the
/// database is as it was: no clone, `app` still logs in with its password, and no statement
/// after the checks was even sent.
async fn assert_refused_before_any_change(
    db: &Db,
    harness: &Harness<AlternatingUsers>,
    result: Result<String, (Step, rotor_core::RotationError)>,
    action: &str,
    role: &str,
) {
    let (step, error) = result.unwrap_err();
    assert_eq!(
        (step, error_type(&error)),
        (Step::SetSecret, "PostgresMasterLacksPrivilege")
    );
    let message = error.to_string();
    assert!(
        message.contains(&format!("may not {action} role {role:?}")) && message.contains("ADMIN OPTION"),
        "{message}"
    );
    assert!(
        !db.log().contains("CREATE ROLE \"app_clone\""),
        "nothing was attempted"
    );
    assert!(
        !db.log().contains("ALTER ROLE \"app_clone\" PASSWORD"),
        "nothing was attempted"
    );
    assert!(db.can_login("app", INITIAL).await, "app is unchanged");
    assert_eq!(
        harness.credential(StagingLabel::Current).await,
        ("app".to_owned(), INITIAL.to_owned()),
        "AWSCURRENT did not move"
    );
}

/// testSecret's configuration test (RotateSecret with `RotateImmediately=false`): `None` when it
/// passes, otherwise its error type. It must foresee each refusal the checks before the first
/// change foresee.
async fn configuration_test(harness: &Harness<AlternatingUsers>) -> Option<&'static str> {
    harness
        .test_configuration()
        .await
        .err()
        .map(|error| error_type(&error))
}

/// What the configuration test answers on `major` for a master that PostgreSQL 16 narrowed.
fn foreseen(major: u32) -> Option<&'static str> {
    (major >= 16).then_some("PostgresMasterLacksPrivilege")
}

/// `app` was created by the superuser, so a PostgreSQL 16+ master holds no ADMIN OPTION on it
/// and may not make the clone a member of it.
pub async fn an_original_the_master_did_not_create_is_refused_before_any_change(major: u32) {
    let setup = format!("CREATE ROLE app LOGIN PASSWORD '{INITIAL}';");
    let Some((db, harness)) = server(major, &setup).await else {
        return;
    };
    assert_eq!(configuration_test(&harness).await, foreseen(major));

    let token = harness.start_rotation();
    let result = harness.run_steps(&token).await.map(|()| token.clone());

    if major >= 16 {
        assert_refused_before_any_change(&db, &harness, result, "grant membership in", "app").await;
        assert!(!db.role_exists("app_clone").await);
        // The remedy the crate documentation gives, without handing the master app's privileges.
        db.psql("GRANT app TO master WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;")
            .await;
        harness.run_steps(&token).await.unwrap();
        assert_eq!(
            configuration_test(&harness).await,
            None,
            "the next rotation sets app's password, which ADMIN OPTION allows"
        );
        let (user, password) = harness.credential(StagingLabel::Current).await;
        assert_eq!(user, "app_clone");
        assert!(db.can_login(&user, &password).await, "the retry converges");
        harness.rotate().await.unwrap();
        let (user, password) = harness.credential(StagingLabel::Current).await;
        assert_eq!(user, "app");
        assert!(
            db.can_login(&user, &password).await,
            "and app's password is set next"
        );
    } else {
        result.unwrap();
        let (user, password) = harness.credential(StagingLabel::Current).await;
        assert_eq!(user, "app_clone");
        assert!(
            db.can_login(&user, &password).await,
            "CREATEROLE suffices before 16"
        );
    }
}

/// `app` belongs to a group the superuser created, so a PostgreSQL 16+ master may not copy
/// that membership to the clone.
pub async fn a_group_the_master_cannot_grant_is_refused_before_any_change(major: u32) {
    let Some((db, harness)) = server(major, "CREATE ROLE legacy NOLOGIN;").await else {
        return;
    };
    app_by_master(&db).await;
    db.psql("GRANT legacy TO app;").await;
    assert_eq!(configuration_test(&harness).await, foreseen(major));

    let result = harness.rotate().await;

    if major >= 16 {
        assert_refused_before_any_change(&db, &harness, result, "grant membership in", "legacy").await;
        assert!(!db.role_exists("app_clone").await);
    } else {
        result.unwrap();
        assert_eq!(
            db.psql("SELECT pg_has_role('app_clone', 'legacy', 'member');")
                .await
                .trim(),
            "t",
            "the membership is copied"
        );
    }
}

/// A clone the superuser created (a member of `app`, no more rights than it) passes the
/// adoption rule, but a PostgreSQL 16+ master may not set its password.
pub async fn a_clone_the_master_did_not_create_is_refused_before_any_change(major: u32) {
    let Some((db, harness)) = server(major, "").await else {
        return;
    };
    app_by_master(&db).await;
    db.psql(&format!(
        "CREATE ROLE app_clone LOGIN PASSWORD '{THEIRS}'; GRANT app TO app_clone;"
    ))
    .await;
    assert_eq!(configuration_test(&harness).await, foreseen(major));

    let result = harness.rotate().await;

    if major >= 16 {
        assert_refused_before_any_change(&db, &harness, result, "set the password of", "app_clone").await;
        assert!(
            db.can_login("app_clone", THEIRS).await,
            "its password is unchanged"
        );
    } else {
        result.unwrap();
        let (user, password) = harness.credential(StagingLabel::Current).await;
        assert_eq!(user, "app_clone");
        assert!(db.can_login(&user, &password).await);
        assert!(!db.can_login("app_clone", THEIRS).await);
    }
}

/// A refusal the checks do not foresee (a role-level setting of a superuser-only parameter,
/// which the master may not set) comes after `CREATE ROLE`: the transaction rolls back, so the
/// clone that was created is gone again, and the error is typed.
pub async fn a_refusal_after_create_role_rolls_the_clone_back(major: u32) {
    let Some((db, harness)) = server(major, "").await else {
        return;
    };
    app_by_master(&db).await;
    db.psql("ALTER ROLE app SET log_statement = 'all';").await;
    assert_eq!(
        configuration_test(&harness).await,
        None,
        "a parameter's privilege is not foreseen: the rotation's rollback covers it"
    );

    let token = harness.start_rotation();
    let (step, error) = harness.run_steps(&token).await.unwrap_err();

    assert_eq!(
        (step, error_type(&error)),
        (Step::SetSecret, "PostgresMasterLacksPrivilege")
    );
    assert!(
        error
            .to_string()
            .contains("may not copy the role-level settings to role \"app_clone\""),
        "{error}"
    );
    assert!(
        db.log().contains("CREATE ROLE \"app_clone\""),
        "the clone was created in the transaction"
    );
    assert!(!db.role_exists("app_clone").await, "and rolled back");
    assert!(db.can_login("app", INITIAL).await);

    db.psql("ALTER ROLE app RESET log_statement;").await;
    harness.run_steps(&token).await.unwrap();
    let (user, password) = harness.credential(StagingLabel::Current).await;
    assert!(
        db.can_login(&user, &password).await,
        "Secrets Manager's retry after the fix converges"
    );
}

/// A master that lost CREATEROLE may neither create the clone nor set passwords, on every
/// version: the configuration test says so before a rotation starts, and the rotation itself is
/// refused before any change.
pub async fn a_master_without_createrole_fails_the_configuration_test(major: u32) {
    let Some((db, harness)) = server(major, "").await else {
        return;
    };
    app_by_master(&db).await;
    db.psql("ALTER ROLE master NOCREATEROLE;").await;

    assert_eq!(
        configuration_test(&harness).await,
        Some("PostgresMasterLacksPrivilege")
    );
    assert_eq!(
        harness
            .labels()
            .await
            .values()
            .flatten()
            .filter(|label| *label == "AWSPENDING")
            .count(),
        0,
        "the configuration test leaves no AWSPENDING behind"
    );
    let (step, error) = harness.rotate().await.unwrap_err();
    assert_eq!(
        (step, error_type(&error)),
        (Step::SetSecret, "PostgresMasterLacksPrivilege")
    );
    assert!(!db.role_exists("app_clone").await, "nothing was created");
}

//! Alternating-users rotation against a real server, with an RDS-like master (CREATEROLE, not a
//! superuser) that created the application's roles, as on RDS.

use rotor_core::secrets_manager::PutSecretValue;
use rotor_core::{InMemorySecretsManager, SecretValue, SecretsManager, StagingLabel, Step, StepOutcome};
use rotor_postgres::AlternatingUsers;
use rotor_testkit::PostgresOptions;
use serde_json::json;

use super::support::{Db, Harness, error_type, store_master};
use super::versions;

const INITIAL: &str = "initial-Password-1";
const MASTER: &str = "master-Password-1";

/// A server with an RDS-like `master` and `app`, which has attributes, a group, settings and a
/// table worth copying; and a harness whose secret names `app` and the master secret.
async fn app_db() -> (Db, Harness<AlternatingUsers>) {
    let db = Db::start().await;
    let harness = set_up_app(&db).await;
    (db, harness)
}

/// [`app_db`] on PostgreSQL `major`, or `None` when it is not installed and not required.
pub async fn app_db_on(major: u32) -> Option<(Db, Harness<AlternatingUsers>)> {
    let db = versions::start(major, PostgresOptions::new(), false).await?;
    let harness = set_up_app(&db).await;
    Some((db, harness))
}

/// The roles of [`app_db`]: `master` created `app` and its group `readers`.
async fn set_up_app(db: &Db) -> Harness<AlternatingUsers> {
    db.create_rds_master("master", MASTER).await;
    db.create_user_as("master", "app", INITIAL, "CREATEDB CONNECTION LIMIT 7")
        .await;
    db.psql_as("master", "CREATE ROLE readers NOLOGIN; GRANT readers TO app;")
        .await;
    db.psql(
        "ALTER ROLE app SET search_path = \"$user\", public, \"we ird\";
         ALTER ROLE app IN DATABASE postgres SET statement_timeout = '5s';
         CREATE TABLE app_data (x int);
         INSERT INTO app_data VALUES (42);
         ALTER TABLE app_data OWNER TO app;",
    )
    .await;
    harness_for(db, "app", INITIAL, MASTER)
}

fn harness_for(db: &Db, user: &str, password: &str, master_password: &str) -> Harness<AlternatingUsers> {
    let model = InMemorySecretsManager::new();
    let master_arn = store_master(&model, db, "master", master_password);
    let mut secret = db.secret(user, password);
    secret["masterarn"] = json!(master_arn);
    Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    })
}

/// A scenario of the version matrix ([`versions`]): three rotations, so the master creates the
/// clone, then sets the original's password, then the clone's.
pub async fn alternating_rotation_creates_the_clone_and_both_users_work(major: u32) {
    let Some((db, harness)) = app_db_on(major).await else {
        return;
    };
    if major >= 16 {
        db.psql_as(
            "master",
            "CREATE ROLE auditors NOLOGIN; GRANT auditors TO app WITH INHERIT FALSE, SET FALSE;",
        )
        .await;
    }

    harness.rotate().await.unwrap();

    let (clone, clone_password) = harness.credential(StagingLabel::Current).await;
    let (original, original_password) = harness.credential(StagingLabel::Previous).await;
    assert_eq!(
        db.failed_logins(),
        0,
        "no probe login with a user that does not exist yet"
    );
    assert_eq!(db.rotor_sessions(), 3, "proof of AWSCURRENT, master, testSecret");
    assert!(
        !db.log().contains(&clone_password),
        "the new password reached the server log"
    );
    assert_eq!((clone.as_str(), original.as_str()), ("app_clone", "app"));
    assert_eq!(original_password, INITIAL);
    assert!(db.can_login("app_clone", &clone_password).await);
    assert!(
        db.can_login("app", INITIAL).await,
        "the previous user keeps working"
    );

    let copied = db
        .psql(
            "SELECT rolcreatedb, rolconnlimit, rolinherit,
                    pg_has_role('app_clone', 'app', 'member'),
                    (SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                      WHERE m.member = r.oid AND g.rolname = 'readers'),
                    shobj_description(oid, 'pg_authid') LIKE 'rotor-postgres: alternate login of role app%'
               FROM pg_roles r WHERE rolname = 'app_clone';",
        )
        .await;
    assert_eq!(copied.trim(), "t|7|t|t|1|t");
    if major >= 16 {
        let options = "SELECT admin_option, inherit_option, set_option FROM pg_auth_members m
                         JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
                        WHERE g.rolname = 'auditors' AND r.rolname = '{}';";
        assert_eq!(
            db.psql(&options.replace("{}", "app_clone")).await.trim(),
            "f|f|f",
            "a membership is copied with its INHERIT and SET options"
        );
    }
    let settings =
        "SELECT setdatabase, setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
                    WHERE r.rolname = '{}' ORDER BY setdatabase;";
    assert_eq!(
        db.psql(&settings.replace("{}", "app_clone")).await,
        db.psql(&settings.replace("{}", "app")).await,
        "role-level settings are copied, list settings element by element"
    );
    let client = db.connect("app_clone", &clone_password).await.unwrap();
    let row = client.query_one("SELECT x FROM app_data", &[]).await.unwrap();
    assert_eq!(
        row.get::<_, i32>(0),
        42,
        "the clone uses the original's objects through membership"
    );

    harness.rotate().await.unwrap();

    let (back, new_password) = harness.credential(StagingLabel::Current).await;
    assert_eq!(back, "app");
    assert_eq!(
        harness.credential(StagingLabel::Previous).await,
        (clone, clone_password.clone())
    );
    assert_eq!(db.failed_logins(), 0);
    assert!(db.can_login("app", &new_password).await);
    assert!(db.can_login("app_clone", &clone_password).await);
    assert!(!db.can_login("app", INITIAL).await);
    let failed_so_far = db.failed_logins();

    harness.rotate().await.unwrap();

    let (clone_again, newest) = harness.credential(StagingLabel::Current).await;
    assert_eq!(
        db.failed_logins(),
        failed_so_far,
        "the third rotation fails no login either"
    );
    assert_eq!(clone_again, "app_clone");
    assert!(db.can_login("app_clone", &newest).await);
    assert!(db.can_login("app", &new_password).await);
    assert!(!db.can_login("app_clone", &clone_password).await);
}

#[tokio::test]
async fn each_step_run_twice_converges() {
    let (db, harness) = app_db().await;
    for _ in 0..2 {
        let token = harness.start_rotation();
        for step in Step::ALL {
            harness.step(&token, step).await.unwrap();
            let again = harness.step(&token, step).await.unwrap();
            if step == Step::FinishSecret {
                assert_eq!(again, StepOutcome::AlreadyCurrent);
            }
        }
        let (user, password) = harness.credential(StagingLabel::Current).await;
        assert!(db.can_login(&user, &password).await);
    }
    assert_eq!(
        db.failed_logins(),
        0,
        "repeating setSecret re-applies the verifier as the master"
    );
}

/// A scenario of the version matrix ([`versions`]).
pub async fn an_existing_role_that_is_not_provably_the_clone_is_never_taken_over(major: u32) {
    let cases = [
        (
            "CREATE ROLE app_clone LOGIN PASSWORD 'theirs';",
            "not a member of the original",
        ),
        (
            "CREATE ROLE app_clone LOGIN CREATEROLE PASSWORD 'theirs'; GRANT app TO app_clone;",
            "attributes",
        ),
        (
            "CREATE ROLE admins NOLOGIN; CREATE ROLE app_clone LOGIN PASSWORD 'theirs';
             GRANT app TO app_clone; GRANT admins TO app_clone;",
            "member of roles",
        ),
    ];
    for (setup, reason) in cases {
        let Some((db, harness)) = app_db_on(major).await else {
            return;
        };
        db.psql(setup).await;

        let (step, error) = harness.rotate().await.unwrap_err();

        assert_eq!(
            (step, error_type(&error)),
            (Step::SetSecret, "PostgresNotOurAlternate")
        );
        assert!(error.to_string().contains(reason), "{error}");
        assert!(
            db.can_login("app_clone", "theirs").await,
            "its password is unchanged"
        );
    }
}

#[tokio::test]
async fn a_secret_whose_current_credential_fails_cannot_make_the_master_act() {
    let (db, harness) = app_db().await;
    db.psql("ALTER ROLE app PASSWORD 'changed-behind-our-back';")
        .await;

    let (step, error) = harness.rotate().await.unwrap_err();

    assert_eq!(
        (step, error_type(&error)),
        (Step::SetSecret, "PostgresCurrentRefused")
    );
    assert_eq!(
        db.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'app_clone';")
            .await
            .trim(),
        "0"
    );
}

#[tokio::test]
async fn the_masters_pending_value_is_used_when_its_current_value_is_refused() {
    let db = Db::start().await;
    db.create_rds_master("master", MASTER).await;
    db.create_user("app", INITIAL, "").await;
    let harness = harness_for(&db, "app", INITIAL, "stale-master-password");
    let master_arn = harness.model().secret_arns()[0].clone();
    let master_token = harness.model().start_rotation(&master_arn).unwrap();
    harness
        .model()
        .put_secret_value(PutSecretValue {
            secret_id: &master_arn,
            client_request_token: &master_token,
            value: &SecretValue::new(db.secret("master", MASTER).to_string()),
            stages: &[StagingLabel::Pending],
            rotation_token: None,
        })
        .await
        .unwrap();

    harness.rotate().await.unwrap();

    let (user, password) = harness.credential(StagingLabel::Current).await;
    assert!(db.can_login(&user, &password).await);
    assert_eq!(db.failed_logins(), 1, "only the master's stale AWSCURRENT");
}

#[tokio::test]
async fn a_master_secret_for_another_host_is_refused() {
    let db = Db::start().await;
    db.create_rds_master("master", MASTER).await;
    db.create_user("app", INITIAL, "").await;
    let model = InMemorySecretsManager::new();
    let mut master = db.secret("master", MASTER);
    master["host"] = json!("elsewhere.example");
    let master_arn = model
        .create_secret("master", &SecretValue::new(master.to_string()))
        .unwrap();
    let mut secret = db.secret("app", INITIAL);
    secret["masterarn"] = json!(master_arn);
    let harness = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });

    let (step, error) = harness.rotate().await.unwrap_err();

    assert_eq!((step, error_type(&error)), (Step::SetSecret, "TargetMismatch"));
    assert!(
        error
            .to_string()
            .contains("the master secret and AWSCURRENT differ in host"),
        "{error}"
    );
    assert!(!harness.faults.log().iter().any(|label| label == "connect:master"));
}

#[tokio::test]
async fn a_username_too_long_for_its_clone_is_refused_at_create_secret() {
    let db = Db::start().await;
    let long = "a".repeat(58);
    db.create_rds_master("master", MASTER).await;
    db.create_user(&long, INITIAL, "").await;
    let harness = harness_for(&db, &long, INITIAL, MASTER);

    let (step, error) = harness.rotate().await.unwrap_err();

    assert_eq!(
        (step, error_type(&error)),
        (Step::CreateSecret, "UsernameTooLong")
    );
    assert!(
        harness.value(StagingLabel::Pending).await.is_none(),
        "no pending value stored"
    );
    assert!(harness.faults.log().is_empty(), "no database contact");
}

/// Decided once in rotor-core's kit for every engine: the configuration test of alternating users
/// (testSecret without a pending value) logs in as the master as well as with AWSCURRENT, so a
/// master secret that could never rotate this child fails before the first setSecret.
#[tokio::test]
async fn the_configuration_test_logs_in_as_the_master_too() {
    let db = Db::start().await;
    db.create_rds_master("master", MASTER).await;
    db.create_user_as("master", "app", INITIAL, "").await;
    let working = harness_for(&db, "app", INITIAL, MASTER);
    let token = working.start_rotation();
    assert_eq!(
        working.step(&token, Step::TestSecret).await.unwrap(),
        StepOutcome::ConfigurationTested
    );
    assert_eq!(
        working
            .faults
            .log()
            .iter()
            .filter(|label| label.starts_with("connect:"))
            .collect::<Vec<_>>(),
        ["connect:current", "connect:master"]
    );

    let wrong_master = harness_for(&db, "app", INITIAL, "not-the-master-password");
    let token = wrong_master.start_rotation();
    let error = wrong_master.step(&token, Step::TestSecret).await.unwrap_err();
    assert_eq!(error_type(&error), "MasterRefused", "{error}");
    assert!(db.can_login("app", INITIAL).await, "nothing changed");
}

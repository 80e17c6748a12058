//! At `AWS_LAMBDA_LOG_LEVEL=TRACE` the runtime dumps raw payloads and the SDK and drivers log
//! request bodies; core caps those targets. These tests prove the cap holds in the real binaries:
//! a whole rotation's stdout and stderr hold no password, old or new, and no RotationToken.

use rotor_testkit::MotoServer;
use serde_json::json;

use super::bootstrap::Launch;
use super::lambdas::{MYSQL_MULTI_USER, POSTGRES_SINGLE_USER};
use super::rotation::{Function, ROTATION_TOKEN, Secrets, field, leaked, new_token};
use super::{mysql, postgres};

/// Checks that `output` is a TRACE-level log of a successful rotation (so the check below can
/// fail), then that none of `needles` is in it.
fn assert_no_leak(output: &str, needles: &[&str]) {
    assert!(
        output.contains("rotation step succeeded"),
        "the output is the function's log:\n{output}"
    );
    assert!(
        output.contains(r#""level":"DEBUG""#),
        "TRACE reached the process (its DEBUG lines are there):\n{output}"
    );
    assert_eq!(
        leaked(output, needles),
        Vec::<&str>::new(),
        "leaked into:\n{output}"
    );
}

#[tokio::test]
async fn a_trace_level_mysql_multi_user_rotation_logs_no_password_and_no_rotation_token() {
    let (db, moto) = (mysql::Db::start(false).await, MotoServer::start().await.unwrap());
    db.sql("CREATE USER 'app'@'%' IDENTIFIED BY 'initial-Pw-4f1b';")
        .await;
    let secrets = Secrets::new(&moto).await;
    let master_arn = secrets.create("db-master", &db.master_secret()).await;
    let mut secret = db.secret("app", "initial-Pw-4f1b");
    secret["masterarn"] = json!(master_arn);
    let arn = secrets.create("app-db", &secret).await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let launch = Launch::new(MYSQL_MULTI_USER).log_level("TRACE");
    let mut function = Function::start(&launch, &moto).await;

    function.rotate(&arn, &token).await;

    let current = secrets.value(&arn, "AWSCURRENT").await;
    assert_eq!(field(&current, "username"), "app_clone", "the rotation happened");
    let (_, master_password) = db.server.admin();
    assert_no_leak(
        &function.output(),
        &[
            "initial-Pw-4f1b",
            field(&current, "password"),
            master_password,
            ROTATION_TOKEN,
        ],
    );
}

#[tokio::test]
async fn a_trace_level_postgres_single_user_rotation_logs_no_password_and_no_rotation_token() {
    let (db, moto) = (
        postgres::Db::start(true).await,
        MotoServer::start().await.unwrap(),
    );
    db.psql("CREATE ROLE app LOGIN PASSWORD 'initial-Pw-9c2e';").await;
    let secrets = Secrets::new(&moto).await;
    let arn = secrets
        .create("app-db", &db.secret("app", "initial-Pw-9c2e"))
        .await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let launch = Launch::new(POSTGRES_SINGLE_USER).log_level("TRACE");
    let mut function = Function::start(&launch, &moto).await;

    function.rotate(&arn, &token).await;

    let current = secrets.value(&arn, "AWSCURRENT").await;
    let new_password = field(&current, "password");
    assert_ne!(new_password, "initial-Pw-9c2e", "the rotation happened");
    assert_no_leak(
        &function.output(),
        &["initial-Pw-9c2e", new_password, ROTATION_TOKEN],
    );
}

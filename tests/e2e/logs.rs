//! At `AWS_LAMBDA_LOG_LEVEL=TRACE` the runtime dumps raw payloads and the SDK and drivers log
//! request bodies; core caps those targets. These tests prove the cap holds in the real binaries:
//! a whole rotation's stdout and stderr hold no password, old or new, and no RotationToken, at
//! `TRACE` and at per-module settings that name a capped module directly.

use rotor_testkit::MotoServer;
use serde_json::json;

use super::bootstrap::Launch;
use super::lambdas::{HMAC_KEY, MYSQL_MULTI_USER, POSTGRES_SINGLE_USER};
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

/// Per-module settings that `EnvFilter` alone lets win over a `target=info` cap: the SDK's
/// request and response layers, hyper, and the runtime's raw event dump
/// (`lambda_runtime::layers::api_response` logs the whole payload, RotationToken included, at
/// TRACE). Against a bootstrap whose cap was `target=info` directives inside the `EnvFilter`,
/// the api_response setting makes this test fail on the RotationToken.
const PER_MODULE: [&str; 6] = [
    "aws_smithy_runtime::client::orchestrator=trace",
    "aws_smithy_runtime=trace",
    "hyper=trace,aws_sdk_secretsmanager::operation=trace",
    "lambda_runtime::layers::api_response=trace",
    "lambda_runtime=trace,aws_smithy_runtime_api=trace",
    "[Lambda runtime invoke]=trace",
];

/// A real 32-byte key, base64.
const HMAC_INITIAL_KEY: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

/// One HMAC key rotation by the release bootstrap with `RUST_LOG=rust_log` (and no
/// `AWS_LAMBDA_LOG_LEVEL`, as for a function with text log format); returns its output and the
/// values that must not be in it.
async fn hmac_rotation_at(moto: &MotoServer, rust_log: &str) -> (String, Vec<String>) {
    let secrets = Secrets::new(moto).await;
    let initial = json!({"key_id": "k0", "signing_key": HMAC_INITIAL_KEY});
    let arn = secrets
        .create(&format!("log-cap-{}", new_token()), &initial)
        .await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let mut launch = Launch::new(HMAC_KEY).log_level("");
    launch.env.push(("RUST_LOG".into(), rust_log.into()));
    let mut function = Function::start(&launch, moto).await;

    function.rotate(&arn, &token).await;

    let current = secrets.value(&arn, "AWSCURRENT").await;
    let new_key = field(&current, "signing_key").to_owned();
    assert_ne!(new_key, HMAC_INITIAL_KEY, "{rust_log}: the rotation happened");
    let needles = vec![HMAC_INITIAL_KEY.to_owned(), new_key, ROTATION_TOKEN.to_owned()];
    (function.output(), needles)
}

#[tokio::test]
async fn per_module_trace_settings_bring_back_no_secret_and_no_rotation_token() {
    let moto = MotoServer::start().await.unwrap();
    for directives in PER_MODULE {
        let (output, needles) = hmac_rotation_at(&moto, directives).await;
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        assert!(
            output.contains("rotation step succeeded"),
            "{directives}: the output is the function's log:\n{output}"
        );
        assert_eq!(
            leaked(&output, &needles),
            Vec::<&str>::new(),
            "{directives} leaked into:\n{output}"
        );

        // The same setting plus one more directive that silences rotor's step lines: they are
        // gone, so the string was parsed and applied as a whole (an unparsable RUST_LOG falls
        // back to INFO, which would have made the check above prove nothing).
        let silenced = format!("{directives},rotor_core::function=warn");
        let (output, needles) = hmac_rotation_at(&moto, &silenced).await;
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        assert!(
            !output.contains("rotation step succeeded"),
            "{silenced} was not applied:\n{output}"
        );
        assert_eq!(
            leaked(&output, &needles),
            Vec::<&str>::new(),
            "{silenced} leaked into:\n{output}"
        );
    }
}

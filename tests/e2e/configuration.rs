//! An invalid configuration is answered, not a dead process: the release bootstrap with a bad
//! password setting keeps polling the Runtime API, answers every step with an `errorType` that
//! names the variable, and changes nothing in Secrets Manager.

use aws_sdk_secretsmanager::Client;
use rotor_testkit::MotoServer;
use serde_json::json;

use super::bootstrap::Launch;
use super::lambdas::{HMAC_KEY, MYSQL_MULTI_USER, MYSQL_SINGLE_USER, POSTGRES_MULTI_USER};
use super::rotation::{Function, ROTATION_TOKEN, STEPS, Secrets, leaked, new_token};

/// A real 32-byte key, base64.
const SIGNING_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// Each invalid configuration, and the `errorType` that must name it.
const INVALID: [(&[(&str, &str)], &str); 6] = [
    (&[("PASSWORD_LENGTH", "abc")], "InvalidSetting.PASSWORD_LENGTH"),
    (&[("PASSWORD_LENGTH", "0")], "InvalidSetting.PASSWORD_LENGTH"),
    (&[("PASSWORD_LENGTH", "5000")], "InvalidSetting.PASSWORD_LENGTH"),
    (
        &[("PASSWORD_LENGTH", "3"), ("REQUIRE_EACH_INCLUDED_TYPE", "true")],
        "InvalidSetting.PASSWORD_LENGTH",
    ),
    (
        &[
            ("EXCLUDE_NUMBERS", "true"),
            ("EXCLUDE_PUNCTUATION", "true"),
            ("EXCLUDE_UPPERCASE", "true"),
            ("EXCLUDE_LOWERCASE", "true"),
        ],
        "InvalidSetting.EXCLUDE_*",
    ),
    (
        &[("ROTOR_PASSWORD_SOURCE", "dice")],
        "InvalidSetting.ROTOR_PASSWORD_SOURCE",
    ),
];

/// Whether the secret has a readable AWSPENDING value.
async fn has_pending_value(client: &Client, arn: &str) -> bool {
    client
        .get_secret_value()
        .secret_id(arn)
        .version_stage("AWSPENDING")
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn an_invalid_setting_is_answered_on_every_step_and_changes_nothing() {
    let moto = MotoServer::start().await.unwrap();
    for (settings, error_type) in INVALID {
        let initial = json!({"key_id": "k0", "signing_key": SIGNING_KEY});
        refuses_every_step(&moto, HMAC_KEY, settings, error_type, &initial).await;
    }
}

#[tokio::test]
async fn an_engine_setting_the_rotator_refuses_is_answered_the_same_way() {
    let moto = MotoServer::start().await.unwrap();
    let initial = json!({
        "engine": "mariadb", "host": "127.0.0.1", "username": "app", "password": SIGNING_KEY,
        "masterarn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:master",
    });
    for (bin, settings, error_type) in [
        (
            MYSQL_MULTI_USER,
            &[("USERNAME_CHARACTER_LIMIT", "abc")][..],
            "InvalidSetting.USERNAME_CHARACTER_LIMIT",
        ),
        (
            MYSQL_SINGLE_USER,
            &[("ROTOR_MYSQL_PASSWORD_RETENTION", "sometimes")][..],
            "InvalidSetting.ROTOR_MYSQL_PASSWORD_RETENTION",
        ),
        (
            POSTGRES_MULTI_USER,
            &[("USERNAME_CHARACTER_LIMIT", "0")][..],
            "InvalidSetting.USERNAME_CHARACTER_LIMIT",
        ),
    ] {
        refuses_every_step(&moto, bin, settings, error_type, &initial).await;
    }
}

/// Runs every step twice through `bin` configured with `settings`: each is refused with
/// `error_type`, the process stays up, and the secret holding `initial` is unchanged.
async fn refuses_every_step(
    moto: &MotoServer,
    bin: &'static str,
    settings: &[(&str, &str)],
    error_type: &str,
    initial: &serde_json::Value,
) {
    let secrets = Secrets::new(moto).await;
    let client = Client::new(&moto.sdk_config().await);
    {
        let arn = secrets.create(&format!("config-{}", new_token()), initial).await;
        let token = new_token();
        moto.start_rotation(&arn, &token).await.unwrap();
        let before = secrets.stages(&arn).await;
        let mut launch = Launch::new(bin);
        launch.env.extend(
            settings
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        let mut function = Function::start(&launch, moto).await;

        // Every step, twice: the function keeps serving and keeps refusing.
        for step in STEPS.into_iter().chain(STEPS) {
            let error = function.step(step, &arn, &token).await.unwrap_error();
            assert_eq!(error.error_type, error_type, "{settings:?} {step}: {error:?}");
            assert!(
                error.header.is_some(),
                "Lambda-Runtime-Function-Error-Type is sent"
            );
            let variable = variable_of(error_type);
            assert!(
                error.error_message.contains(variable),
                "{settings:?}: the message names {variable}: {error:?}"
            );
            assert!(!error.error_message.contains(SIGNING_KEY), "{error:?}");
        }

        assert_eq!(
            function.process.exit_status(),
            None,
            "{settings:?}: the process stays up"
        );
        assert_eq!(
            function.runtime.init_errors(),
            [],
            "answered per invocation, not as an init error"
        );
        assert!(
            function.runtime.polls().len() >= 2 * STEPS.len(),
            "it took every event"
        );
        assert_eq!(secrets.stages(&arn).await, before, "{settings:?}: no label moved");
        assert!(
            !has_pending_value(&client, &arn).await,
            "{settings:?}: no AWSPENDING value was created"
        );
        assert_eq!(
            &secrets.value(&arn, "AWSCURRENT").await,
            initial,
            "{settings:?}: AWSCURRENT is unchanged"
        );
        let output = function.output();
        assert!(
            output
                .lines()
                .any(|line| line.contains("invalid rotation function configuration")
                    && line.contains(variable_of(error_type))),
            "{settings:?}: CloudWatch gets a line naming the variable:\n{output}"
        );
        assert_eq!(
            leaked(&output, &[SIGNING_KEY, ROTATION_TOKEN]),
            Vec::<&str>::new(),
            "{settings:?}: leaked into:\n{output}"
        );
    }
}

/// `PASSWORD_LENGTH` for `InvalidSetting.PASSWORD_LENGTH`, `EXCLUDE_` for `InvalidSetting.EXCLUDE_*`.
fn variable_of(error_type: &str) -> &str {
    error_type
        .trim_start_matches("InvalidSetting.")
        .trim_end_matches('*')
}

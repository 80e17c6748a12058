//! `Debug` of every core type that holds a secret value, a token, a credential or a client
//! prints none of them: each is formatted with a known secret inside.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use rotor_core::database::MasterSecret;
use rotor_core::secrets_manager::{PutSecretValue, SecretVersion, VersionSelector};
use rotor_core::{
    AwsSecretsManager, CreateContext, Deadline, InMemorySecretsManager, RecentVersion, RotationEvent,
    RotationFunction, RotationSettings, RotationToken, Rotator, RotatorError, SecretJson, SecretValue,
    SecretsManager, StagingLabel, Step, StepContext,
};

const PASSWORD: &str = "debug-secret-Pw-6b1f0e";
const TOKEN: &str = "debug-rotation-token-93ac5e-never-printed";
const ACCESS_SECRET: &str = "debug-aws-secret-access-key-27d4";
const SESSION_TOKEN: &str = "debug-aws-session-token-c81a";

fn secret_string() -> String {
    format!(r#"{{"username":"app","password":"{PASSWORD}","api_token":"{TOKEN}"}}"#)
}

fn json() -> SecretJson {
    SecretJson::parse(&SecretValue::new(secret_string())).unwrap()
}

#[track_caller]
#[expect(
    clippy::needless_pass_by_value,
    reason = "every caller passes a fresh format! result"
)]
fn assert_redacted(what: &str, debug: String) {
    for needle in [PASSWORD, TOKEN, ACCESS_SECRET, SESSION_TOKEN] {
        assert!(!debug.contains(needle), "{what} prints a secret: {debug}");
    }
    assert!(!debug.is_empty(), "{what}");
}

#[test]
fn values_tokens_and_versions_print_no_secret() {
    let value = SecretValue::new(secret_string());
    assert_redacted("SecretValue", format!("{value:?}"));
    assert_redacted("SecretJson", format!("{:?}", json()));
    assert_redacted("RotationToken", format!("{:?}", RotationToken::new(TOKEN)));
    let mut event = RotationEvent::new("arn:secret", "token-1", Step::CreateSecret);
    event.rotation_token = Some(RotationToken::new(TOKEN));
    assert_redacted("RotationEvent", format!("{event:?}"));
    assert_redacted(
        "SecretVersion",
        format!(
            "{:?}",
            SecretVersion {
                version_id: "v1".into(),
                value: value.clone(),
                stages: vec!["AWSCURRENT".into()],
            }
        ),
    );
    let rotation_token = RotationToken::new(TOKEN);
    assert_redacted(
        "PutSecretValue",
        format!(
            "{:?}",
            PutSecretValue {
                secret_id: "arn:secret",
                client_request_token: "token-1",
                value: &value,
                stages: &[StagingLabel::Pending],
                rotation_token: Some(&rotation_token),
            }
        ),
    );
    assert_redacted(
        "MasterSecret",
        format!(
            "{:?}",
            MasterSecret {
                arn: "arn:master".into(),
                value: json()
            }
        ),
    );
    assert_redacted(
        "RecentVersion",
        format!(
            "{:?}",
            RecentVersion {
                version_id: "v0".into(),
                value: json()
            }
        ),
    );
}

#[test]
fn the_in_memory_store_prints_no_stored_value() {
    let model = InMemorySecretsManager::new();
    model
        .create_secret("s", &SecretValue::new(secret_string()))
        .unwrap();
    assert_redacted("InMemorySecretsManager", format!("{model:?}"));
    assert_redacted("ModelState", format!("{:?}", model.snapshot()));
}

#[test]
fn the_aws_adapter_prints_no_credential() {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            ACCESS_SECRET,
            Some(SESSION_TOKEN.into()),
            None,
            "test",
        ))
        .build();
    let secrets = AwsSecretsManager::new(aws_sdk_secretsmanager::Client::from_conf(config));
    assert_redacted("AwsSecretsManager", format!("{secrets:?}"));
    assert_redacted("AwsSecretsManager (alternate)", format!("{secrets:#?}"));
}

/// Formats every context it is handed, as a careless rotator might in a log line.
#[derive(Debug, Clone, Default)]
struct Formatter {
    printed: Arc<Mutex<Vec<String>>>,
}

impl Rotator for Formatter {
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        ctx.current()
            .password()
            .map_err(|problem| ctx.malformed("AWSCURRENT", problem))?;
        self.printed
            .lock()
            .unwrap()
            .push(format!("CreateContext {ctx:?} {ctx:#?}"));
        let mut pending = ctx.current().clone();
        pending.set("password", format!("{PASSWORD}-next"));
        Ok(pending)
    }

    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        ctx.current().await?;
        self.printed
            .lock()
            .unwrap()
            .push(format!("StepContext {ctx:?} {ctx:#?}"));
        Ok(())
    }

    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let secret: &rotor_core::SecretContext<'_> = ctx;
        self.printed
            .lock()
            .unwrap()
            .push(format!("SecretContext {secret:?}"));
        Ok(())
    }
}

#[tokio::test]
async fn contexts_and_the_function_print_no_secret_during_a_rotation() {
    let model = InMemorySecretsManager::new();
    let arn = model
        .create_secret("s", &SecretValue::new(secret_string()))
        .unwrap();
    let token = model.start_rotation(&arn).unwrap();
    let rotator = Formatter::default();
    let function = RotationFunction::new(rotator.clone(), model, RotationSettings::new(""));
    for step in Step::ALL {
        let mut event = RotationEvent::new(&arn, &token, step);
        event.rotation_token = Some(RotationToken::new(TOKEN));
        function
            .invoke(&event, Deadline::after(Duration::from_secs(10)))
            .await
            .unwrap();
    }
    let current = function
        .secrets()
        .get_secret_value(&arn, VersionSelector::stage(StagingLabel::Current))
        .await
        .unwrap();
    assert!(
        current.value.expose().contains(PASSWORD),
        "the secret holds the needle"
    );
    let printed = rotator.printed.lock().unwrap().clone();
    assert_eq!(printed.len(), 3, "{printed:?}");
    for line in printed {
        assert_redacted("a step context", line);
    }
    assert_redacted("RotationFunction", format!("{function:?}"));
}

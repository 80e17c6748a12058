//! The AWS adapter against a real moto server: every call the core makes, and error mapping.

use std::sync::{Arc, Mutex};

use aws_sdk_secretsmanager::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_secretsmanager::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_secretsmanager::error::BoxError;
use rotor_core::password::PasswordPolicy;
use rotor_core::secrets_manager::{PutSecretValue, UpdateVersionStage, VersionSelector};
use rotor_core::{AwsSecretsManager, SecretValue, SecretsManager, SecretsManagerError, StagingLabel};
use rotor_testkit::MotoServer;
use secrecy::ExposeSecret;

use super::support::put_pending;

async fn seeded(moto: &MotoServer, name: &str, value: &str) -> (AwsSecretsManager, String) {
    let secrets = moto.secrets_manager().await;
    let created = secrets
        .client()
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
    (secrets, created.arn().unwrap().to_owned())
}

fn token(n: u8) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

#[tokio::test]
async fn describe_reads_labels_and_maps_a_missing_secret_to_not_found() {
    let moto = MotoServer::start().await.unwrap();
    let (secrets, arn) = seeded(&moto, "describe-me", "v1").await;
    let description = secrets.describe_secret(&arn).await.unwrap();
    assert_eq!(description.arn, arn);
    assert_eq!(description.name, "describe-me");
    assert_eq!(description.versions.len(), 1);
    assert!(description.version_with(StagingLabel::Current).is_some());
    let missing = secrets.describe_secret("no-such-secret").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert_eq!(missing.error_type(), "ResourceNotFound");
}

#[tokio::test]
async fn reads_by_stage_by_id_and_by_token_with_typed_errors() {
    let moto = MotoServer::start().await.unwrap();
    let (secrets, arn) = seeded(&moto, "read-me", "v1").await;
    let current = secrets
        .get_secret_value(&arn, VersionSelector::stage(StagingLabel::Current))
        .await
        .unwrap();
    assert_eq!(current.value.expose(), "v1");
    assert!(current.stages.contains(&"AWSCURRENT".to_owned()));
    let by_id = secrets
        .get_secret_value(&arn, VersionSelector::version(&current.version_id))
        .await
        .unwrap();
    assert_eq!(by_id.value, current.value);

    let pending_token = token(1);
    moto.start_rotation(&arn, &pending_token).await.unwrap();
    let placeholder = secrets
        .get_secret_value(&arn, VersionSelector::pending(&pending_token))
        .await
        .unwrap_err();
    assert!(
        placeholder.is_not_found(),
        "the RotateSecret placeholder has no value: {placeholder:?}"
    );
    let mismatch = secrets
        .get_secret_value(&arn, VersionSelector::pending(&current.version_id))
        .await
        .unwrap_err();
    assert!(
        matches!(mismatch, SecretsManagerError::InvalidRequest(_)),
        "{mismatch:?}"
    );
    let unknown = secrets
        .get_secret_value(&arn, VersionSelector::version(&token(9)))
        .await
        .unwrap_err();
    assert!(unknown.is_not_found(), "{unknown:?}");
    assert!(
        secrets
            .get_secret_value(&arn, VersionSelector::stage(StagingLabel::Previous))
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn put_fills_the_placeholder_and_is_idempotent_for_the_same_value() {
    let moto = MotoServer::start().await.unwrap();
    let (secrets, arn) = seeded(&moto, "put-me", "v1").await;
    let pending_token = token(2);
    moto.start_rotation(&arn, &pending_token).await.unwrap();
    put_pending(&secrets, &arn, &pending_token, "v2").await.unwrap();
    put_pending(&secrets, &arn, &pending_token, "v2").await.unwrap();
    let pending = secrets
        .get_secret_value(&arn, VersionSelector::pending(&pending_token))
        .await
        .unwrap();
    assert_eq!(pending.value.expose(), "v2");
    let missing = put_pending(&secrets, "no-such-secret", &pending_token, "v2")
        .await
        .unwrap_err();
    assert!(missing.is_not_found());
}

/// Records the JSON body of every PutSecretValue request as it goes on the wire.
#[derive(Debug, Clone, Default)]
struct PutSecretValueBodies(Arc<Mutex<Vec<serde_json::Value>>>);

impl Intercept for PutSecretValueBodies {
    fn name(&self) -> &'static str {
        "PutSecretValueBodies"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        if request.headers().get("x-amz-target") == Some("secretsmanager.PutSecretValue") {
            let body = request
                .body()
                .bytes()
                .ok_or("PutSecretValue has a streamed body")?;
            self.0.lock().unwrap().push(serde_json::from_slice(body)?);
        }
        Ok(())
    }
}

#[tokio::test]
async fn the_rotation_token_reaches_moto_in_the_put_secret_value_request() {
    let moto = MotoServer::start().await.unwrap();
    let (plain, arn) = seeded(&moto, "token-me", "v1").await;
    let bodies = PutSecretValueBodies::default();
    let config = plain
        .client()
        .config()
        .to_builder()
        .interceptor(bodies.clone())
        .build();
    let secrets = AwsSecretsManager::new(aws_sdk_secretsmanager::Client::from_conf(config));
    let value = SecretValue::new("v2");
    let rotation_token = rotor_core::RotationToken::new("rotation-token-0000000000000000000000000001");
    secrets
        .put_secret_value(PutSecretValue {
            secret_id: &arn,
            client_request_token: &token(3),
            value: &value,
            stages: &[StagingLabel::Pending],
            rotation_token: Some(&rotation_token),
        })
        .await
        .unwrap();

    let sent = bodies.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "one PutSecretValue request: {sent:?}");
    assert_eq!(
        sent[0]["RotationToken"], "rotation-token-0000000000000000000000000001",
        "the request carries the RotationToken"
    );
    assert_eq!(sent[0]["ClientRequestToken"], token(3));
    let stored = secrets
        .get_secret_value(&arn, VersionSelector::pending(&token(3)))
        .await
        .unwrap();
    assert_eq!(stored.value.expose(), "v2", "moto applied that request");
}

#[tokio::test]
async fn moving_current_puts_previous_on_the_old_version() {
    let moto = MotoServer::start().await.unwrap();
    let (secrets, arn) = seeded(&moto, "move-me", "v1").await;
    let first = secrets
        .get_secret_value(&arn, VersionSelector::stage(StagingLabel::Current))
        .await
        .unwrap()
        .version_id;
    let pending_token = token(4);
    put_pending(&secrets, &arn, &pending_token, "v2").await.unwrap();
    let bad = secrets
        .update_secret_version_stage(UpdateVersionStage {
            secret_id: &arn,
            stage: StagingLabel::Current,
            move_to: Some(&pending_token),
            remove_from: Some(&pending_token),
        })
        .await
        .unwrap_err();
    assert!(matches!(bad, SecretsManagerError::InvalidParameter(_)), "{bad:?}");
    secrets
        .update_secret_version_stage(UpdateVersionStage {
            secret_id: &arn,
            stage: StagingLabel::Current,
            move_to: Some(&pending_token),
            remove_from: Some(&first),
        })
        .await
        .unwrap();
    let labels = secrets.describe_secret(&arn).await.unwrap().versions;
    assert_eq!(labels[&first], ["AWSPREVIOUS"]);
    assert!(labels[&pending_token].contains(&"AWSCURRENT".to_owned()));
    let listed = secrets.list_secret_version_ids(&arn).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|version| version.version_id.as_str()).collect();
    assert!(
        ids.contains(&first.as_str()) && ids.contains(&pending_token.as_str()),
        "{ids:?}"
    );
}

#[tokio::test]
async fn get_random_password_follows_the_policy() {
    let moto = MotoServer::start().await.unwrap();
    let secrets = moto.secrets_manager().await;
    let policy = PasswordPolicy::from_lookup(":/@\"'\\", |name| {
        (name == "PASSWORD_LENGTH").then(|| "48".to_owned())
    })
    .unwrap();
    let password = secrets.get_random_password(&policy).await.unwrap();
    assert_eq!(password.expose_secret().chars().count(), 48);
    assert!(!password.expose_secret().chars().any(|c| ":/@\"'\\".contains(c)));
}

//! The example rotator end to end through the AWS SDK adapter against a real moto server.

use rotor_core::StagingLabel;
use rotor_testkit::MotoServer;
use rotor_testkit::capture::LogCapture;

use super::support::{INITIAL, INITIAL_KEY, ROTATION_TOKEN, assert_rotated, function, rotate, value};

const TOKEN: &str = "6f9619ff-8b86-4011-b42d-00c04fc964ff";

async fn seeded(moto: &MotoServer, name: &str) -> (rotor_core::AwsSecretsManager, String) {
    let secrets = moto.secrets_manager().await;
    let created = secrets
        .client()
        .create_secret()
        .name(name)
        .secret_string(INITIAL)
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_owned();
    moto.start_rotation(&arn, TOKEN).await.unwrap();
    (secrets, arn)
}

#[tokio::test]
async fn a_full_rotation_through_the_aws_adapter_makes_the_new_key_current() {
    let moto = MotoServer::start().await.unwrap();
    let (secrets, arn) = seeded(&moto, "signing-key").await;
    let function = function(secrets);
    rotate(&function, &arn, TOKEN).await;
    assert_rotated(function.secrets(), &arn, TOKEN).await;
}

#[tokio::test]
async fn sdk_traffic_at_trace_leaks_no_key_and_no_rotation_token() {
    let moto = MotoServer::start().await.unwrap();
    let (secrets, arn) = seeded(&moto, "signing-key-logged").await;
    let capture = LogCapture::start();
    let function = function(secrets);
    rotate(&function, &arn, TOKEN).await;
    let new_key = value(function.secrets(), &arn, StagingLabel::Current)
        .await
        .required_str("signing_key")
        .unwrap()
        .to_owned();
    drop(function);
    let text = capture.text();
    assert!(text.contains("rotation step succeeded"), "the capture works");
    assert_eq!(
        capture.leaked(&[INITIAL_KEY, &new_key, ROTATION_TOKEN]),
        Vec::<&str>::new()
    );
}

//! The rotation notification through the release binary: `ROTOR_EVENT_BUS` names a bus on moto,
//! a rule on it delivers to an SQS queue, and the test reads the event an application would.

use aws_sdk_eventbridge::types::Target;
use aws_sdk_sqs::types::QueueAttributeName;
use rotor_testkit::MotoServer;
use serde_json::{Value, json};

use super::bootstrap::Launch;
use super::lambdas::HMAC_KEY;
use super::rotation::{Function, ROTATION_TOKEN, Secrets, field, leaked, new_token};

const INITIAL_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const BUS: &str = "rotations";

/// A bus, a rule on it for source `rotor`, and the queue it delivers to; returns the queue URL.
async fn bus_to_queue(moto: &MotoServer, sqs: &aws_sdk_sqs::Client) -> String {
    let events = aws_sdk_eventbridge::Client::new(&moto.sdk_config().await);
    events.create_event_bus().name(BUS).send().await.unwrap();
    let created = sqs.create_queue().queue_name("refresh").send().await.unwrap();
    let queue_url = created.queue_url().unwrap().to_owned();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let queue_arn = attributes.attributes().unwrap()[&QueueAttributeName::QueueArn].clone();
    events
        .put_rule()
        .name("secret-rotated")
        .event_bus_name(BUS)
        .event_pattern(r#"{"source":["rotor"],"detail-type":["Secret Rotated"]}"#)
        .send()
        .await
        .unwrap();
    let target = Target::builder().id("queue").arn(queue_arn).build().unwrap();
    events
        .put_targets()
        .rule("secret-rotated")
        .event_bus_name(BUS)
        .targets(target)
        .send()
        .await
        .unwrap();
    queue_url
}

/// The hmac-key function with `ROTOR_EVENT_BUS=bus`, EventBridge on moto.
fn launch(moto: &MotoServer, bus: &str) -> Launch {
    let mut launch = Launch::new(HMAC_KEY);
    launch.env.push(("ROTOR_EVENT_BUS".into(), bus.into()));
    launch
        .env
        .push(("AWS_ENDPOINT_URL_EVENTBRIDGE".into(), moto.endpoint()));
    launch
}

#[tokio::test]
async fn a_rotation_puts_one_secret_rotated_event_on_the_configured_bus_without_any_value() {
    let moto = MotoServer::start().await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
    let queue_url = bus_to_queue(&moto, &sqs).await;
    let secrets = Secrets::new(&moto).await;
    let arn = secrets
        .create(
            "signing-key",
            &json!({"key_id": "k0", "signing_key": INITIAL_KEY}),
        )
        .await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let mut function = Function::start(&launch(&moto, BUS), &moto).await;

    function.rotate(&arn, &token).await;

    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(5)
        .send()
        .await
        .unwrap();
    let messages = received.messages();
    assert_eq!(messages.len(), 1, "{messages:?}\n{}", function.output());
    let body = messages[0].body().unwrap();
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["source"], "rotor");
    assert_eq!(event["detail-type"], "Secret Rotated");
    let detail = &event["detail"];
    assert_eq!(detail["secretArn"], arn.as_str());
    assert_eq!(detail["versionId"], token.as_str());
    assert_eq!(detail["previousVersionId"], former.as_str());
    assert_eq!(detail["rotator"], "hmac-key");
    assert!(detail["rotatedAt"].as_str().unwrap().ends_with('Z'), "{detail}");
    let current = secrets.value(&arn, "AWSCURRENT").await;
    let needles = [INITIAL_KEY, field(&current, "signing_key"), ROTATION_TOKEN];
    assert_eq!(leaked(body, &needles), Vec::<&str>::new(), "{body}");
    assert!(function.output().contains("rotation notification published"));
}

#[tokio::test]
async fn a_bus_that_does_not_exist_is_logged_as_notification_failed_and_the_rotation_succeeds() {
    let moto = MotoServer::start().await.unwrap();
    let secrets = Secrets::new(&moto).await;
    let arn = secrets
        .create(
            "signing-key",
            &json!({"key_id": "k0", "signing_key": INITIAL_KEY}),
        )
        .await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let mut function = Function::start(&launch(&moto, "no-such-bus"), &moto).await;

    function.rotate(&arn, &token).await;

    secrets.assert_rotated(&arn, &former, &token).await;
    let output = function.output();
    assert!(
        output.contains(r#""error_type":"NotificationFailed""#),
        "{output}"
    );
    assert!(output.contains("no-such-bus"), "{output}");
}

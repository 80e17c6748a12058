//! The rotation notification: one event after a successful finishSecret, ids only, and a
//! failure to publish that is logged and never fails the rotation.

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rotor_core::notify::{EventBridgeNotifier, RecordingNotifier, RotationNotifier};
use rotor_core::{
    Deadline, InMemorySecretsManager, RotationEvent, RotationFunction, RotationSettings, RotationToken,
    SecretValue, SecretsManager, StagingLabel, Step, StepOutcome,
};
use rotor_testkit::MotoServer;
use rotor_testkit::capture::LogCapture;
use serde_json::Value;

use super::support::{FakeService, INITIAL, ServiceRotator};

const ROTATION_TOKEN: &str = "rotation-token-never-in-an-event-5d1e";

fn rotator() -> ServiceRotator {
    ServiceRotator {
        service: Arc::new(FakeService {
            active: Mutex::new("initial-pw".into()),
            changes: AtomicUsize::new(0),
            latency: Mutex::new(Duration::ZERO),
        }),
    }
}

/// Runs the four steps for a new rotation of `arn`, as Secrets Manager sends them.
async fn rotate<S: SecretsManager>(
    function: &RotationFunction<ServiceRotator, S>,
    arn: &str,
    token: &str,
) -> Vec<StepOutcome> {
    let mut outcomes = Vec::new();
    for step in Step::ALL {
        let mut event = RotationEvent::new(arn, token, step);
        event.rotation_token = Some(RotationToken::new(ROTATION_TOKEN));
        let outcome = function
            .invoke(&event, Deadline::after(Duration::from_secs(30)))
            .await
            .unwrap();
        outcomes.push(outcome);
    }
    outcomes
}

fn in_memory(
    notifier: Arc<dyn RotationNotifier>,
) -> (RotationFunction<ServiceRotator, InMemorySecretsManager>, String) {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("app-db", &SecretValue::new(INITIAL)).unwrap();
    let function = RotationFunction::new(rotator(), model, RotationSettings::new("")).with_notifier(notifier);
    (function, arn)
}

#[tokio::test]
async fn a_completed_rotation_publishes_one_notice_with_the_versions_and_the_rotator() {
    let recorder = Arc::new(RecordingNotifier::new());
    let (function, arn) = in_memory(recorder.clone());
    let old = function.secrets().describe_secret(&arn).await.unwrap();
    let old = old.version_with(StagingLabel::Current).unwrap().to_owned();
    let token = function.secrets().start_rotation(&arn).unwrap();

    rotate(&function, &arn, &token).await;

    let notices = recorder.notices();
    assert_eq!(notices.len(), 1, "only finishSecret publishes: {notices:?}");
    let notice = &notices[0];
    assert_eq!(notice.secret_arn, arn);
    assert_eq!(notice.version_id, token);
    assert_eq!(notice.previous_version_id.as_deref(), Some(old.as_str()));
    assert_eq!(notice.rotator, "tests::ServiceRotator");
    assert!(
        notice.rotated_at.ends_with('Z') && notice.rotated_at.len() == 20,
        "{notice:?}"
    );
}

#[tokio::test]
async fn a_refused_notice_is_logged_as_notification_failed_and_the_rotation_still_succeeds() {
    let capture = LogCapture::start();
    let (function, arn) = in_memory(Arc::new(RecordingNotifier::refusing()));
    let token = function.secrets().start_rotation(&arn).unwrap();

    let outcomes = rotate(&function, &arn, &token).await;

    assert!(
        matches!(outcomes[3], StepOutcome::Finished { .. }),
        "{outcomes:?}"
    );
    let log = capture.text();
    assert!(log.contains(r#""error_type":"NotificationFailed""#), "{log}");
    assert!(log.contains("rotation notification failed"), "{log}");
}

#[tokio::test]
async fn a_rotation_without_a_notifier_publishes_nothing_and_logs_no_notification() {
    let capture = LogCapture::start();
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("app-db", &SecretValue::new(INITIAL)).unwrap();
    let token = model.start_rotation(&arn).unwrap();
    let function = RotationFunction::new(rotator(), model, RotationSettings::new(""));
    rotate(&function, &arn, &token).await;
    assert!(!capture.text().contains("rotation notification"));
}

/// A bus, a rule on it for source `rotor`, and the SQS queue the rule delivers to.
async fn bus_to_queue(moto: &MotoServer) -> (String, aws_sdk_sqs::Client, String) {
    let config = moto.sdk_config().await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    events.create_event_bus().name("rotations").send().await.unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name("credential-refresh")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    events
        .put_rule()
        .name("secret-rotated")
        .event_bus_name("rotations")
        .event_pattern(r#"{"source":["rotor"],"detail-type":["Secret Rotated"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("secret-rotated")
        .event_bus_name("rotations")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (queue_url, sqs, "rotations".to_owned())
}

async fn moto_rotation(moto: &MotoServer, notifier: EventBridgeNotifier) -> (String, String, String) {
    let secrets = moto.secrets_manager().await;
    let arn = secrets
        .client()
        .create_secret()
        .name("app-db")
        .secret_string(INITIAL)
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let old = secrets.describe_secret(&arn).await.unwrap();
    let old = old.version_with(StagingLabel::Current).unwrap().to_owned();
    let token = "00000000-0000-4000-8000-000000000042";
    moto.start_rotation(&arn, token).await.unwrap();
    let function = RotationFunction::new(rotator(), secrets, RotationSettings::new(""))
        .with_notifier(Arc::new(notifier));
    let outcomes = rotate(&function, &arn, token).await;
    assert!(
        matches!(outcomes[3], StepOutcome::Finished { .. }),
        "{outcomes:?}"
    );
    let current = function
        .secrets()
        .get_secret_value(
            &arn,
            rotor_core::secrets_manager::VersionSelector::stage(StagingLabel::Current),
        )
        .await
        .unwrap();
    let password = rotor_core::SecretJson::parse(&current.value).unwrap();
    let password = secrecy::ExposeSecret::expose_secret(&password.password().unwrap()).to_owned();
    (arn, old, password)
}

#[tokio::test]
async fn against_moto_a_rule_on_the_bus_delivers_the_rotation_event_to_sqs_without_any_value() {
    let moto = MotoServer::start().await.unwrap();
    let (queue_url, sqs, bus) = bus_to_queue(&moto).await;
    let events = aws_sdk_eventbridge::Client::new(&moto.sdk_config().await);

    let (arn, old, new_password) = moto_rotation(&moto, EventBridgeNotifier::new(bus, events)).await;

    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(5)
        .send()
        .await
        .unwrap();
    let messages = received.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let body = messages[0].body().unwrap();
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["source"], "rotor");
    assert_eq!(event["detail-type"], "Secret Rotated");
    assert_eq!(event["resources"][0], arn.as_str());
    let detail = &event["detail"];
    assert_eq!(detail["secretArn"], arn.as_str());
    assert_eq!(detail["versionId"], "00000000-0000-4000-8000-000000000042");
    assert_eq!(detail["previousVersionId"], old.as_str());
    assert_eq!(detail["rotator"], "tests::ServiceRotator");
    assert!(detail["rotatedAt"].as_str().unwrap().ends_with('Z'), "{detail}");
    for needle in ["initial-pw", new_password.as_str(), ROTATION_TOKEN] {
        assert!(!body.contains(needle), "the event holds a secret: {body}");
    }
}

#[tokio::test]
async fn against_moto_a_bus_that_does_not_exist_is_logged_and_the_rotation_succeeds() {
    let capture = LogCapture::start();
    let moto = MotoServer::start().await.unwrap();
    let events = aws_sdk_eventbridge::Client::new(&moto.sdk_config().await);

    moto_rotation(&moto, EventBridgeNotifier::new("no-such-bus", events)).await;

    let log = capture.text();
    assert!(log.contains(r#""error_type":"NotificationFailed""#), "{log}");
    assert!(log.contains("ResourceNotFoundException"), "{log}");
}

#[tokio::test]
async fn against_moto_an_unreachable_event_bus_endpoint_is_logged_and_the_rotation_succeeds() {
    let capture = LogCapture::start();
    let moto = MotoServer::start().await.unwrap();
    let unreachable = aws_sdk_eventbridge::config::Builder::from(&moto.sdk_config().await)
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let events = aws_sdk_eventbridge::Client::from_conf(unreachable);

    moto_rotation(&moto, EventBridgeNotifier::new("rotations", events)).await;

    let log = capture.text();
    assert!(log.contains(r#""error_type":"NotificationFailed""#), "{log}");
    assert!(
        log.contains("EventBridge PutEvents to bus rotations failed"),
        "{log}"
    );
}

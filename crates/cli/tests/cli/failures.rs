//! Rotations that cannot proceed: each fails with the step, the error type and what to do, and
//! `status` explains what was left behind.

use std::time::Duration;

use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    Deadline, InMemorySecretsManager, RotationEvent, RotationFunction, RotationSettings, SecretValue,
    SecretsManager, StagingLabel, Step,
};
use rotor_hmac_key::HmacKeyRotator;

use super::support::{Sandbox, hmac_secret, labels, new_version};

#[tokio::test]
async fn a_disabled_rotation_fails_before_any_change_and_says_how_to_enable_it() {
    let sandbox = Sandbox::new();
    sandbox.create("app/key", &hmac_secret(3));
    sandbox.rotor(&["secret", "rotation", "app/key", "off"]).expect(0);
    let before = labels(&sandbox.model(), "app/key").await;

    let run = sandbox.rotor(&["rotate", "app/key", "--rotator", "hmac-key"]);
    run.expect(1);
    assert!(
        run.stderr.contains("failed at RotateSecret (RotationDisabled)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rotor secret rotation app/key on"),
        "{}",
        run.stderr
    );
    assert_eq!(
        labels(&sandbox.model(), "app/key").await,
        before,
        "nothing changed"
    );

    sandbox.rotor(&["secret", "rotation", "app/key", "on"]).expect(0);
    sandbox
        .rotor(&["rotate", "app/key", "--rotator", "hmac-key"])
        .expect(0);
}

#[test]
fn an_unknown_rotator_is_a_usage_error_that_lists_the_rotators() {
    let sandbox = Sandbox::new();
    let run = sandbox.rotor(&["rotate", "app/key", "--rotator", "postgress"]);
    run.expect(2);
    assert!(
        run.stderr.contains("[possible values: hmac-key"),
        "{}",
        run.stderr
    );
    let listed = sandbox.rotor(&["rotators"]);
    listed.expect(0);
    assert!(listed.stdout.starts_with("hmac-key"), "{}", listed.stdout);
}

#[tokio::test]
async fn a_value_the_rotator_cannot_parse_fails_at_create_secret_and_status_finds_the_placeholder() {
    let sandbox = Sandbox::new();
    sandbox.create("app/raw", "hunter2-not-json");
    let run = sandbox.rotor(&["rotate", "app/raw", "--rotator", "hmac-key"]);
    run.expect(1);
    assert!(
        run.stderr.contains("failed at createSecret (MalformedSecret"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Check that --rotator matches the secret"),
        "{}",
        run.stderr
    );
    assert!(!run.all().contains("hunter2"));

    let status = sandbox.rotor(&["status", "app/raw"]);
    status.expect(3);
    assert!(
        status.stdout.contains("state: STUCK: AWSPENDING is on version"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("none (placeholder)"), "{}", status.stdout);
    assert!(
        status.stdout.contains("createSecret never stored a value"),
        "{}",
        status.stdout
    );

    let again = sandbox.rotor(&["rotate", "app/raw", "--rotator", "hmac-key"]);
    again.expect(1);
    assert!(again.stderr.contains("(RotationInProgress)"), "{}", again.stderr);
    assert!(again.stderr.contains("rotor cancel app/raw"), "{}", again.stderr);
    sandbox.rotor(&["cancel", "app/raw"]).expect(0);
    sandbox.rotor(&["status", "app/raw"]).expect(0);
}

#[test]
fn a_rotator_that_does_not_match_the_engine_is_refused_before_any_write() {
    let sandbox = Sandbox::new();
    sandbox.create(
        "app/db",
        r#"{"engine":"postgres","username":"app","password":"hunter2-db-password"}"#,
    );
    let before = std::fs::read(sandbox.store_path()).unwrap();
    for rotator in ["hmac-key", "mysql-single-user"] {
        let run = sandbox.rotor(&["rotate", "app/db", "--rotator", rotator]);
        run.expect(1);
        assert_eq!(
            run.stderr_lines().last().copied(),
            Some(
                format!(
                    "error: --rotator {rotator} does not match secret app/db, whose engine is \"postgres\": \
                     use --rotator postgres-single-user or postgres-multi-user"
                )
                .as_str()
            ),
            "{}",
            run.stderr
        );
        assert!(!run.stdout.contains("rotating"), "{}", run.stdout);
    }
    assert_eq!(
        std::fs::read(sandbox.store_path()).unwrap(),
        before,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_wrong_rotator_on_a_secret_without_an_engine_fails_at_test_secret_and_leaves_awscurrent_alone() {
    let sandbox = Sandbox::new();
    sandbox.create("app/db", r#"{"username":"app","password":"hunter2-db-password"}"#);
    let run = sandbox.rotor(&["rotate", "app/db", "--rotator", "hmac-key"]);
    run.expect(1);
    assert!(
        run.stderr.contains("failed at testSecret (MalformedSecret")
            && run.stderr.contains(r#"field "signing_key" is missing"#),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--resume"),
        "a value was stored, so it can be resumed: {}",
        run.stderr
    );
    let status = sandbox.rotor(&["status", "app/db"]);
    status.expect(3);
    assert!(
        status
            .stdout
            .contains("the version has a value, so createSecret completed"),
        "{}",
        status.stdout
    );
    let current = sandbox
        .model()
        .get_secret_value("app/db", VersionSelector::stage(StagingLabel::Current))
        .await
        .unwrap();
    assert!(current.value.expose().contains("hunter2-db-password"));
}

#[tokio::test]
async fn resume_completes_a_rotation_left_stuck_by_a_crash_after_set_secret() {
    let sandbox = Sandbox::new();
    let model = InMemorySecretsManager::new();
    let arn = model
        .create_secret("app/key", &SecretValue::new(hmac_secret(4)))
        .unwrap();
    let token = model.start_rotation(&arn).unwrap();
    let function = RotationFunction::new(HmacKeyRotator, model, RotationSettings::new(""));
    for step in [Step::CreateSecret, Step::SetSecret] {
        let event = RotationEvent::new(&arn, &token, step);
        function
            .invoke(&event, Deadline::after(Duration::from_secs(10)))
            .await
            .unwrap();
    }
    let pending = function
        .secrets()
        .get_secret_value(&arn, VersionSelector::pending(&token))
        .await
        .unwrap();
    sandbox.save(function.secrets());

    let status = sandbox.rotor(&["status", "app/key"]);
    status.expect(3);
    assert!(
        status
            .stdout
            .contains(&format!("AWSPENDING is on version {token}")),
        "{}",
        status.stdout
    );

    let run = sandbox.rotor(&["rotate", "app/key", "--rotator", "hmac-key", "--resume"]);
    run.expect(0);
    assert!(
        !run.stdout.contains("RotateSecret "),
        "no new placeholder: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("AWSPENDING value already stored"),
        "{}",
        run.stdout
    );
    assert_eq!(new_version(&run), token);
    let current = sandbox
        .model()
        .get_secret_value("app/key", VersionSelector::stage(StagingLabel::Current))
        .await
        .unwrap();
    assert_eq!(
        current.value, pending.value,
        "the value created before the crash became current"
    );
    let nothing = sandbox.rotor(&["rotate", "app/key", "--rotator", "hmac-key", "--resume"]);
    nothing.expect(1);
    assert!(nothing.stderr.contains("(NothingToResume)"), "{}", nothing.stderr);
}

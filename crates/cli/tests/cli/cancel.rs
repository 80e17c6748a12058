//! `rotor cancel`: a placeholder goes at once; a pending version with a value, which setSecret
//! may already have applied, is kept unless `--force`, with a warning that says how to resume.

use rotor_core::secrets_manager::PutSecretValue;
use rotor_core::{SecretValue, SecretsManager, StagingLabel};

use super::support::{Sandbox, labels};

const CURRENT: &str = r#"{"username":"app","password":"hunter2-current-password"}"#;
const PENDING: &str = r#"{"username":"app","password":"hunter2-pending-password"}"#;

/// A secret whose rotation is stuck at `token`: a placeholder, or with `pending` stored.
async fn stuck(sandbox: &Sandbox, pending: Option<&str>) -> String {
    sandbox.create("app/db", CURRENT);
    let model = sandbox.model();
    let token = model.start_rotation("app/db").unwrap();
    if let Some(value) = pending {
        let value = SecretValue::new(value);
        model
            .put_secret_value(PutSecretValue {
                secret_id: "app/db",
                client_request_token: &token,
                value: &value,
                stages: &[StagingLabel::Pending],
                rotation_token: None,
            })
            .await
            .unwrap();
    }
    sandbox.save(&model);
    token
}

async fn carries_pending(sandbox: &Sandbox, token: &str) -> bool {
    labels(&sandbox.model(), "app/db")
        .await
        .get(token)
        .is_some_and(|labels| labels.contains(&"AWSPENDING".to_owned()))
}

#[tokio::test]
async fn cancel_removes_a_placeholder_at_once_without_a_warning() {
    let sandbox = Sandbox::new();
    let token = stuck(&sandbox, None).await;

    let run = sandbox.rotor(&["cancel", "app/db"]);

    run.expect(0);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert!(
        run.stdout
            .contains(&format!("removed AWSPENDING from version {token}")),
        "{}",
        run.stdout
    );
    assert!(!carries_pending(&sandbox, &token).await);
}

#[tokio::test]
async fn cancel_refuses_a_pending_version_with_a_value_and_says_how_to_resume() {
    let sandbox = Sandbox::new();
    let token = stuck(&sandbox, Some(PENDING)).await;

    let run = sandbox.rotor(&["cancel", "app/db"]);

    run.expect(1);
    assert!(
        run.stderr
            .contains(&format!("warning: the pending version {token} holds a value"))
            && run.stderr.contains("setSecret may already have applied it")
            && run.stderr.contains("AWSCURRENT no longer logs in"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("rotor rotate app/db --rotator <name> --resume"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rotor cancel app/db --force"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("error: not cancelled"), "{}", run.stderr);
    assert!(carries_pending(&sandbox, &token).await, "nothing was removed");
    assert!(
        !run.all().contains("hunter2"),
        "no value is printed: {}",
        run.all()
    );
}

#[tokio::test]
async fn cancel_with_force_removes_a_pending_version_with_a_value_after_the_warning() {
    let sandbox = Sandbox::new();
    let token = stuck(&sandbox, Some(PENDING)).await;

    let run = sandbox.rotor(&["cancel", "app/db", "--force"]);

    run.expect(0);
    assert!(
        run.stderr.contains("warning: the pending version"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("error"), "{}", run.stderr);
    assert!(!carries_pending(&sandbox, &token).await);
    assert!(
        !run.all().contains("hunter2"),
        "no value is printed: {}",
        run.all()
    );
    sandbox.rotor(&["status", "app/db"]).expect(0);
}

#[tokio::test]
async fn status_of_a_pending_version_with_a_value_offers_resume_before_a_forced_cancel() {
    let sandbox = Sandbox::new();
    stuck(&sandbox, Some(PENDING)).await;

    let status = sandbox.rotor(&["status", "app/db"]);

    status.expect(3);
    let resume = status.stdout.find("resume: rotor rotate app/db").unwrap();
    let cancel = status.stdout.find("cancel: rotor cancel app/db --force").unwrap();
    assert!(resume < cancel, "{}", status.stdout);
}

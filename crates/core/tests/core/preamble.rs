use rotor_core::secrets_manager::{UpdateVersionStage, VersionSelector};
use rotor_core::{RotationError, SecretsManager, StagingLabel, Step, StepOutcome};

use super::support::Harness;

#[tokio::test]
async fn disabled_rotation_fails_every_step_and_changes_nothing() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    harness
        .model()
        .set_rotation_enabled(&harness.arn, Some(false))
        .unwrap();
    let before = harness.labels().await;
    for step in Step::ALL {
        let error = harness.step(&token, step).await.unwrap_err();
        assert!(
            matches!(error, RotationError::RotationDisabled { .. }),
            "{step}: {error:?}"
        );
    }
    assert_eq!(harness.labels().await, before);
}

#[tokio::test]
async fn a_missing_rotation_enabled_field_is_tolerated() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    harness.model().set_rotation_enabled(&harness.arn, None).unwrap();
    assert_eq!(
        harness.step(&token, Step::CreateSecret).await.unwrap(),
        StepOutcome::PendingCreated
    );
}

#[tokio::test]
async fn a_token_that_is_not_a_version_is_refused() {
    let harness = Harness::new();
    harness.start_rotation();
    for step in Step::ALL {
        let error = harness
            .step("00000000-0000-0000-0000-000000000000", step)
            .await
            .unwrap_err();
        assert!(matches!(error, RotationError::UnknownVersion { .. }), "{error:?}");
        assert_eq!(rotor_core::Classify::error_type(&error), "UnknownVersion");
    }
}

#[tokio::test]
async fn a_token_already_current_is_a_no_op_for_every_step() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    for step in Step::ALL {
        harness.step(&token, step).await.unwrap();
    }
    let before = harness.labels().await;
    for step in Step::ALL {
        harness.store().faults().clear_log();
        assert_eq!(
            harness.step(&token, step).await.unwrap(),
            StepOutcome::AlreadyCurrent
        );
        assert_eq!(
            harness.store().faults().log(),
            ["DescribeSecret"],
            "{step} must only describe"
        );
    }
    assert_eq!(harness.labels().await, before);
}

#[tokio::test]
async fn a_token_that_is_not_pending_is_refused() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    for step in Step::ALL {
        harness.step(&token, step).await.unwrap();
    }
    // The first version is now AWSPREVIOUS only.
    let previous = harness
        .model()
        .get_secret_value(&harness.arn, VersionSelector::stage(StagingLabel::Previous))
        .await
        .unwrap();
    let error = harness
        .step(&previous.version_id, Step::SetSecret)
        .await
        .unwrap_err();
    assert!(matches!(error, RotationError::NotPending { .. }), "{error:?}");
}

#[tokio::test]
async fn a_token_whose_pending_label_was_removed_is_refused() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    harness
        .model()
        .update_secret_version_stage(UpdateVersionStage {
            secret_id: &harness.arn,
            stage: StagingLabel::Pending,
            move_to: None,
            remove_from: Some(&token),
        })
        .await
        .unwrap();
    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();
    assert!(
        matches!(
            error,
            RotationError::UnknownVersion { .. } | RotationError::NotPending { .. }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn every_invocation_describes_the_secret_exactly_once() {
    let harness = Harness::new();
    let token = harness.start_rotation();
    for step in Step::ALL {
        harness.store().faults().clear_log();
        harness.step(&token, step).await.unwrap();
        let describes = harness
            .store()
            .faults()
            .log()
            .iter()
            .filter(|call| **call == "DescribeSecret")
            .count();
        assert_eq!(describes, 1, "{step}: {:?}", harness.store().faults().log());
    }
}

//! The rotator against the in-memory IAM model: what a user sees in IAM after rotations,
//! crashes at every IAM call, the two-key limit, bad input, STS lag and leaks.

use std::time::Duration;

use rotor_core::fault::FaultTiming;
use rotor_core::{Classify, Deadline, ErrorClass, RotationEvent, StagingLabel, Step};
use rotor_iam_access_key::iam::KeyStatus;
use rotor_iam_access_key::{InMemoryIam, SECRET_ACCESS_KEY_FIELD};
use rotor_testkit::capture::LogCapture;

use super::support::{USER, an_hour_ago, field, harness, ids, secret_json, seeded, value};

fn error_type(error: &rotor_core::RotationError) -> &'static str {
    Classify::error_type(error)
}

#[tokio::test]
async fn a_rotation_makes_a_working_key_current_and_deactivates_the_old_one() {
    let (iam, initial, old_secret) = seeded();
    let harness = harness(&iam, &initial);
    harness.rotate().await.unwrap();

    let current = value(&harness, StagingLabel::Current).await;
    let previous = value(&harness, StagingLabel::Previous).await;
    assert!(iam.works(
        USER,
        field(&current, "AccessKeyId"),
        field(&current, "SecretAccessKey")
    ));
    assert!(
        !iam.works(USER, field(&previous, "AccessKeyId"), &old_secret),
        "the old key is inactive"
    );
    assert_eq!(field(&current, "team"), "platform");
    assert_eq!(field(&current, "UserName"), USER);
    let keys = iam.keys(USER);
    assert_eq!(keys.len(), 2);
    let old = keys
        .iter()
        .find(|key| key.id == field(&previous, "AccessKeyId"))
        .unwrap();
    assert_eq!(old.status, KeyStatus::Inactive);
}

#[tokio::test]
async fn each_later_rotation_deletes_the_key_before_previous_and_stays_within_two_keys() {
    let (iam, initial, _) = seeded();
    let harness = harness(&iam, &initial);
    for _rotation in 0..3 {
        harness.rotate().await.unwrap();
        let current = value(&harness, StagingLabel::Current).await;
        let previous = value(&harness, StagingLabel::Previous).await;
        let mut expected = vec![
            field(&current, "AccessKeyId").to_owned(),
            field(&previous, "AccessKeyId").to_owned(),
        ];
        expected.sort();
        assert_eq!(ids(&iam.keys(USER)), expected);
    }
    let calls = iam.calls();
    let last: Vec<&str> = calls[calls.len() - 6..].iter().map(String::as_str).collect();
    assert_eq!(
        last,
        [
            "ListAccessKeys:ci-deployer",
            "DeleteAccessKey:ci-deployer",
            "CreateAccessKey:ci-deployer",
            "GetCallerIdentity",
            "ListAccessKeys:ci-deployer",
            "UpdateAccessKey:ci-deployer",
        ],
        "IAM calls of a steady-state rotation"
    );
}

/// A crash before and after every IAM and STS call of a second rotation (the one that deletes
/// AWSPREVIOUS's key to make room), each retried as Secrets Manager retries: the rotation
/// completes, the user never exceeds two keys, and no key but AWSCURRENT's and AWSPREVIOUS's
/// is left.
#[tokio::test]
async fn a_crash_at_any_iam_call_of_a_rotation_at_the_limit_converges() {
    let operations = {
        let (iam, initial, _) = seeded();
        let harness = harness(&iam, &initial);
        harness.rotate().await.unwrap();
        harness.faults.clear_log();
        harness.rotate().await.unwrap();
        harness.faults.log()
    };
    assert_eq!(operations.len(), 6, "{operations:?}");
    for k in 1..=operations.len() {
        for timing in [FaultTiming::BeforeApply, FaultTiming::AfterApply] {
            let (iam, initial, _) = seeded();
            let harness = harness(&iam, &initial);
            harness.rotate().await.unwrap();
            let token = harness.start_rotation();
            harness.faults.arm(k, timing);
            let mut failures = 0;
            for step in Step::ALL {
                if harness.step(&token, step).await.is_err() {
                    failures += 1;
                    harness.step(&token, step).await.unwrap();
                }
            }
            let case = format!("{timing:?} {} ({k})", operations[k - 1]);
            assert_eq!(failures, 1, "{case}: the fault fired once");
            let current = value(&harness, StagingLabel::Current).await;
            let previous = value(&harness, StagingLabel::Previous).await;
            assert!(
                iam.works(
                    USER,
                    field(&current, "AccessKeyId"),
                    field(&current, SECRET_ACCESS_KEY_FIELD)
                ),
                "{case}: AWSCURRENT works"
            );
            let mut expected = vec![
                field(&current, "AccessKeyId").to_owned(),
                field(&previous, "AccessKeyId").to_owned(),
            ];
            expected.sort();
            assert_eq!(ids(&iam.keys(USER)), expected, "{case}: no orphan is left");
        }
    }
}

#[tokio::test]
async fn a_retry_after_a_crash_between_create_access_key_and_put_secret_value_deletes_the_orphan() {
    let (iam, initial, _) = seeded();
    let harness = harness(&iam, &initial);
    harness.rotate().await.unwrap();
    let token = harness.start_rotation();
    // The 3rd IAM call of createSecret at the limit: List, Delete(previous), Create.
    harness.faults.arm(3, FaultTiming::AfterApply);
    harness.step(&token, Step::CreateSecret).await.unwrap_err();
    let orphan = ids(&iam.keys(USER));
    assert_eq!(orphan.len(), 2, "AWSCURRENT's key and the orphan fill both slots");

    harness.step(&token, Step::CreateSecret).await.unwrap();

    let pending = harness
        .value(rotor_core::secrets_manager::VersionSelector::pending(&token))
        .await
        .unwrap();
    let keys = ids(&iam.keys(USER));
    assert_eq!(keys.len(), 2);
    assert!(keys.contains(&field(&pending, "AccessKeyId").to_owned()));
    let current = value(&harness, StagingLabel::Current).await;
    assert!(keys.contains(&field(&current, "AccessKeyId").to_owned()));
    assert!(!orphan.iter().all(|id| keys.contains(id)), "the orphan is gone");
}

#[tokio::test]
async fn a_user_that_does_not_exist_is_refused_before_anything_is_created() {
    let iam = InMemoryIam::new();
    let harness = harness(&iam, &secret_json("nobody", "AKIAOLD", "old-secret"));
    let token = harness.start_rotation();
    let error = harness.step(&token, Step::CreateSecret).await.unwrap_err();
    assert_eq!(error_type(&error), "IamUserNotFound", "{error}");
    assert_eq!(error.class(), ErrorClass::Permanent);
    assert_eq!(iam.calls(), ["ListAccessKeys:nobody"]);
}

#[tokio::test]
async fn a_secret_without_user_name_is_malformed_and_iam_is_never_called() {
    let iam = InMemoryIam::new();
    let harness = harness(&iam, r#"{"AccessKeyId":"AKIAOLD","SecretAccessKey":"old"}"#);
    let token = harness.start_rotation();
    let error = harness.step(&token, Step::CreateSecret).await.unwrap_err();
    assert_eq!(error_type(&error), "MalformedSecret", "{error}");
    assert!(error.to_string().contains("UserName"), "{error}");
    assert!(iam.calls().is_empty());
}

#[tokio::test]
async fn two_keys_that_are_not_this_secrets_are_refused_and_left_alone() {
    let iam = InMemoryIam::new();
    iam.add_user(USER);
    let first = iam.add_key(USER, an_hour_ago()).unwrap();
    let second = iam.add_key(USER, an_hour_ago()).unwrap();
    for current in [
        secret_json(USER, "AKIANOTTHEUSERS", "stale"),
        secret_json(USER, &first.id, "the first key's secret is not needed"),
    ] {
        let harness = harness(&iam, &current);
        let token = harness.start_rotation();
        let error = harness.step(&token, Step::CreateSecret).await.unwrap_err();
        assert_eq!(error_type(&error), "IamUserHasForeignAccessKeys", "{error}");
        assert!(
            error.to_string().contains(&second.id),
            "names the blocking key: {error}"
        );
        assert_eq!(
            ids(&iam.keys(USER)),
            ids(&[first.clone(), second.clone()].map(|key| {
                rotor_iam_access_key::iam::AccessKey {
                    id: key.id,
                    status: KeyStatus::Active,
                    created: None,
                }
            }))
        );
        assert!(
            !iam.calls()
                .iter()
                .any(|call| call.starts_with("CreateAccessKey") || call.starts_with("DeleteAccessKey"))
        );
    }
}

#[tokio::test]
async fn a_secret_with_only_a_user_name_gets_its_first_key_next_to_one_foreign_key() {
    let iam = InMemoryIam::new();
    iam.add_user(USER);
    let foreign = iam.add_key(USER, an_hour_ago()).unwrap();
    let harness = harness(&iam, &serde_json::json!({ "UserName": USER }).to_string());
    harness.rotate().await.unwrap();
    let current = value(&harness, StagingLabel::Current).await;
    assert!(iam.works(
        USER,
        field(&current, "AccessKeyId"),
        field(&current, SECRET_ACCESS_KEY_FIELD)
    ));
    assert!(
        ids(&iam.keys(USER)).contains(&foreign.id),
        "the foreign key stays"
    );
}

#[tokio::test]
async fn test_secret_waits_for_sts_to_recognise_the_new_key() {
    let (iam, initial, _) = seeded();
    iam.set_sts_lag(3);
    let harness = harness(&iam, &initial);
    harness.rotate().await.unwrap();
    let sts = iam
        .calls()
        .iter()
        .filter(|call| *call == "GetCallerIdentity")
        .count();
    assert_eq!(sts, 4, "three refusals, then success");
}

#[tokio::test]
async fn test_secret_gives_up_at_the_deadline_with_a_transient_error() {
    let (iam, initial, _) = seeded();
    iam.set_sts_lag(1000);
    let harness = harness(&iam, &initial);
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    harness.step(&token, Step::SetSecret).await.unwrap();
    let mut event = RotationEvent::new(&harness.arn, &token, Step::TestSecret);
    event.rotation_token = harness.rotation_token().cloned();
    let started = std::time::Instant::now();
    let error = harness
        .function
        .invoke(&event, Deadline::after(Duration::from_millis(1500)))
        .await
        .unwrap_err();
    assert_eq!(error_type(&error), "IamAccessKeyNotPropagated", "{error}");
    assert_eq!(error.class(), ErrorClass::Transient);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn no_secret_access_key_reaches_the_logs_or_errors_at_trace() {
    let capture = LogCapture::start();
    let (iam, initial, old_secret) = seeded();
    iam.set_sts_lag(1);
    let harness = harness(&iam, &initial);
    harness.rotate().await.unwrap();
    harness.rotate().await.unwrap();
    let current = value(&harness, StagingLabel::Current).await;
    let previous = value(&harness, StagingLabel::Previous).await;
    let new_secret = field(&current, SECRET_ACCESS_KEY_FIELD).to_owned();
    let middle_secret = field(&previous, SECRET_ACCESS_KEY_FIELD).to_owned();
    assert!(
        capture.text().contains("created the new access key"),
        "the capture works"
    );
    assert_eq!(
        capture.leaked(&[
            &old_secret,
            &new_secret,
            &middle_secret,
            super::support::ROTATION_TOKEN
        ]),
        Vec::<&str>::new()
    );
    let debug = format!("{current:?} {:?}", iam.add_key(USER, an_hour_ago()));
    assert!(!debug.contains(&new_secret), "{debug}");
}

/// The figures in BENCHMARKS.md: Secrets Manager and IAM calls of a first rotation and of a
/// steady-state one (AWSPREVIOUS's key deleted to make room).
#[tokio::test]
async fn a_steady_state_rotation_makes_fifteen_secrets_manager_calls_and_six_iam_calls() {
    let (iam, initial, _) = seeded();
    let harness = harness(&iam, &initial);
    let mut counts = Vec::new();
    for _rotation in 0..2 {
        harness.store().faults().clear_log();
        harness.faults.clear_log();
        harness.rotate().await.unwrap();
        counts.push((harness.store().faults().log().len(), harness.faults.log().len()));
    }
    assert_eq!(counts, [(14, 5), (15, 6)], "{:?}", harness.store().faults().log());
}

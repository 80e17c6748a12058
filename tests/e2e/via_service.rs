//! `rotor rotate --all --via-service` and `rotor check --via-service` against moto whose
//! RotateSecret invokes the real `hmac-key-rotator` bootstrap (see `e2e::deployed`): a fleet of
//! 100 with one failure, throttling and a secret without rotation; a RotateSecret error (a
//! rotation in progress) as one secret's row; and the deployed configuration test passing and
//! failing.

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::Client;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::bootstrap::Launch;
use super::deployed::{Deployed, rotor};
use super::lambdas::HMAC_KEY;

/// A valid hmac-key secret with a distinct key.
fn hmac_secret(seed: u8) -> String {
    let key: Vec<u8> = (0..32).map(|i| i ^ seed).collect();
    json!({"key_id": format!("k-{seed}"), "signing_key": STANDARD.encode(key), "issuer": "e2e"}).to_string()
}

/// AWSCURRENT that the hmac-key rotator cannot use: no signing key.
const UNUSABLE: &str = r#"{"key_id":"k-broken","issuer":"e2e"}"#;

/// Version id → labels.
async fn labels(client: &Client, name: &str) -> BTreeMap<String, Vec<String>> {
    let versions = client
        .list_secret_version_ids()
        .secret_id(name)
        .include_deprecated(true)
        .send()
        .await
        .unwrap_or_else(|error| panic!("ListSecretVersionIds {name}: {error:?}"));
    versions
        .versions()
        .iter()
        .map(|version| {
            let mut stages = version.version_stages().to_vec();
            stages.sort();
            (version.version_id().unwrap_or_default().to_owned(), stages)
        })
        .collect()
}

fn holder(labels: &BTreeMap<String, Vec<String>>, label: &str) -> Option<String> {
    labels
        .iter()
        .find(|(_, stages)| stages.iter().any(|stage| stage == label))
        .map(|(version, _)| version.clone())
}

async fn value(client: &Client, name: &str, stage: &str) -> String {
    let read = client
        .get_secret_value()
        .secret_id(name)
        .version_stage(stage)
        .send()
        .await
        .unwrap_or_else(|error| panic!("GetSecretValue {name} {stage}: {error:?}"));
    read.secret_string().unwrap_or_default().to_owned()
}

/// The number before `label` in the summary line.
fn summary_count(stdout: &str, label: &str) -> u64 {
    let summary = stdout
        .lines()
        .find(|line| line.starts_with("summary: "))
        .unwrap_or_else(|| panic!("no summary:\n{stdout}"));
    summary
        .split(", ")
        .find_map(|part| part.strip_suffix(label)?.trim().rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} in {summary}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_of_100_rotates_through_the_deployed_function_despite_throttling_one_failure_and_one_unconfigured()
 {
    let deployed = Deployed::start(&Launch::new(HMAC_KEY)).await;
    let client = Client::new(&deployed.moto.sdk_config().await);
    let mut originals = BTreeMap::new();
    for index in 0..100_u8 {
        let name = format!("fleet/key-{index:03}");
        let value = if index == 42 {
            UNUSABLE.to_owned()
        } else {
            hmac_secret(index)
        };
        let created = client
            .create_secret()
            .name(&name)
            .secret_string(value)
            .send()
            .await
            .unwrap();
        originals.insert(name.clone(), created.version_id().unwrap().to_owned());
        deployed
            .moto
            .configure_rotation(&name, &deployed.function_arn)
            .await
            .unwrap();
    }
    client
        .create_secret()
        .name("fleet/unconfigured")
        .secret_string(hmac_secret(200))
        .send()
        .await
        .unwrap();
    // key-000 … key-009: their first three RotateSecret calls are throttled, one more than the
    // SDK's own three attempts absorb, so the CLI's backoff has to retry each of them.
    deployed
        .moto
        .throttle_rotate_secret("fleet/key-00", 3)
        .await
        .unwrap();

    let run = rotor(
        &deployed.moto,
        &[
            "rotate",
            "--all",
            "--filter",
            "fleet/",
            "--via-service",
            "--concurrency",
            "8",
            "--rate",
            "100",
            "--wait",
            "15",
        ],
    )
    .await;

    run.expect(1);
    assert!(
        run.stdout
            .contains("summary: 101 secrets, 99 rotated, 1 failed, 1 not configured"),
        "{}\n{}\n{}",
        run.stdout,
        run.stderr,
        deployed.function_output().await
    );
    let stats = deployed.moto.stats().await.unwrap();
    assert_eq!(stats["Throttled"], 30, "{stats}");
    assert!(
        summary_count(&run.stdout, "throttled call(s) retried") >= 10,
        "every throttled secret was retried by the CLI: {}",
        run.stdout
    );
    assert_eq!(
        stats["RotationsStarted"], 100,
        "one rotation per configured secret: {stats}"
    );
    assert_eq!(stats["RotationsCompleted"], 99, "{stats}");
    assert_eq!(stats["RotationsFailed"], 1, "{stats}");

    for (name, original) in &originals {
        let after = labels(&client, name).await;
        if name == "fleet/key-042" {
            continue;
        }
        let current = holder(&after, "AWSCURRENT").unwrap();
        assert_ne!(&current, original, "{name}");
        assert_eq!(holder(&after, "AWSPREVIOUS").as_ref(), Some(original), "{name}");
        let row = run.row(name);
        assert!(
            row.contains(" rotated ") && row.contains(&format!("AWSCURRENT {current}")),
            "the row names the new version: {row}"
        );
        assert_ne!(
            value(&client, name, "AWSCURRENT").await,
            value(&client, name, "AWSPREVIOUS").await
        );
    }

    let failed = labels(&client, "fleet/key-042").await;
    assert_eq!(
        holder(&failed, "AWSCURRENT").as_ref(),
        originals.get("fleet/key-042"),
        "AWSCURRENT is unchanged"
    );
    let pending = holder(&failed, "AWSPENDING").expect("the failed rotation keeps AWSPENDING");
    let row = run.row("fleet/key-042");
    assert!(
        row.contains("FAILED") && row.contains("RotationNotFinished") && row.contains(&pending),
        "{row}"
    );
    assert!(
        run.stderr
            .contains("what to do: Read the rotation function's logs (CloudWatch Logs group /aws/lambda/hmac-key-rotator)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rotor cancel fleet/key-042"),
        "{}",
        run.stderr
    );

    let unconfigured = run.row("fleet/unconfigured");
    assert!(
        unconfigured.contains("not configured") && unconfigured.contains("not called"),
        "{unconfigured}"
    );
    assert_eq!(
        labels(&client, "fleet/unconfigured").await.len(),
        1,
        "never rotated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_via_service_runs_the_deployed_test_changing_nothing_when_it_passes_and_reports_its_failure() {
    let deployed = Deployed::start(&Launch::new(HMAC_KEY)).await;
    let client = Client::new(&deployed.moto.sdk_config().await);
    for (name, value) in [("check/good", hmac_secret(1)), ("check/bad", UNUSABLE.to_owned())] {
        client
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .unwrap();
        deployed
            .moto
            .configure_rotation(name, &deployed.function_arn)
            .await
            .unwrap();
    }
    let labels_before = labels(&client, "check/good").await;
    let value_before = value(&client, "check/good", "AWSCURRENT").await;

    let one = rotor(&deployed.moto, &["check", "check/good", "--via-service"]).await;
    one.expect(0);
    assert!(
        one.stdout.contains(
            "passed: secret readable, rotation function set, rotation enabled, no rotation in progress, deployed testSecret"
        ),
        "{}\n{}",
        one.stdout,
        one.stderr
    );

    let fleet = rotor(
        &deployed.moto,
        &["check", "--all", "--filter", "check/", "--via-service"],
    )
    .await;
    fleet.expect(1);
    assert!(fleet.row("check/good").contains(" ok "), "{}", fleet.stdout);
    let bad = fleet.row("check/bad");
    assert!(
        bad.contains("FAIL") && bad.contains("deployed testSecret"),
        "{bad}"
    );
    assert!(
        fleet.stdout.contains("testSecret failed: MalformedSecret"),
        "the function's error is the reason: {}",
        fleet.stdout
    );
    assert!(
        fleet
            .stdout
            .contains("summary: 2 secret(s), 1 would rotate, 1 would fail"),
        "{}",
        fleet.stdout
    );

    assert_eq!(
        labels(&client, "check/good").await,
        labels_before,
        "no version or label changed"
    );
    assert_eq!(value(&client, "check/good", "AWSCURRENT").await, value_before);
    assert_eq!(
        labels(&client, "check/bad").await.len(),
        1,
        "the test version of the failed test is gone too"
    );
    let stats = deployed.moto.stats().await.unwrap();
    assert_eq!(
        (stats["TestsPassed"].as_u64(), stats["TestsFailed"].as_u64()),
        (Some(2), Some(1)),
        "{stats}"
    );
    assert_eq!(stats["RotationsStarted"], 0, "nothing was rotated: {stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotate_secret_error_is_that_secrets_row_and_the_others_still_rotate() {
    let deployed = Deployed::start(&Launch::new(HMAC_KEY)).await;
    let client = Client::new(&deployed.moto.sdk_config().await);
    for (index, name) in ["mixed/ok", "mixed/stuck"].into_iter().enumerate() {
        let seed = u8::try_from(index).unwrap();
        client
            .create_secret()
            .name(name)
            .secret_string(hmac_secret(seed))
            .send()
            .await
            .unwrap();
        deployed
            .moto
            .configure_rotation(name, &deployed.function_arn)
            .await
            .unwrap();
    }
    // A rotation left in progress: AWSPENDING on a version that is not AWSCURRENT.
    let stuck = uuid::Uuid::new_v4().to_string();
    client
        .put_secret_value()
        .secret_id("mixed/stuck")
        .client_request_token(&stuck)
        .secret_string(hmac_secret(9))
        .version_stages("AWSPENDING")
        .send()
        .await
        .unwrap();

    let one = rotor(
        &deployed.moto,
        &["rotate", "mixed/ok", "--via-service", "--wait", "30"],
    )
    .await;
    one.expect(0);
    let current = holder(&labels(&client, "mixed/ok").await, "AWSCURRENT").unwrap();
    assert!(
        one.row("mixed/ok").contains(&format!("AWSCURRENT {current}")),
        "{}",
        one.stdout
    );

    let calls_before = deployed.moto.stats().await.unwrap()["RotateSecretCalls"].as_u64();
    let check = rotor(&deployed.moto, &["check", "mixed/stuck", "--via-service"]).await;
    check.expect(1);
    let row = check.row("mixed/stuck");
    assert!(
        row.contains("FAIL") && row.contains("no rotation in progress"),
        "{row}"
    );

    let fleet = rotor(
        &deployed.moto,
        &[
            "rotate",
            "--all",
            "--filter",
            "mixed/",
            "--via-service",
            "--wait",
            "30",
        ],
    )
    .await;
    fleet.expect(1);
    assert!(fleet.row("mixed/ok").contains(" rotated "), "{}", fleet.stdout);
    let row = fleet.row("mixed/stuck");
    assert!(
        row.contains("FAILED")
            && row.contains("RotateSecret (InvalidRequest)")
            && row.contains("isn't complete"),
        "{row}"
    );
    assert!(
        fleet
            .stdout
            .contains("summary: 2 secrets, 1 rotated, 1 failed, 0 not configured"),
        "{}",
        fleet.stdout
    );
    assert!(
        fleet.stderr.contains("rotor cancel mixed/stuck"),
        "{}",
        fleet.stderr
    );
    let stats = deployed.moto.stats().await.unwrap();
    assert_eq!(
        stats["RotateSecretCalls"].as_u64(),
        calls_before.map(|calls| calls + 2),
        "the check sent no RotateSecret; the fleet one per secret: {stats}"
    );
    assert_eq!(
        holder(&labels(&client, "mixed/stuck").await, "AWSPENDING"),
        Some(stuck),
        "the rotation in progress is left alone"
    );
}

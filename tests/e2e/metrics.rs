//! The Embedded Metric Format lines the release binaries print: one per invocation (namespace
//! Rotor, dimensions Rotator and Step), a second one per failure (plus ErrorType), read from the
//! real process's stdout as CloudWatch Logs would read them.

use rotor_testkit::MotoServer;
use serde_json::{Value, json};

use super::bootstrap::Launch;
use super::lambdas::HMAC_KEY;
use super::rotation::{Function, ROTATION_TOKEN, STEPS, Secrets, field, leaked, new_token};

const INITIAL_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Every stdout line that is an EMF object (top-level `_aws`).
fn emf_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect()
}

fn dimensions(line: &Value) -> &Value {
    &line["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
}

#[tokio::test]
async fn a_rotation_prints_one_emf_line_per_step_with_invocations_errors_and_duration() {
    let moto = MotoServer::start().await.unwrap();
    let secrets = Secrets::new(&moto).await;
    let arn = secrets
        .create(
            "signing-key",
            &json!({"key_id": "k0", "signing_key": INITIAL_KEY}),
        )
        .await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let mut function = Function::start(&Launch::new(HMAC_KEY), &moto).await;

    function.rotate(&arn, &token).await;

    let stdout = function.process.stdout();
    let lines = emf_lines(&stdout);
    let steps: Vec<&str> = lines.iter().map(|line| line["Step"].as_str().unwrap()).collect();
    assert_eq!(steps, STEPS, "one line per invocation, in order:\n{stdout}");
    for line in &lines {
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Rotor");
        assert_eq!(dimensions(line), &json!([["Rotator", "Step"]]));
        assert_eq!(
            directive["Metrics"],
            json!([
                {"Name": "Invocations", "Unit": "Count"},
                {"Name": "Errors", "Unit": "Count"},
                {"Name": "Duration", "Unit": "Milliseconds"},
            ])
        );
        assert!(line["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
        assert_eq!(line["Rotator"], "hmac-key");
        assert_eq!(line["Invocations"], 1);
        assert_eq!(line["Errors"], 0);
        assert!(line["Duration"].as_f64().unwrap() > 0.0, "{line}");
    }
    let new_key = secrets.value(&arn, "AWSCURRENT").await;
    let emf = lines.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    let needles = [
        INITIAL_KEY,
        field(&new_key, "signing_key"),
        ROTATION_TOKEN,
        token.as_str(),
    ];
    assert_eq!(leaked(&emf, &needles), Vec::<&str>::new(), "{emf}");
}

#[tokio::test]
async fn a_failed_step_prints_an_error_count_and_a_line_with_its_error_type() {
    let moto = MotoServer::start().await.unwrap();
    let secrets = Secrets::new(&moto).await;
    let arn = secrets
        .create(
            "signing-key",
            &json!({"key_id": "k0", "signing_key": INITIAL_KEY}),
        )
        .await;
    let mut function = Function::start(&Launch::new(HMAC_KEY), &moto).await;

    // A token that is not a version of the secret: UnknownVersion.
    let outcome = function.step("setSecret", &arn, &new_token()).await;
    assert!(
        matches!(outcome, super::runtime_api::Outcome::Error(_)),
        "{outcome:?}"
    );

    let stdout = function.process.stdout();
    let lines = emf_lines(&stdout);
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(dimensions(&lines[0]), &json!([["Rotator", "Step"]]));
    assert_eq!(lines[0]["Step"], "setSecret");
    assert_eq!(lines[0]["Invocations"], 1);
    assert_eq!(lines[0]["Errors"], 1);
    assert_eq!(dimensions(&lines[1]), &json!([["Rotator", "Step", "ErrorType"]]));
    assert_eq!(
        lines[1]["_aws"]["CloudWatchMetrics"][0]["Metrics"],
        json!([{"Name": "Errors", "Unit": "Count"}])
    );
    assert_eq!(lines[1]["Rotator"], "hmac-key");
    assert_eq!(lines[1]["Step"], "setSecret");
    assert_eq!(lines[1]["ErrorType"], "UnknownVersion");
    assert_eq!(lines[1]["Errors"], 1);
    let emf = format!("{}\n{}", lines[0], lines[1]);
    assert_eq!(
        leaked(&emf, &[INITIAL_KEY, ROTATION_TOKEN]),
        Vec::<&str>::new(),
        "{emf}"
    );
}

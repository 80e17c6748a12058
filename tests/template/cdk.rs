//! examples/cdk synthesizes offline into a stack that rotates a secret with a rotor function.
//!
//! `scripts/setup` installs the CDK packages (examples/cdk/node_modules, from the committed
//! package-lock.json). The test compiles the app with `tsc` (into examples/cdk/build, ignored by
//! git) and runs `cdk synth` (the app of examples/cdk/cdk.json) with a fixed
//! account and region, no version reporting, no notices and no telemetry, so nothing is looked
//! up in AWS. The function's asset is a placeholder zip made here: what is asserted is the
//! template, not the binary (the e2e tests run the real ones).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::e2e::lambdas::workspace_root;

fn run(dir: &Path, program: &Path, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("CDK_DEFAULT_ACCOUNT", "111122223333")
        .env("CDK_DEFAULT_REGION", "eu-west-1")
        .env("CDK_DISABLE_CLI_TELEMETRY", "true")
        .env("CI", "true")
        .output()
        .unwrap_or_else(|e| panic!("{} (run scripts/setup): {e}", program.display()));
    assert!(
        output.status.success(),
        "{} {args:?} failed:\n{}\n{}",
        program.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A zip holding one file, `bootstrap`, written with the venv's Python (no zip crate needed).
fn placeholder_zip(path: &Path) {
    let python = workspace_root().join(".venv/bin/python");
    let status = Command::new(&python)
        .arg("-c")
        .arg("import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z: z.writestr('bootstrap', '#!/bin/sh\\n')")
        .arg(path)
        .status()
        .expect("the venv's python");
    assert!(status.success());
}

fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<&'a Value> {
    template["Resources"]
        .as_object()
        .expect("Resources")
        .values()
        .filter(|r| r["Type"] == kind)
        .collect()
}

fn logical_id_of<'a>(template: &'a Value, kind: &str) -> &'a str {
    let ids: Vec<&str> = template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(ids.len(), 1, "one {kind}: {ids:?}");
    ids[0]
}

#[test]
fn the_cdk_example_synthesizes_a_rotation_with_its_invoke_permission_and_alarm() {
    let cdk = workspace_root().join("examples/cdk");
    let scratch = tempfile_dir();
    let zip = scratch.join("bootstrap.zip");
    placeholder_zip(&zip);
    let out = scratch.join("cdk.out");

    // Into examples/cdk/build (ignored by git): node resolves aws-cdk-lib next to the app.
    run(&cdk, &cdk.join("node_modules/.bin/tsc"), &[]);
    run(
        &cdk,
        &cdk.join("node_modules/.bin/cdk"),
        &[
            "synth",
            "--output",
            out.to_str().unwrap(),
            "--no-version-reporting",
            "--no-notices",
            "--quiet",
            "--context",
            &format!("functionZip={}", zip.display()),
            "--context",
            "architecture=arm64",
        ],
    );
    let template: Value =
        serde_json::from_slice(&std::fs::read(out.join("RotorRotation.template.json")).unwrap()).unwrap();

    let function_id = logical_id_of(&template, "AWS::Lambda::Function");
    let function = &template["Resources"][function_id]["Properties"];
    assert_eq!(function["Runtime"], "provided.al2023");
    assert_eq!(function["Handler"], "bootstrap");
    assert_eq!(function["Architectures"], json!(["arm64"]));
    assert_eq!(
        function["Environment"]["Variables"]["ROTOR_PASSWORD_SOURCE"],
        "local"
    );
    let function_arn = json!({ "Fn::GetAtt": [function_id, "Arn"] });

    let schedule = &of_type(&template, "AWS::SecretsManager::RotationSchedule")[0]["Properties"];
    assert_eq!(schedule["RotationLambdaARN"], function_arn);
    assert_eq!(
        schedule["RotationRules"],
        json!({ "ScheduleExpression": "rate(30 days)" })
    );
    let secret_id = logical_id_of(&template, "AWS::SecretsManager::Secret");
    assert_eq!(schedule["SecretId"], json!({ "Ref": secret_id }));

    let permission = &of_type(&template, "AWS::Lambda::Permission")[0]["Properties"];
    assert_eq!(permission["Action"], "lambda:InvokeFunction");
    assert_eq!(permission["Principal"], "secretsmanager.amazonaws.com");
    assert_eq!(permission["FunctionName"], function_arn);

    // addRotationSchedule scopes the four rotation actions to this secret.
    let statements: Vec<&Value> = of_type(&template, "AWS::IAM::Policy")
        .into_iter()
        .flat_map(|p| p["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap())
        .collect();
    let rotation = statements
        .iter()
        .find(|s| {
            s["Action"]
                .as_array()
                .is_some_and(|a| a.contains(&json!("secretsmanager:PutSecretValue")))
        })
        .expect("a rotation statement");
    assert_eq!(rotation["Resource"], json!({ "Ref": secret_id }));
    assert_eq!(
        rotation["Action"],
        json!([
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage"
        ])
    );

    let alarm = &of_type(&template, "AWS::CloudWatch::Alarm")[0]["Properties"];
    assert_eq!(alarm["Namespace"], "AWS/Lambda");
    assert_eq!(alarm["MetricName"], "Errors");
    assert_eq!(
        alarm["Dimensions"],
        json!([{ "Name": "FunctionName", "Value": { "Ref": function_id } }])
    );
    assert_eq!(alarm["Threshold"], 1);
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
    let topic_id = logical_id_of(&template, "AWS::SNS::Topic");
    assert_eq!(alarm["AlarmActions"], json!([{ "Ref": topic_id }]));

    std::fs::remove_dir_all(&scratch).ok();
}

/// A fresh directory under the system temp dir, unique to this process.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rotor-cdk-synth-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

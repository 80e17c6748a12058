//! The operations template.yaml ships around the functions: failure alerts (topic, alarms,
//! Secrets Manager rule), the dashboard, and the Serverless Application Repository metadata.

use serde_json::{Value, json};

use super::cfn::{Deployed, FUNCTIONS, TEMPLATE, get_att, reference};
use crate::e2e::lambdas::workspace_root;

#[test]
fn each_function_has_an_alarm_on_its_lambda_errors_that_notifies_the_topic() {
    let deployed = Deployed::with(&[("Rotator", "all")]);
    let mut alarms = deployed.of_type("AWS::CloudWatch::Alarm");
    alarms.sort_unstable();
    let mut expected: Vec<String> = FUNCTIONS.iter().map(|(p, _)| format!("{p}ErrorsAlarm")).collect();
    expected.sort();
    assert_eq!(alarms, expected);
    for (prefix, _) in FUNCTIONS {
        let alarm = &deployed.resource(&format!("{prefix}ErrorsAlarm"))["Properties"];
        assert_eq!(alarm["Namespace"], "AWS/Lambda");
        assert_eq!(alarm["MetricName"], "Errors");
        assert_eq!(
            alarm["Dimensions"],
            json!([{ "Name": "FunctionName", "Value": reference(&format!("{prefix}Function")) }])
        );
        assert_eq!(alarm["Statistic"], "Sum");
        assert_eq!(alarm["Threshold"], 1);
        assert_eq!(alarm["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
        assert_eq!(alarm["EvaluationPeriods"], 1);
        assert_eq!(
            alarm["TreatMissingData"], "notBreaching",
            "no invocation is no failure"
        );
        // Resolved: the created topic, since AlarmTopicArn is empty by default.
        assert_eq!(alarm["AlarmActions"], json!([reference("FailureAlertsTopic")]));
    }
}

#[test]
fn the_rule_matches_rotation_failed_and_abandoned_for_the_secret_name_prefix() {
    let deployed = Deployed::with(&[
        ("Rotator", "postgres-single-user"),
        ("RotatedSecretNamePrefix", "prod/db/"),
    ]);
    let rule = &deployed.resource("RotationFailureRule")["Properties"];
    assert_eq!(
        rule["EventPattern"],
        json!({
            "source": ["aws.secretsmanager"],
            "detail-type": ["AWS Service Event via CloudTrail"],
            "detail": {
                "eventSource": ["secretsmanager.amazonaws.com"],
                "eventName": ["RotationFailed", "RotationAbandoned"],
                "additionalEventData": { "SecretId": [{ "prefix": { "Fn::Sub":
                    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${RotatedSecretNamePrefix}" } }] }
            }
        })
    );
    assert_eq!(rule["State"], "ENABLED");
    assert_eq!(
        rule["Targets"],
        json!([{ "Id": "FailureAlertsTopic", "Arn": reference("FailureAlertsTopic") }])
    );
}

#[test]
fn only_this_stacks_rule_and_alarms_may_publish_to_the_created_topic() {
    let deployed = Deployed::with(&[("Rotator", "postgres-single-user")]);
    let policy = &deployed.resource("FailureAlertsTopicPolicy")["Properties"];
    assert_eq!(policy["Topics"], json!([reference("FailureAlertsTopic")]));
    let statements = policy["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements");
    assert_eq!(statements.len(), 2, "{statements:?}");
    for statement in statements {
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(statement["Action"], "sns:Publish");
        assert_eq!(statement["Resource"], reference("FailureAlertsTopic"));
    }
    assert_eq!(
        statements[0]["Principal"],
        json!({ "Service": "events.amazonaws.com" })
    );
    assert_eq!(
        statements[0]["Condition"],
        json!({ "ArnEquals": { "aws:SourceArn": get_att("RotationFailureRule", "Arn") } })
    );
    assert_eq!(
        statements[1]["Principal"],
        json!({ "Service": "cloudwatch.amazonaws.com" })
    );
    assert_eq!(
        statements[1]["Condition"],
        json!({
            "ArnEquals": { "aws:SourceArn": [get_att("PostgresSingleUserErrorsAlarm", "Arn")] },
            "StringEquals": { "aws:SourceAccount": reference("AWS::AccountId") }
        }),
        "only the deployed function's alarm"
    );
}

#[test]
fn an_existing_topic_is_used_as_given_and_nothing_is_created_for_it() {
    let arn = "arn:aws:sns:eu-west-1:111122223333:platform-alerts";
    let deployed = Deployed::with(&[
        ("Rotator", "mysql-single-user"),
        ("AlarmTopicArn", arn),
        ("AlarmEmail", "ops@example.com"),
    ]);
    assert!(deployed.of_type("AWS::SNS::Topic").is_empty());
    assert!(deployed.of_type("AWS::SNS::TopicPolicy").is_empty());
    let given = reference("AlarmTopicArn");
    assert_eq!(
        deployed.resource("MysqlSingleUserErrorsAlarm")["Properties"]["AlarmActions"],
        json!([given])
    );
    assert_eq!(
        deployed.resource("RotationFailureRule")["Properties"]["Targets"][0]["Arn"],
        given
    );
    let subscription = &deployed.resource("FailureAlertsEmail")["Properties"];
    assert_eq!(subscription["TopicArn"], given);
    assert_eq!(subscription["Protocol"], "email");
    assert_eq!(deployed.outputs["FailureAlertsTopicARN"]["Value"], given);
}

#[test]
fn failure_alerts_off_deploys_no_topic_alarm_or_rule() {
    let deployed = Deployed::with(&[
        ("Rotator", "all"),
        ("FailureAlerts", "false"),
        ("AlarmEmail", "ops@example.com"),
    ]);
    for kind in [
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
        "AWS::SNS::Subscription",
        "AWS::CloudWatch::Alarm",
        "AWS::Events::Rule",
    ] {
        assert!(deployed.of_type(kind).is_empty(), "{kind}: {:?}", deployed.ids());
    }
    let on = Deployed::with(&[("Rotator", "all")]);
    assert!(
        on.of_type("AWS::SNS::Subscription").is_empty(),
        "no e-mail address, no subscription"
    );
    assert_eq!(
        on.of_type("AWS::SNS::Topic"),
        ["FailureAlertsTopic"],
        "alerts are on by default"
    );
}

#[test]
fn the_dashboard_charts_the_functions_emf_metrics_per_step() {
    assert!(
        Deployed::with(&[("Rotator", "all")])
            .of_type("AWS::CloudWatch::Dashboard")
            .is_empty(),
        "off by default"
    );
    let deployed = Deployed::with(&[("Rotator", "all"), ("Dashboard", "true")]);
    let body = deployed.resource("RotationDashboard")["Properties"]["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("a Sub string");
    // The only substitutions are the region and the function name.
    let substituted = body
        .replace("${AWS::Region}", "eu-west-1")
        .replace("${functionName}", "rotor");
    assert!(!substituted.contains("${"), "{substituted}");
    let dashboard: Value = serde_json::from_str(&substituted).expect("the body is JSON");
    let expressions: Vec<String> = dashboard["widgets"]
        .as_array()
        .expect("widgets")
        .iter()
        .flat_map(|w| w["properties"]["metrics"].as_array().into_iter().flatten())
        .flat_map(|row| row.as_array().into_iter().flatten())
        .filter_map(|m| m["expression"].as_str().map(str::to_owned))
        .collect();
    // The names rotor-core's EMF lines use: namespace Rotor, dimensions Rotator and Step
    // (ErrorType in its own set), metrics Invocations, Errors and Duration.
    for metric in ["Invocations", "Errors", "Duration"] {
        let search = format!("SEARCH('{{Rotor,Rotator,Step}} MetricName=\"{metric}\"'");
        assert!(
            expressions.iter().any(|e| e.starts_with(&search)),
            "{search} in {expressions:?}"
        );
    }
    assert!(
        expressions
            .iter()
            .any(|e| e.starts_with("SEARCH('{Rotor,ErrorType,Rotator,Step} MetricName=\"Errors\"'"))
    );
    assert!(
        expressions
            .iter()
            .any(|e| e.starts_with("SEARCH('{AWS/Lambda,FunctionName} MetricName=\"Errors\""))
    );
}

#[test]
fn the_serverless_application_repository_metadata_is_complete_and_its_files_exist() {
    let app = &TEMPLATE["Metadata"]["AWS::ServerlessRepo::Application"];
    for field in [
        "Name",
        "Description",
        "Author",
        "SpdxLicenseId",
        "LicenseUrl",
        "ReadmeUrl",
        "HomePageUrl",
        "SemanticVersion",
        "SourceCodeUrl",
    ] {
        assert!(
            app[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {app}"
        );
    }
    assert!(app["Labels"].as_array().is_some_and(|l| !l.is_empty()));
    assert_eq!(
        app["SemanticVersion"],
        env!("CARGO_PKG_VERSION"),
        "the workspace version"
    );
    assert_eq!(
        app["SpdxLicenseId"], "Apache-2.0",
        "one of the workspace's licenses"
    );
    for file in [&app["LicenseUrl"], &app["ReadmeUrl"]] {
        let path = workspace_root().join(file.as_str().expect("a path"));
        assert!(path.is_file(), "{} is missing", path.display());
    }
}

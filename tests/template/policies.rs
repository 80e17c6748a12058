//! The execution roles of template.yaml grant least privilege, for every parameter that
//! changes them.

use serde_json::{Value, json};

use super::cfn::{Deployed, FUNCTIONS, get_att, list, reference};

fn statements_of_every_role(deployed: &Deployed) -> Vec<(String, Value)> {
    let roles = deployed.of_type("AWS::IAM::Role");
    assert_eq!(
        roles.len(),
        FUNCTIONS.len(),
        "Rotator=all deploys one role per function: {roles:?}"
    );
    roles
        .into_iter()
        .flat_map(|role| {
            deployed
                .role_statements(role)
                .into_iter()
                .map(move |s| (role.to_owned(), s.clone()))
        })
        .collect()
}

fn actions(statement: &Value) -> Vec<&str> {
    list(&statement["Action"])
        .into_iter()
        .map(|a| a.as_str().expect("action"))
        .collect()
}

/// The read-only Redshift calls that find a Redshift-managed admin secret's endpoint. None of
/// them supports a resource-level permission, so they are the one other wildcard statement.
const REDSHIFT_ENDPOINT_ACTIONS: [&str; 3] = [
    "redshift:DescribeClusters",
    "redshift-serverless:ListNamespaces",
    "redshift-serverless:ListWorkgroups",
];

/// Whether `statement` is the Redshift endpoint lookup, exactly.
fn is_redshift_endpoint_lookup(statement: &Value) -> bool {
    actions(statement) == REDSHIFT_ENDPOINT_ACTIONS
}

#[test]
fn no_role_grants_a_wildcard_resource_when_passwords_are_generated_locally() {
    let deployed = Deployed::with(&[("Rotator", "all")]);
    for (role, statement) in statements_of_every_role(&deployed) {
        assert_eq!(statement["Effect"], "Allow", "{role}: {statement}");
        for resource in list(&statement["Resource"]) {
            if is_redshift_endpoint_lookup(&statement) && role == "RedshiftMultiUserRole" {
                continue;
            }
            assert_ne!(resource, "*", "{role}: {statement}");
        }
        for action in actions(&statement) {
            assert!(!action.contains('*'), "{role}: wildcard action in {statement}");
            assert_ne!(action, "secretsmanager:GetRandomPassword", "{role}: {statement}");
            assert!(
                !action.starts_with("cloudwatch:"),
                "{role}: EMF metrics need no CloudWatch API: {statement}"
            );
            assert!(
                !action.starts_with("events:"),
                "{role}: no event bus configured: {statement}"
            );
        }
    }
}

#[test]
fn get_random_password_is_the_only_wildcard_and_only_with_password_source_secretsmanager() {
    let deployed = Deployed::with(&[("Rotator", "all"), ("PasswordSource", "secretsmanager")]);
    let mut roles_with_it = Vec::new();
    for (role, statement) in statements_of_every_role(&deployed) {
        if list(&statement["Resource"]).contains(&&json!("*")) && !is_redshift_endpoint_lookup(&statement) {
            assert_eq!(
                actions(&statement),
                ["secretsmanager:GetRandomPassword"],
                "{role}: {statement}"
            );
            roles_with_it.push(role);
        }
    }
    assert_eq!(roles_with_it.len(), FUNCTIONS.len(), "{roles_with_it:?}");
    assert_eq!(
        deployed.environment()["ROTOR_PASSWORD_SOURCE"],
        reference("PasswordSource")
    );
}

#[test]
fn secrets_are_reachable_only_when_their_rotation_function_is_this_function() {
    for (prefix, rotator) in FUNCTIONS {
        let deployed = Deployed::with(&[("Rotator", rotator), ("functionName", "rotate-orders")]);
        let role = format!("{prefix}Role");
        let statement = deployed
            .role_statements(&role)
            .into_iter()
            .find(|s| s["Sid"] == "RotateSecretsAssignedToThisFunction")
            .unwrap_or_else(|| panic!("{role} has no rotation statement"));
        let arn = &statement["Condition"]["StringEquals"]["secretsmanager:resource/AllowRotationLambdaArn"];
        assert_eq!(
            arn["Fn::Sub"][1]["Name"],
            reference("functionName"),
            "{role}: a single function is named functionName: {arn}"
        );
        assert!(
            arn["Fn::Sub"][0]
                .as_str()
                .is_some_and(|s| s.ends_with(":function:${Name}")),
            "{role}: {arn}"
        );
    }
}

#[test]
fn put_events_is_granted_on_the_configured_bus_only() {
    let off = Deployed::with(&[("Rotator", "all")]);
    assert!(
        !off.environment().contains_key("ROTOR_EVENT_BUS"),
        "the notification is off by default"
    );

    let on = Deployed::with(&[("Rotator", "all"), ("EventBusName", "rotations")]);
    assert_eq!(on.environment()["ROTOR_EVENT_BUS"], reference("EventBusName"));
    let bus = json!({ "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}" });
    let mut granted = 0;
    for (role, statement) in statements_of_every_role(&on) {
        if actions(&statement).iter().any(|a| a.starts_with("events:")) {
            assert_eq!(actions(&statement), ["events:PutEvents"], "{role}: {statement}");
            assert_eq!(statement["Resource"], bus, "{role}: only the configured bus");
            granted += 1;
        }
    }
    assert_eq!(granted, FUNCTIONS.len());
}

#[test]
fn rds_describe_is_granted_to_the_alternating_users_roles_on_db_and_cluster_arns_only() {
    let deployed = Deployed::with(&[
        ("Rotator", "all"),
        (
            "masterSecretArn",
            "arn:aws:secretsmanager:eu-west-1:1:secret:m-abcdef",
        ),
    ]);
    let mut roles = Vec::new();
    for (role, statement) in statements_of_every_role(&deployed) {
        if !actions(&statement).iter().any(|a| a.starts_with("rds:")) {
            continue;
        }
        assert_eq!(
            actions(&statement),
            ["rds:DescribeDBInstances", "rds:DescribeDBClusters"],
            "{role}"
        );
        let resources: Vec<&str> = list(&statement["Resource"])
            .into_iter()
            .map(|r| r["Fn::Sub"].as_str().expect("an ARN built with Sub"))
            .collect();
        assert_eq!(
            resources,
            [
                "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:*",
                "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:*",
            ],
            "{role}"
        );
        roles.push(role);
    }
    roles.sort();
    assert_eq!(roles, ["MysqlMultiUserRole", "PostgresMultiUserRole"]);
}

#[test]
fn redshift_endpoint_lookups_are_granted_read_only_to_the_redshift_multi_user_role_only() {
    for extra in [
        &[][..],
        &[(
            "masterSecretArn",
            "arn:aws:secretsmanager:eu-west-1:1:secret:m-abcdef",
        )],
    ] {
        let mut parameters = vec![("Rotator", "all")];
        parameters.extend_from_slice(extra);
        let deployed = Deployed::with(&parameters);
        let mut granted = Vec::new();
        for (role, statement) in statements_of_every_role(&deployed) {
            let redshift_actions: Vec<&str> = actions(&statement)
                .into_iter()
                .filter(|a| a.starts_with("redshift:") || a.starts_with("redshift-serverless:"))
                .collect();
            if redshift_actions.is_empty() {
                continue;
            }
            assert_eq!(
                actions(&statement),
                REDSHIFT_ENDPOINT_ACTIONS,
                "{role}: {statement}"
            );
            assert_eq!(statement["Resource"], "*", "{role}: {statement}");
            assert!(statement.get("Condition").is_none(), "{role}: {statement}");
            granted.push(role);
        }
        assert_eq!(granted, ["RedshiftMultiUserRole"], "{extra:?}");
    }
}

#[test]
fn the_master_secret_and_keys_are_granted_only_when_given() {
    let without = Deployed::with(&[("Rotator", "all")]);
    for (role, statement) in statements_of_every_role(&without) {
        assert!(
            !actions(&statement).iter().any(|a| a.starts_with("kms:")),
            "{role}: {statement}"
        );
        assert_ne!(statement["Sid"], "ReadMasterSecret", "{role}");
    }
    let master = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:master-AbCdEf";
    let with = Deployed::with(&[("Rotator", "postgres-multi-user"), ("masterSecretArn", master)]);
    let read = with
        .role_statements("PostgresMultiUserRole")
        .into_iter()
        .find(|s| s["Sid"] == "ReadMasterSecret")
        .expect("the master secret is readable");
    assert_eq!(read["Resource"], reference("masterSecretArn"));
    assert_eq!(
        actions(read),
        ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    );
}

#[test]
fn the_outputs_name_each_function_and_its_execution_role() {
    for (prefix, rotator) in FUNCTIONS {
        let deployed = Deployed::with(&[("Rotator", rotator)]);
        assert_eq!(
            deployed.outputs["RotationLambdaARN"]["Value"],
            get_att(&format!("{prefix}Function"), "Arn")
        );
        assert_eq!(
            deployed.outputs["RotationLambdaRoleARN"]["Value"],
            get_att(&format!("{prefix}Role"), "Arn")
        );
        assert_eq!(
            deployed.of_type("AWS::Serverless::Function"),
            [format!("{prefix}Function")]
        );
    }
    let all = Deployed::with(&[("Rotator", "all")]);
    assert!(
        !all.outputs.contains_key("RotationLambdaRoleARN"),
        "Rotator=all has one output per role"
    );
    for (prefix, _) in FUNCTIONS {
        assert_eq!(
            all.outputs[&format!("{prefix}RoleARN")]["Value"],
            get_att(&format!("{prefix}Role"), "Arn")
        );
    }
}

#[test]
fn password_and_tls_settings_reach_the_function_environment() {
    let deployed = Deployed::with(&[("Rotator", "hmac-key")]);
    let env = deployed.environment();
    assert_eq!(env["PASSWORD_LENGTH"], reference("PasswordLength"));
    assert_eq!(env["ROTOR_PASSWORD_SOURCE"], reference("PasswordSource"));
    assert_eq!(env["ROTOR_TLS"], reference("Tls"));
    let params = &super::cfn::TEMPLATE["Parameters"];
    // The values rotor-core accepts (password::PasswordSource::parse, database::secret's ROTOR_TLS).
    assert_eq!(
        params["PasswordSource"]["AllowedValues"],
        json!(["local", "secretsmanager"])
    );
    assert_eq!(params["PasswordSource"]["Default"], "local");
    assert_eq!(params["Tls"]["AllowedValues"], json!(["verify", "disable"]));
    assert_eq!(params["Tls"]["Default"], "verify");
    assert_eq!(params["PasswordLength"]["Default"], 32, "AWS's default length");
}

#[test]
fn iam_access_keys_are_managed_only_for_the_users_the_iam_users_parameter_names() {
    let deployed = Deployed::with(&[("Rotator", "all")]);
    let mut granted = Vec::new();
    for (role, statement) in statements_of_every_role(&deployed) {
        if !actions(&statement).iter().any(|a| a.starts_with("iam:")) {
            continue;
        }
        assert_eq!(
            actions(&statement),
            [
                "iam:ListAccessKeys",
                "iam:CreateAccessKey",
                "iam:UpdateAccessKey",
                "iam:DeleteAccessKey"
            ],
            "{role}"
        );
        assert_eq!(
            statement["Resource"],
            json!({ "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/${IamUsers}" }),
            "{role}"
        );
        granted.push(role);
    }
    assert_eq!(granted, ["IamAccessKeyRole"]);
    assert_eq!(
        super::cfn::TEMPLATE["Parameters"]["IamUsers"]["Default"],
        "rotor/*"
    );
}

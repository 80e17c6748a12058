//! When AWS cannot be used, the CLI says so in one line plus one line of what to do, with an
//! exit code per cause: no credentials (4), expired credentials (5), access denied (6), no or
//! the wrong region (7), an unreachable endpoint (8, in `moto.rs`). Never an SDK `Debug` dump.

use rotor_testkit::MotoServer;

use super::support::{Run, Sandbox, StubEndpoint, aws_command, moto_user_without_permissions};

/// No `Debug` rendering of an SDK error reached the output.
fn assert_no_debug_dump(run: &Run) {
    for marker in [
        "DispatchFailure",
        "ServiceError {",
        "ConnectorError",
        "raw: Response",
        "ErrorMetadata",
    ] {
        assert!(!run.all().contains(marker), "{marker} in:\n{}", run.all());
    }
}

#[test]
fn no_credentials_is_its_own_error_with_exit_code_4() {
    let sandbox = Sandbox::new();
    let mut command = sandbox.command(&["--store", "aws", "status", "app/key"]);
    command.env("AWS_REGION", "eu-west-1");
    let run = sandbox.run(command, None);
    run.expect(4);
    assert_eq!(
        run.stderr_lines(),
        [
            "store: AWS Secrets Manager (--store aws)",
            "error: no AWS credentials: the credential provider was not enabled: no credentials found in \
             chain. Attempted: Environment: the credential provider was not enabled: environment variable \
             not set Profile: the credential provider was not enabled WebIdentityToken: the credential \
             provider was not enabled: $AWS_WEB_IDENTITY_TOKEN_FILE was not set EcsContainer: the \
             credential provider was not enabled: ECS provider not configured Ec2InstanceMetadata: the \
             credential provider was not enabled: IMDS disabled by AWS_EC2_METADATA_DISABLED env var set \
             to `true`",
            "  what to do: configure credentials (aws configure, aws sso login, AWS_PROFILE, or \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or use the local store: --store local",
        ]
    );
    assert_eq!(run.stdout, "");
    assert_no_debug_dump(&run);
}

#[test]
fn an_expired_token_is_its_own_error_with_exit_code_5() {
    let stub = StubEndpoint::aws_error(
        400,
        "ExpiredTokenException",
        "The security token included in the request is expired",
    );
    let sandbox = Sandbox::new();
    let run = sandbox.run(
        aws_command(&sandbox, &stub.endpoint(), &["status", "app/key"]),
        None,
    );
    run.expect(5);
    assert_eq!(
        run.stderr_lines(),
        [
            format!("store: {} in us-east-1 (--store aws)", stub.endpoint()),
            "error: the AWS credentials have expired: The security token included in the request is expired"
                .to_owned(),
            "  what to do: refresh the credentials (aws sso login, or new temporary keys for \
             AWS_SESSION_TOKEN), then run the command again"
                .to_owned(),
        ]
    );
    assert_eq!(stub.served(), 1, "an expired token is not retried");
    assert_no_debug_dump(&run);
}

#[tokio::test]
async fn access_denied_is_its_own_error_with_exit_code_6() {
    let moto = MotoServer::start().await.unwrap();
    let client = moto.secrets_manager().await.client().clone();
    client
        .create_secret()
        .name("app/key")
        .secret_string("{}")
        .send()
        .await
        .unwrap();
    let (key_id, secret) = moto_user_without_permissions(moto.port(), "nobody");
    let sandbox = Sandbox::new();

    for args in [
        &["status", "app/key"][..],
        &["rotate", "app/key", "--rotator", "hmac-key"][..],
    ] {
        let mut command = aws_command(&sandbox, &moto.endpoint(), args);
        command
            .env("AWS_ACCESS_KEY_ID", &key_id)
            .env("AWS_SECRET_ACCESS_KEY", &secret);
        let run = sandbox.run(command, None);
        run.expect(6);
        let denied = "access denied by Secrets Manager: User: arn:aws:iam::123456789012:user/nobody is not \
                      authorized to perform: secretsmanager:DescribeSecret";
        let error = if args[0] == "rotate" {
            format!("error: rotation of app/key failed at DescribeSecret: {denied}")
        } else {
            format!("error: {denied}")
        };
        assert_eq!(
            run.stderr_lines(),
            [
                format!("store: {} in us-east-1 (--store aws)", moto.endpoint()),
                error,
                "  what to do: check the IAM permissions of these credentials: secretsmanager:DescribeSecret, \
                 GetSecretValue, PutSecretValue, UpdateSecretVersionStage, ListSecretVersionIds, \
                 ListSecrets for --all (and kms:Decrypt for a customer managed key)"
                    .to_owned(),
            ],
            "{args:?}"
        );
        assert_no_debug_dump(&run);
    }
}

#[tokio::test]
async fn a_secret_arn_of_another_region_is_refused_before_any_call_with_exit_code_7() {
    let moto = MotoServer::start().await.unwrap();
    let config = aws_sdk_secretsmanager::config::Builder::from(&moto.sdk_config().await)
        .region(aws_sdk_secretsmanager::config::Region::new("us-west-2"))
        .build();
    let west = aws_sdk_secretsmanager::Client::from_conf(config);
    let arn = west
        .create_secret()
        .name("app/key")
        .secret_string("{}")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let sandbox = Sandbox::new();
    let log_before = moto.log().unwrap().lines().count();

    let run = sandbox.run(aws_command(&sandbox, &moto.endpoint(), &["status", &arn]), None);
    run.expect(7);
    assert_eq!(
        run.stderr_lines(),
        [
            format!("store: {} in us-east-1 (--store aws)", moto.endpoint()),
            format!(
                "error: secret {arn} is in region us-west-2, but rotor calls Secrets Manager in us-east-1"
            ),
            "  what to do: call the secret's region: AWS_REGION=us-west-2 rotor …".to_owned(),
        ]
    );
    assert_eq!(
        moto.log().unwrap().lines().count(),
        log_before,
        "no call was made"
    );

    let mut right = aws_command(&sandbox, &moto.endpoint(), &["status", &arn]);
    right.env("AWS_REGION", "us-west-2");
    sandbox.run(right, None).expect(0);
}

#[test]
fn no_region_is_its_own_error_with_exit_code_7() {
    let sandbox = Sandbox::new();
    let mut command = sandbox.command(&["--store", "aws", "status", "app/key"]);
    command
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "example");
    let run = sandbox.run(command, None);
    run.expect(7);
    assert_eq!(
        run.stderr_lines(),
        [
            "store: AWS Secrets Manager (--store aws)",
            "error: no AWS region is configured",
            "  what to do: set AWS_REGION (e.g. export AWS_REGION=eu-west-1) or region in ~/.aws/config",
        ]
    );
}

#[test]
fn the_help_documents_every_exit_code() {
    let run = Sandbox::new().rotor(&["--help"]);
    run.expect(0);
    for line in [
        "  3  status: a rotation is stuck in AWSPENDING",
        "  4  no AWS credentials",
        "  5  the AWS credentials have expired",
        "  6  access denied by Secrets Manager",
        "  7  no AWS region configured, or the secret's ARN is in another region",
        "  8  Secrets Manager unreachable",
    ] {
        assert!(
            run.stdout.lines().any(|shown| shown == line),
            "{line}\n{}",
            run.stdout
        );
    }
}

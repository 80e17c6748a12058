//! `rotor` against moto through `--endpoint-url`: RotateSecret's placeholder is modelled until
//! createSecret creates the version, and the result is what the service would hold.

use rotor_testkit::MotoServer;

use super::support::{Sandbox, aws_command, hmac_secret, new_version, unused_port};

#[tokio::test]
async fn a_rotation_against_an_endpoint_shows_the_placeholder_and_ends_like_the_service() {
    let moto = MotoServer::start().await.unwrap();
    let client = moto.secrets_manager().await.client().clone();
    let created = client
        .create_secret()
        .name("svc/key")
        .secret_string(hmac_secret(10))
        .send()
        .await
        .unwrap();
    let original = created.version_id().unwrap().to_owned();
    let sandbox = Sandbox::new();

    let run = sandbox.run(
        aws_command(
            &sandbox,
            &moto.endpoint(),
            &["rotate", "svc/key", "--rotator", "hmac-key"],
        ),
        None,
    );
    run.expect(0);
    let token = new_version(&run);
    let placeholder = run
        .stdout
        .lines()
        .find(|line| line.trim_start().starts_with("RotateSecret"))
        .unwrap();
    assert!(
        placeholder.contains(&format!("{} AWSPENDING", &token[..8])),
        "{placeholder}"
    );
    assert!(
        placeholder.contains(&format!("{} AWSCURRENT", &original[..8])),
        "{placeholder}"
    );

    let described = client
        .describe_secret()
        .secret_id("svc/key")
        .send()
        .await
        .unwrap();
    let stages = described.version_ids_to_stages().unwrap();
    assert!(stages[&token].contains(&"AWSCURRENT".to_owned()), "{stages:?}");
    assert_eq!(stages[&original], ["AWSPREVIOUS"]);
    let previous = client
        .get_secret_value()
        .secret_id("svc/key")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    assert_eq!(previous.secret_string(), Some(hmac_secret(10).as_str()));
    let status = sandbox.run(
        aws_command(&sandbox, &moto.endpoint(), &["status", "svc/key"]),
        None,
    );
    status.expect(0);
    assert!(status.stdout.contains("state: ok"), "{}", status.stdout);
}

#[tokio::test]
async fn a_failure_before_create_secret_stores_a_value_leaves_nothing_stuck_on_aws() {
    let moto = MotoServer::start().await.unwrap();
    let client = moto.secrets_manager().await.client().clone();
    client
        .create_secret()
        .name("svc/raw")
        .secret_string("hunter2-raw")
        .send()
        .await
        .unwrap();
    let sandbox = Sandbox::new();

    let run = sandbox.run(
        aws_command(
            &sandbox,
            &moto.endpoint(),
            &["rotate", "svc/raw", "--rotator", "hmac-key"],
        ),
        None,
    );
    run.expect(1);
    assert!(
        run.stderr.contains("failed at createSecret (MalformedSecret"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("No rotation was left in progress"),
        "{}",
        run.stderr
    );
    assert!(!run.all().contains("hunter2"));
    let versions = client
        .list_secret_version_ids()
        .secret_id("svc/raw")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1, "no placeholder was left behind");
    sandbox
        .run(
            aws_command(&sandbox, &moto.endpoint(), &["status", "svc/raw"]),
            None,
        )
        .expect(0);
}

#[test]
fn an_unreachable_endpoint_fails_with_one_line_advice_and_exit_code_8() {
    let sandbox = Sandbox::new();
    let endpoint = format!("http://127.0.0.1:{}", unused_port());
    let run = sandbox.run(
        aws_command(
            &sandbox,
            &endpoint,
            &["rotate", "svc/key", "--rotator", "hmac-key"],
        ),
        None,
    );
    run.expect(8);
    assert_eq!(
        run.stderr_lines(),
        [
            format!("store: {endpoint} in us-east-1 (--store aws)"),
            format!(
                "error: rotation of svc/key failed at DescribeSecret: cannot reach Secrets Manager at \
                 {endpoint}: dispatch failure: io error: client error (Connect): tcp connect error: \
                 Connection refused (os error 111)"
            ),
            "  what to do: check the network, the region and --endpoint-url (or AWS_ENDPOINT_URL)".to_owned(),
        ]
    );
    assert!(
        !run.all().contains("DispatchFailure"),
        "no Debug dump: {}",
        run.all()
    );
}

/// The endpoint moto reports for a DB instance named `shop` in us-east-1.
const RDS_ENDPOINT: &str = "shop.aaaaaaaaaa.us-east-1.rds.amazonaws.com";

/// Against AWS, `rotor rotate` has what the deployed function has: the RDS API, on the CLI's own
/// endpoint and credentials, completes an RDS-managed master secret (only username and
/// password, and its tag), so the rotation gets as far as the database, whose name does not
/// resolve here, instead of stopping at the master secret.
#[tokio::test]
async fn rotate_completes_an_rds_managed_master_through_the_clis_endpoint() {
    let moto = MotoServer::start().await.unwrap();
    let master = moto
        .create_rds_managed_master("shop", "postgres_admin", "master-Password-1", 5432)
        .await
        .unwrap()
        .secret_arn;
    let child = serde_json::json!({
        "engine": "postgres", "host": RDS_ENDPOINT, "port": 5432, "username": "app",
        "password": "app-Password-1", "masterarn": master,
    });
    moto.create_secret("rds/app", &child, &[]).await.unwrap();
    let sandbox = Sandbox::new();

    let run = sandbox.run(
        aws_command(
            &sandbox,
            &moto.endpoint(),
            &["rotate", "rds/app", "--rotator", "postgres-multi-user"],
        ),
        None,
    );

    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.all().contains("PostgresUnreachable"), "{}", run.all());
    assert!(!run.all().contains("RdsUnavailable"), "{}", run.all());
    assert!(!run.all().contains("master-Password-1"));
}

//! A Redshift-managed admin secret (only `username` and `password`, tagged
//! `aws:redshift:primaryclusterarn`) as `masterarn`, against moto's Redshift: the adapter reads
//! the cluster moto reports, and an alternating-users rotation logs in as the master at that
//! endpoint: the PostgreSQL stand-in, reached under moto's endpoint name with TLS verified
//! against it. moto has no Redshift Serverless; that path runs on rotor-core's in-memory model.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rotor_core::database::HostOverrides;
use rotor_core::redshift::{RedshiftApi, RedshiftApiError};
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    Classify, Deadline, RotationEvent, RotationFunction, RotationSettings, SecretJson, SecretsManager,
    StagingLabel, Step,
};
use rotor_redshift::{AlternatingUsers, AwsRedshift, REDSHIFT_EXCLUDE_CHARACTERS};
use rotor_testkit::{MotoServer, PostgresOptions};
use serde_json::{Value, json};

use super::support::Db;

const INITIAL: &str = "initial-Password-1";
/// The tag as Redshift writes it, spelled here rather than taken from rotor-core, so that a
/// fixture cannot hide a mistake in what rotor reads.
const PROVISIONED_TAG: &str = "aws:redshift:primaryclusterarn";
/// What seeds moto's random source, so that it names a cluster's endpoint the same way twice.
const SEED: u32 = 5439;

/// rotor's Redshift adapter pointed at `moto` (both clients; moto answers only Redshift's).
async fn adapter(moto: &MotoServer) -> AwsRedshift {
    let config = moto.sdk_config().await;
    AwsRedshift::new(
        aws_sdk_redshift::Client::new(&config),
        aws_sdk_redshiftserverless::Client::new(&config),
    )
}

/// CreateCluster `identifier` listening on `port`; returns the endpoint address moto reports.
async fn create_cluster(moto: &MotoServer, identifier: &str, port: u16) -> String {
    let client = aws_sdk_redshift::Client::new(&moto.sdk_config().await);
    let created = client
        .create_cluster()
        .cluster_identifier(identifier)
        .node_type("dc2.large")
        .master_username("admin")
        .master_user_password("Cluster-Password-1")
        .port(i32::from(port))
        .send()
        .await
        .unwrap();
    let cluster = created.cluster().unwrap();
    cluster.endpoint().unwrap().address().unwrap().to_owned()
}

async fn delete_cluster(moto: &MotoServer, identifier: &str) {
    aws_sdk_redshift::Client::new(&moto.sdk_config().await)
        .delete_cluster()
        .cluster_identifier(identifier)
        .skip_final_cluster_snapshot(true)
        .send()
        .await
        .unwrap();
}

/// Seeds moto's random source (`/moto-api/seed`).
async fn seed(moto: &MotoServer) {
    let endpoint = moto.endpoint();
    let port = endpoint.trim_end_matches('/').rsplit(':').next().unwrap();
    let response =
        rotor_launch::http::request(port.parse().unwrap(), "POST", &format!("/moto-api/seed?a={SEED}"))
            .await
            .unwrap();
    assert_eq!(response.status, 200, "{response:?}");
}

fn cluster_arn(identifier: &str) -> String {
    format!("arn:aws:redshift:us-east-1:123456789012:cluster:{identifier}")
}

#[tokio::test]
async fn the_adapter_reads_the_endpoint_moto_reports_and_names_a_missing_cluster() {
    let moto = MotoServer::start().await.unwrap();
    let address = create_cluster(&moto, "shop", 5440).await;
    let redshift = adapter(&moto).await;

    let cluster = redshift.describe_cluster("shop").await.unwrap();

    assert_eq!(cluster.identifier, "shop");
    assert_eq!(cluster.status, "available");
    assert_eq!(cluster.address.as_deref(), Some(address.as_str()));
    assert!(
        address.starts_with("shop.") && address.ends_with(".us-east-1.redshift.amazonaws.com"),
        "{address}"
    );
    assert_eq!(cluster.port, Some(5440));
    let missing = redshift.describe_cluster("gone").await.unwrap_err();
    assert!(
        matches!(missing, RedshiftApiError::ClusterNotFound { ref identifier } if identifier == "gone"),
        "{missing:?}"
    );
    assert_eq!(missing.error_type(), "RedshiftClusterNotFound");
}

/// The stand-in, with a TLS certificate for the endpoint moto will report for cluster `shop`, and
/// that cluster in moto on the stand-in's port.
///
/// moto names an endpoint `<identifier>.<12 random hex digits>.<region>.redshift.amazonaws.com`
/// and its port cannot be changed after CreateCluster, while the stand-in's port is known only
/// once it runs. So the name is learnt first, from a cluster made and deleted after seeding
/// moto's random source; the stand-in starts with a certificate for it; then the real cluster is
/// made on the stand-in's port after the same seed, and must be given the same name.
async fn stand_in_at_a_moto_cluster(moto: &MotoServer) -> (Db, String) {
    // The first cluster also sets up the region's backends, which draw random numbers of their
    // own: only later clusters draw the same after the same seed.
    create_cluster(moto, "warm-up", 5439).await;
    seed(moto).await;
    let endpoint = create_cluster(moto, "shop", 5439).await;
    delete_cluster(moto, "shop").await;
    let db = Db::start_with(PostgresOptions::new().tls_name(&endpoint)).await;
    seed(moto).await;
    let again = create_cluster(moto, "shop", db.server.port()).await;
    assert_eq!(
        again, endpoint,
        "moto names the endpoint the same after the same seed"
    );
    (db, endpoint)
}

async fn value(secrets: &impl SecretsManager, arn: &str, label: StagingLabel) -> SecretJson {
    let version = secrets
        .get_secret_value(arn, VersionSelector::stage(label))
        .await
        .unwrap();
    SecretJson::parse(&version.value).unwrap()
}

fn field<'a>(value: &'a SecretJson, name: &str) -> &'a str {
    value.get(name).and_then(Value::as_str).unwrap()
}

#[tokio::test]
async fn a_redshift_managed_master_is_completed_from_moto_and_rotates_the_child_at_its_endpoint() {
    let moto = MotoServer::start().await.unwrap();
    let (db, endpoint) = stand_in_at_a_moto_cluster(&moto).await;
    db.create_user("app", INITIAL).await;
    let (admin, admin_password) = db.server.superuser();
    // As Redshift makes it: the admin user's name and password, nothing else, and the tag.
    let managed = json!({"username": admin, "password": admin_password});
    let master_arn = moto
        .create_secret(
            "redshift!shop-admin",
            &managed,
            &[(PROVISIONED_TAG, &cluster_arn("shop"))],
        )
        .await
        .unwrap();
    let child = json!({
        "engine": "redshift", "host": endpoint, "port": db.server.port(), "username": "app",
        "password": INITIAL, "masterarn": master_arn,
    });
    let arn = moto.create_secret("app-redshift", &child, &[]).await.unwrap();
    let hosts = HostOverrides::none()
        .with(&endpoint, IpAddr::from([127, 0, 0, 1]))
        .trusting(db.server.ca_cert_pem().unwrap());
    let secrets = moto.secrets_manager().await;
    let function = RotationFunction::new(
        AlternatingUsers::new().with_host_overrides(hosts),
        secrets.clone(),
        RotationSettings::new(REDSHIFT_EXCLUDE_CHARACTERS),
    )
    .with_redshift(Arc::new(adapter(&moto).await) as Arc<dyn RedshiftApi>);

    for (rotation, expected) in [(1, "app_clone"), (2, "app")] {
        let token = format!("00000000-0000-4000-8000-00000000000{rotation}");
        moto.start_rotation(&arn, &token).await.unwrap();
        for step in Step::ALL {
            let event = RotationEvent::new(&arn, &token, step);
            if let Err(error) = function
                .invoke(&event, Deadline::after(Duration::from_secs(30)))
                .await
            {
                panic!("rotation {rotation}, {step}: {} {error}", error.error_type());
            }
        }
        let current = value(&secrets, &arn, StagingLabel::Current).await;
        assert_eq!(field(&current, "username"), expected);
        assert_eq!(field(&current, "host"), endpoint);
        // testSecret logged in with it over verified TLS; this is what the server stores.
        db.assert_md5_hash(expected, field(&current, "password")).await;
    }

    let previous = value(&secrets, &arn, StagingLabel::Previous).await;
    assert_eq!(field(&previous, "username"), "app_clone");
    db.assert_md5_hash("app_clone", field(&previous, "password"))
        .await;
    let master = value(&secrets, &master_arn, StagingLabel::Current).await;
    assert_eq!(
        master.get("host"),
        None,
        "the completion is never written back to the managed secret"
    );
    assert!(
        db.log().contains(&format!(
            "connection authenticated: identity=\"{admin}\" method=md5"
        )),
        "the master logged in at the endpoint Redshift reported"
    );
    assert_eq!(db.failed_logins(), 0, "healthy rotations fail no login");
}

#[tokio::test]
async fn a_serverless_namespaces_admin_secret_rotates_the_child_at_its_workgroups_endpoint() {
    use rotor_core::redshift::{InMemoryRedshift, Namespace, Workgroup};
    use rotor_core::{InMemorySecretsManager, SecretValue};

    // moto has no Redshift Serverless: the in-memory model answers ListNamespaces and
    // ListWorkgroups, a page at a time.
    const WORKGROUP: &str = "shop-wg.123456789012.us-east-1.redshift-serverless.amazonaws.com";
    const NAMESPACE_ARN: &str = "arn:aws:redshift-serverless:us-east-1:123456789012:namespace/9d2c";
    let db = Db::start_with(PostgresOptions::new().tls_name(WORKGROUP)).await;
    db.create_user("app", INITIAL).await;
    let redshift = InMemoryRedshift::new().with_page_size(1);
    for (name, arn, workgroup, address) in [
        (
            "other",
            "arn:aws:redshift-serverless:us-east-1:123456789012:namespace/0th3r",
            "other-wg",
            "other-wg.example",
        ),
        ("shop", NAMESPACE_ARN, "shop-wg", WORKGROUP),
    ] {
        redshift.add_namespace(Namespace {
            name: name.into(),
            arn: arn.into(),
        });
        redshift.add_workgroup(Workgroup {
            name: workgroup.into(),
            namespace: name.into(),
            status: "AVAILABLE".into(),
            address: Some(address.into()),
            port: Some(db.server.port()),
        });
    }
    let model = InMemorySecretsManager::new();
    let (admin, admin_password) = db.server.superuser();
    let managed = json!({"username": admin, "password": admin_password});
    let master_arn = model
        .create_secret("redshift!shop-admin", &SecretValue::new(managed.to_string()))
        .unwrap();
    model
        .tag_secret(&master_arn, "aws:redshift-serverless:namespacearn", NAMESPACE_ARN)
        .unwrap();
    let child = json!({
        "engine": "redshift", "host": WORKGROUP, "port": db.server.port(), "username": "app",
        "password": INITIAL, "masterarn": master_arn,
    });
    let hosts = HostOverrides::none()
        .with(WORKGROUP, IpAddr::from([127, 0, 0, 1]))
        .trusting(db.server.ca_cert_pem().unwrap());
    let mut harness = super::support::Harness::with_store(model, &child, |faults| {
        AlternatingUsers::new()
            .with_fault_points(faults)
            .with_host_overrides(hosts)
    });
    let redshift = Arc::new(redshift);
    harness.0.function = harness
        .0
        .function
        .with_redshift(Arc::clone(&redshift) as Arc<dyn RedshiftApi>);

    for expected in ["app_clone", "app"] {
        harness.rotate().await.unwrap();

        let (user, password) = harness.credential(StagingLabel::Current).await;
        assert_eq!(user, expected);
        db.assert_md5_hash(&user, &password).await;
    }
    assert!(
        redshift.calls().contains(&"ListWorkgroups:1".to_owned()),
        "the workgroup was found on the second page: {:?}",
        redshift.calls()
    );
    assert!(
        db.log().contains(&format!(
            "connection authenticated: identity=\"{admin}\" method=md5"
        )),
        "the master logged in at the workgroup's endpoint"
    );
}

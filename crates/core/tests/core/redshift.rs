//! Redshift-managed admin secrets as `masterarn`, through the rotation function with the
//! in-memory Secrets Manager and Redshift models: completed from their tags (a provisioned
//! cluster's or a Serverless namespace's), refused with typed errors when they cannot be, and a
//! child on another host refused without asking RDS. The AWS adapter is rotor-redshift's and is
//! tested there against moto.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rotor_core::database::{DatabaseSecret, EngineFamily, UsernameLimit, verify_master};
use rotor_core::rds::{InMemoryRds, RdsApi};
use rotor_core::redshift::{
    Cluster, InMemoryRedshift, Namespace, PROVISIONED_TAG, RedshiftApi, RedshiftApiError, SERVERLESS_TAG,
    Workgroup,
};
use rotor_core::{
    Classify, Deadline, ErrorClass, InMemorySecretsManager, RotationError, RotationEvent, RotationFunction,
    RotationSettings, Rotator, RotatorError, SecretValue, Step, StepContext,
};
use serde_json::json;

const REDSHIFT: EngineFamily = EngineFamily {
    engines: &["redshift"],
    default_port: 5439,
    default_dbname: Some("dev"),
    max_username: UsernameLimit::bytes(127),
    username_rule: "must be an Amazon Redshift user name of at most 127 bytes",
};

const CLUSTER_HOST: &str = "shop.abc123.eu-west-1.redshift.amazonaws.com";
const WORKGROUP_HOST: &str = "shop-wg.123456789012.eu-west-1.redshift-serverless.amazonaws.com";
const CLUSTER_ARN: &str = "arn:aws:redshift:eu-west-1:123456789012:cluster:shop";
const NAMESPACE_ARN: &str = "arn:aws:redshift-serverless:eu-west-1:123456789012:namespace/5c1e-9";

/// The master's host, port, engine as the master session would see them, and whether they came
/// from a service's API.
type Seen = Arc<Mutex<Option<(String, u16, String, bool)>>>;

/// A rotator whose setSecret only verifies the master, as an engine does before any login.
#[derive(Debug, Default)]
struct MasterProbe {
    seen: Seen,
}

impl Rotator for MasterProbe {
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let child = DatabaseSecret::current(ctx, &REDSHIFT).await?;
        let master = verify_master(ctx, &REDSHIFT, &child).await?;
        let current = master.current();
        *self.seen.lock().unwrap() = Some((
            current.host.clone(),
            current.port,
            current.engine.clone(),
            master.service_managed(),
        ));
        Ok(())
    }

    async fn test_secret(&self, _: &StepContext<'_>) -> Result<(), RotatorError> {
        Ok(())
    }
}

/// A provisioned cluster `shop` (and a `creating` one without an endpoint yet), and a Serverless
/// namespace whose workgroup is listed on the second page.
fn redshift() -> InMemoryRedshift {
    let model = InMemoryRedshift::new().with_page_size(1);
    model.add_cluster(Cluster {
        identifier: "shop".into(),
        status: "available".into(),
        address: Some(CLUSTER_HOST.into()),
        port: Some(5439),
    });
    model.add_cluster(Cluster {
        identifier: "creating".into(),
        status: "creating".into(),
        address: None,
        port: None,
    });
    for (name, arn) in [
        (
            "other",
            "arn:aws:redshift-serverless:eu-west-1:123456789012:namespace/0ther",
        ),
        ("shop-ns", NAMESPACE_ARN),
    ] {
        model.add_namespace(Namespace {
            name: name.into(),
            arn: arn.into(),
        });
    }
    for (name, namespace, host) in [
        ("other-wg", "other", "other-wg.example"),
        ("shop-wg", "shop-ns", WORKGROUP_HOST),
    ] {
        model.add_workgroup(Workgroup {
            name: name.into(),
            namespace: namespace.into(),
            status: "AVAILABLE".into(),
            address: Some(host.into()),
            port: Some(5439),
        });
    }
    model
}

/// Ports a test gives the function.
#[derive(Default)]
struct Ports {
    redshift: Option<Arc<InMemoryRedshift>>,
    rds: Option<Arc<InMemoryRds>>,
}

/// createSecret and setSecret of a child on `child_host` whose master is a Redshift-managed
/// secret (only `username` and `password`) tagged `tag` = `value`: what the master would connect
/// to, or the error.
async fn verify(
    ports: &Ports,
    tag: (&str, &str),
    child_host: &str,
) -> Result<(String, u16, String, bool), RotationError> {
    let model = InMemorySecretsManager::new();
    let master = model
        .create_secret(
            "redshift!shop-admin",
            &SecretValue::new(json!({"username": "admin", "password": "m-Password-1"}).to_string()),
        )
        .unwrap();
    model.tag_secret(&master, tag.0, tag.1).unwrap();
    let child = json!({
        "engine": "redshift", "host": child_host, "port": 5439, "username": "app",
        "password": "app-Password-1", "masterarn": master,
    });
    let arn = model
        .create_secret("app", &SecretValue::new(child.to_string()))
        .unwrap();
    let token = model.start_rotation(&arn).unwrap();
    let probe = MasterProbe::default();
    let seen = Arc::clone(&probe.seen);
    let mut function = RotationFunction::new(probe, model, RotationSettings::new(""));
    if let Some(redshift) = &ports.redshift {
        function = function.with_redshift(Arc::clone(redshift) as Arc<dyn RedshiftApi>);
    }
    if let Some(rds) = &ports.rds {
        function = function.with_rds(Arc::clone(rds) as Arc<dyn RdsApi>);
    }
    for step in [Step::CreateSecret, Step::SetSecret] {
        function
            .invoke(
                &RotationEvent::new(&arn, &token, step),
                Deadline::after(Duration::from_secs(30)),
            )
            .await?;
    }
    Ok(seen.lock().unwrap().clone().unwrap())
}

fn with_redshift() -> Ports {
    Ports {
        redshift: Some(Arc::new(redshift())),
        rds: Some(Arc::new(InMemoryRds::new())),
    }
}

fn error_type(result: Result<(String, u16, String, bool), RotationError>) -> (String, ErrorClass) {
    let error = result.unwrap_err();
    (error.error_type().to_owned(), error.class())
}

#[tokio::test]
async fn a_provisioned_clusters_admin_secret_is_completed_from_describe_clusters() {
    let ports = with_redshift();
    let seen = verify(
        &ports,
        ("aws:redshift:primaryClusterArn", CLUSTER_ARN),
        CLUSTER_HOST,
    )
    .await
    .unwrap();
    assert_eq!(seen, (CLUSTER_HOST.into(), 5439, "redshift".into(), true));
    assert_eq!(
        ports.redshift.as_ref().unwrap().calls(),
        ["DescribeClusters:shop"]
    );
}

#[tokio::test]
async fn a_serverless_namespaces_admin_secret_is_completed_from_its_workgroup_across_pages() {
    let ports = with_redshift();
    let seen = verify(&ports, (SERVERLESS_TAG, NAMESPACE_ARN), WORKGROUP_HOST)
        .await
        .unwrap();
    assert_eq!(seen, (WORKGROUP_HOST.into(), 5439, "redshift".into(), true));
    assert_eq!(
        ports.redshift.as_ref().unwrap().calls(),
        [
            "ListNamespaces:-",
            "ListNamespaces:1",
            "ListWorkgroups:-",
            "ListWorkgroups:1"
        ]
    );
}

#[tokio::test]
async fn a_child_on_another_host_than_its_redshift_master_is_a_target_mismatch_without_asking_rds() {
    let ports = with_redshift();
    let refused = verify(
        &ports,
        (PROVISIONED_TAG, CLUSTER_ARN),
        "shop-replica.abc123.eu-west-1.redshift.amazonaws.com",
    )
    .await;
    assert_eq!(
        error_type(refused),
        ("TargetMismatch".into(), ErrorClass::Permanent)
    );
    assert!(
        ports.rds.as_ref().unwrap().calls().is_empty(),
        "Redshift has no replicas: RDS is never asked"
    );
}

#[tokio::test]
async fn without_a_redshift_client_the_master_is_refused_as_managed_by_redshift() {
    let ports = Ports {
        rds: Some(Arc::new(InMemoryRds::new())),
        ..Ports::default()
    };
    let result = verify(&ports, (SERVERLESS_TAG, NAMESPACE_ARN), WORKGROUP_HOST).await;
    let error = result.unwrap_err();
    assert_eq!(error.error_type(), "MasterManagedByRedshift");
    assert!(
        error.to_string().contains("redshift-multi-user"),
        "says what to do: {error}"
    );
}

#[tokio::test]
async fn unusable_tags_missing_clusters_and_refusals_are_typed() {
    let long = format!(
        "arn:aws:redshift:eu-west-1:123456789012:cluster:{}",
        "a".repeat(250)
    );
    for (tag, value, expected) in [
        (
            PROVISIONED_TAG,
            "shop",
            ("MasterRedshiftTagInvalid", ErrorClass::Permanent),
        ),
        (
            PROVISIONED_TAG,
            long.as_str(),
            ("MasterRedshiftTagInvalid", ErrorClass::Permanent),
        ),
        (
            SERVERLESS_TAG,
            CLUSTER_ARN,
            ("MasterRedshiftTagInvalid", ErrorClass::Permanent),
        ),
        (
            PROVISIONED_TAG,
            "arn:aws:redshift:eu-west-1:123456789012:cluster:gone",
            ("RedshiftClusterNotFound", ErrorClass::Permanent),
        ),
        (
            PROVISIONED_TAG,
            "arn:aws:redshift:eu-west-1:123456789012:cluster:creating",
            ("RedshiftEndpointMissing", ErrorClass::Transient),
        ),
        (
            SERVERLESS_TAG,
            "arn:aws:redshift-serverless:eu-west-1:123456789012:namespace/gone",
            ("RedshiftNamespaceNotFound", ErrorClass::Permanent),
        ),
    ] {
        let (error_type, class) = error_type(verify(&with_redshift(), (tag, value), CLUSTER_HOST).await);
        assert_eq!((error_type.as_str(), class), expected, "{tag} = {value}");
    }

    let denied = with_redshift();
    denied.redshift.as_ref().unwrap().refuse(
        "DescribeClusters",
        RedshiftApiError::service("DescribeClusters", "AccessDenied", "not authorized"),
    );
    assert_eq!(
        error_type(verify(&denied, (PROVISIONED_TAG, CLUSTER_ARN), CLUSTER_HOST).await),
        ("RedshiftAccessDenied".into(), ErrorClass::Permanent)
    );
}

//! RDS against a real moto server: the adapter, RDS-managed master secrets completed from their
//! tags, and children on replicas and cluster endpoints accepted only with the RDS API's proof.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rotor_core::database::{
    DatabaseSecret, EngineFamily, PRIMARY_CLUSTER_TAG, PRIMARY_INSTANCE_TAG, UsernameLimit, verify_master,
};
use rotor_core::rds::{AwsRds, RdsApi, RdsError};
use rotor_core::{
    AwsSecretsManager, Classify, Deadline, RotationError, RotationEvent, RotationFunction, RotationSettings,
    Rotator, RotatorError, Step, StepContext,
};
use rotor_testkit::{MotoServer, RdsManagedMaster};
use serde_json::json;

const FAMILY: EngineFamily = EngineFamily {
    engines: &["postgres", "aurora-postgresql"],
    default_port: 5432,
    default_dbname: Some("postgres"),
    max_username: UsernameLimit::bytes(63),
    username_rule: "must be a role name of at most 63 bytes",
};

/// What an engine's setSecret would connect the master to: host, port, RDS-managed.
type Seen = Arc<Mutex<Option<(String, u16, bool)>>>;

/// A rotator whose setSecret only verifies the master, as an engine does before any login.
#[derive(Debug, Default)]
struct MasterProbe {
    seen: Seen,
}

impl Rotator for MasterProbe {
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let child = DatabaseSecret::current(ctx, &FAMILY).await?;
        let master = verify_master(ctx, &FAMILY, &child).await?;
        let current = master.current();
        *self.seen.lock().unwrap() = Some((current.host.clone(), current.port, master.service_managed()));
        Ok(())
    }

    async fn test_secret(&self, _: &StepContext<'_>) -> Result<(), RotatorError> {
        Ok(())
    }
}

/// moto with a PostgreSQL instance `shop` (with the master secret RDS manages for it) and its read
/// replica, an Aurora cluster with two member instances, and an unrelated instance.
struct Fleet {
    moto: MotoServer,
    rds: AwsRds,
    secrets: AwsSecretsManager,
    shop: RdsManagedMaster,
}

impl Fleet {
    async fn start() -> Self {
        let moto = MotoServer::start().await.unwrap();
        let rds = moto.rds().await;
        let secrets = moto.secrets_manager().await;
        let client = rds.client().await;
        let shop = moto
            .create_rds_managed_master("shop", "admin", "instance-Password-1", 5432)
            .await
            .unwrap();
        for (identifier, cluster) in [
            ("other", None),
            ("shop-1", Some("shop-cluster")),
            ("shop-2", Some("shop-cluster")),
        ] {
            if identifier == "shop-1" {
                client
                    .create_db_cluster()
                    .db_cluster_identifier("shop-cluster")
                    .engine("aurora-postgresql")
                    .master_username("admin")
                    .master_user_password("cluster-Password-1")
                    .port(5432)
                    .send()
                    .await
                    .unwrap();
            }
            let mut request = client
                .create_db_instance()
                .db_instance_identifier(identifier)
                .db_instance_class("db.t3.micro")
                .engine(if cluster.is_some() {
                    "aurora-postgresql"
                } else {
                    "postgres"
                })
                .port(5432);
            request = match cluster {
                Some(cluster) => request.db_cluster_identifier(cluster),
                None => request
                    .allocated_storage(20)
                    .master_username("admin")
                    .master_user_password("instance-Password-1"),
            };
            request.send().await.unwrap();
        }
        client
            .create_db_instance_read_replica()
            .db_instance_identifier("shop-replica")
            .source_db_instance_identifier("shop")
            .send()
            .await
            .unwrap();
        Self {
            moto,
            rds,
            secrets,
            shop,
        }
    }

    async fn instance_address(&self, identifier: &str) -> String {
        self.rds
            .describe_db_instance(identifier)
            .await
            .unwrap()
            .address
            .unwrap()
    }

    async fn cluster(&self) -> rotor_core::rds::DbCluster {
        self.rds.describe_db_cluster("shop-cluster").await.unwrap()
    }

    async fn create_secret(&self, name: &str, value: &serde_json::Value, tags: &[(&str, String)]) -> String {
        let tags: Vec<(&str, &str)> = tags.iter().map(|(key, value)| (*key, value.as_str())).collect();
        self.moto.create_secret(name, value, &tags).await.unwrap()
    }

    /// createSecret and setSecret of a child on `child_host` whose master is `master_arn`: what
    /// the master would connect to, or the error.
    async fn verify(
        &self,
        name: &str,
        child_host: &str,
        master_arn: &str,
    ) -> Result<(String, u16, bool), RotationError> {
        let child = json!({
            "engine": "postgres", "host": child_host, "port": 5432, "username": "app",
            "password": "app-Password-1", "masterarn": master_arn,
        });
        let arn = self.create_secret(name, &child, &[]).await;
        let token = format!("00000000-0000-4000-8000-{:012}", name.len());
        self.moto.start_rotation(&arn, &token).await.unwrap();
        let probe = MasterProbe::default();
        let seen = Arc::clone(&probe.seen);
        let function = RotationFunction::new(probe, self.secrets.clone(), RotationSettings::new(""))
            .with_rds(Arc::new(self.rds.clone()));
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
}

fn managed_master() -> serde_json::Value {
    json!({"username": "admin", "password": "master-Password-1"})
}

#[tokio::test]
async fn the_adapter_reads_instances_replicas_and_clusters_and_maps_not_found() {
    let fleet = Fleet::start().await;
    let replica = fleet.rds.describe_db_instance("shop-replica").await.unwrap();
    assert_eq!(
        replica
            .replica_source
            .as_deref()
            .map(rotor_core::rds::identifier_of),
        Some("shop")
    );
    assert_eq!(replica.port, Some(5432));
    let member = fleet.rds.describe_db_instance("shop-2").await.unwrap();
    assert_eq!(member.cluster.as_deref(), Some("shop-cluster"));
    let cluster = fleet.cluster().await;
    assert_eq!(cluster.engine, "aurora-postgresql");
    assert!(cluster.endpoint.is_some() && cluster.reader_endpoint.is_some());
    assert_eq!(cluster.members.len(), 2);
    let missing = fleet.rds.describe_db_instance("nope").await.unwrap_err();
    assert!(
        matches!(missing, RdsError::NotFound { kind: "instance", .. }),
        "{missing:?}"
    );
    let missing = fleet.rds.describe_db_cluster("nope").await.unwrap_err();
    assert_eq!(missing.error_type(), "RdsNotFound");
}

#[tokio::test]
async fn rds_managed_master_secrets_are_completed_from_their_tags() {
    let fleet = Fleet::start().await;
    let address = fleet.instance_address("shop").await;
    assert_eq!(
        fleet
            .verify("on-instance", &address, &fleet.shop.secret_arn)
            .await
            .unwrap(),
        (address.clone(), 5432, true)
    );
    // AWS writes the tag key in camel case; rotor matches it in any case, as AWS's functions do.
    let lower_case = fleet
        .create_secret(
            "rds!db-shop-lower-case",
            &managed_master(),
            &[(
                &PRIMARY_INSTANCE_TAG.to_ascii_lowercase(),
                fleet.shop.instance_arn.clone(),
            )],
        )
        .await;
    assert_eq!(
        fleet
            .verify("on-instance-lower-case", &address, &lower_case)
            .await
            .unwrap(),
        (address, 5432, true)
    );

    let cluster = fleet
        .rds
        .client()
        .await
        .describe_db_clusters()
        .db_cluster_identifier("shop-cluster")
        .send()
        .await
        .unwrap();
    let cluster_arn = cluster.db_clusters()[0].db_cluster_arn().unwrap().to_owned();
    let writer = fleet.cluster().await.endpoint.unwrap();
    let master = fleet
        .create_secret(
            "rds!cluster-shop",
            &managed_master(),
            &[(PRIMARY_CLUSTER_TAG, cluster_arn)],
        )
        .await;
    assert_eq!(
        fleet.verify("on-writer", &writer, &master).await.unwrap(),
        (writer, 5432, true)
    );
    let reader = fleet.cluster().await.reader_endpoint.unwrap();
    assert_eq!(
        fleet.verify("on-reader", &reader, &master).await.unwrap().0,
        fleet.cluster().await.endpoint.unwrap(),
        "a child on the reader endpoint: the master still connects to the writer"
    );
}

#[tokio::test]
async fn children_on_replicas_and_cluster_endpoints_are_accepted_with_the_apis_proof() {
    let fleet = Fleet::start().await;
    let primary = fleet.instance_address("shop").await;
    let master_on = |host: &str| json!({"engine": "postgres", "host": host, "port": 5432, "username": "admin", "password": "m-Password-1"});
    let master = fleet
        .create_secret("primary-master", &master_on(&primary), &[])
        .await;
    let replica = fleet.instance_address("shop-replica").await;
    assert_eq!(
        fleet.verify("on-replica", &replica, &master).await.unwrap(),
        (primary, 5432, false)
    );

    let cluster = fleet.cluster().await;
    let (writer, reader) = (cluster.endpoint.unwrap(), cluster.reader_endpoint.unwrap());
    let member = fleet.instance_address("shop-2").await;
    let master = fleet
        .create_secret("writer-master", &master_on(&writer), &[])
        .await;
    for (name, child) in [("c-reader", &reader), ("c-member", &member)] {
        assert_eq!(
            fleet.verify(name, child, &master).await.unwrap().0,
            writer,
            "{name}"
        );
    }
    let member_one = fleet.instance_address("shop-1").await;
    let master = fleet
        .create_secret("member-master", &master_on(&member_one), &[])
        .await;
    assert_eq!(
        fleet.verify("m-writer", &writer, &master).await.unwrap().0,
        member_one
    );
}

#[tokio::test]
async fn unproven_targets_and_unusable_master_secrets_are_typed_errors() {
    let fleet = Fleet::start().await;
    let primary = fleet.instance_address("shop").await;
    let master = fleet
        .create_secret(
            "primary-master",
            &json!({"engine": "postgres", "host": primary, "username": "admin", "password": "m-Password-1"}),
            &[],
        )
        .await;
    let refused = |result: Result<(String, u16, bool), RotationError>| {
        Classify::error_type(&result.unwrap_err()).to_owned()
    };
    let other = fleet.instance_address("other").await;
    let member = fleet.instance_address("shop-2").await;
    assert_eq!(
        refused(fleet.verify("to-other", &other, &master).await),
        "TargetMismatch"
    );
    assert_eq!(
        refused(fleet.verify("to-member", &member, &master).await),
        "TargetMismatch"
    );
    assert_eq!(
        refused(
            fleet
                .verify("to-attacker", "shop-replica.attacker.example", &master)
                .await
        ),
        "TargetMismatch"
    );

    let untagged = fleet.create_secret("untagged", &managed_master(), &[]).await;
    assert_eq!(
        refused(fleet.verify("untagged-child", &primary, &untagged).await),
        "MasterRdsTagMissing"
    );
    let by_redshift = fleet
        .create_secret(
            "redshift-managed",
            &managed_master(),
            &[(
                "aws:redshift:primaryClusterArn",
                "arn:aws:redshift:us-east-1:123456789012:namespace:abc".to_owned(),
            )],
        )
        .await;
    assert_eq!(
        refused(fleet.verify("redshift-child", &primary, &by_redshift).await),
        "MasterManagedByRedshift",
        "a Redshift-managed master is named as such, not as a missing RDS tag"
    );
    let gone = fleet
        .create_secret(
            "gone",
            &managed_master(),
            &[(
                PRIMARY_INSTANCE_TAG,
                "arn:aws:rds:us-east-1:123456789012:db:deleted".to_owned(),
            )],
        )
        .await;
    assert_eq!(
        refused(fleet.verify("gone-child", &primary, &gone).await),
        "RdsNotFound"
    );
    let garbage = fleet
        .create_secret(
            "garbage",
            &managed_master(),
            &[(PRIMARY_INSTANCE_TAG, "shop".to_owned())],
        )
        .await;
    assert_eq!(
        refused(fleet.verify("garbage-child", &primary, &garbage).await),
        "MasterRdsTagInvalid"
    );
}

#[tokio::test]
async fn an_rds_managed_master_costs_one_describe_secret_and_one_rds_call_per_set_secret() {
    use rotor_core::InMemorySecretsManager;
    use rotor_core::rds::{DbInstance, InMemoryRds};
    use rotor_testkit::faults::FaultySecretsManager;

    let model = InMemorySecretsManager::new();
    let master = model
        .create_secret(
            "rds!db-shop",
            &rotor_core::SecretValue::new(managed_master().to_string()),
        )
        .unwrap();
    model
        .tag_secret(
            &master,
            PRIMARY_INSTANCE_TAG,
            "arn:aws:rds:eu-west-1:123456789012:db:shop",
        )
        .unwrap();
    let host = "shop.abc.eu-west-1.rds.amazonaws.com";
    let child =
        json!({"engine": "postgres", "host": host, "username": "app", "password": "p", "masterarn": master});
    let arn = model
        .create_secret("app", &rotor_core::SecretValue::new(child.to_string()))
        .unwrap();
    let token = model.start_rotation(&arn).unwrap();
    let rds = Arc::new(InMemoryRds::new());
    rds.add_instance(DbInstance {
        identifier: "shop".into(),
        engine: "postgres".into(),
        address: Some(host.into()),
        port: Some(5432),
        cluster: None,
        replica_source: None,
    });
    let function = RotationFunction::new(
        MasterProbe::default(),
        FaultySecretsManager::new(model),
        RotationSettings::new(""),
    )
    .with_rds(Arc::clone(&rds) as Arc<dyn RdsApi>);
    let invoke = |step| {
        let event = RotationEvent::new(&arn, &token, step);
        let function = &function;
        async move {
            function
                .invoke(&event, Deadline::after(Duration::from_secs(30)))
                .await
        }
    };
    invoke(Step::CreateSecret).await.unwrap();
    function.secrets().faults().clear_log();

    invoke(Step::SetSecret).await.unwrap();

    assert_eq!(
        function.secrets().faults().log(),
        [
            "DescribeSecret",
            "GetSecretValue",
            "GetSecretValue",
            "GetSecretValue",
            "DescribeSecret"
        ],
        "the child, its pending and current values, the master's value, the master's tags"
    );
    assert_eq!(
        rds.calls(),
        ["DescribeDBInstances:arn:aws:rds:eu-west-1:123456789012:db:shop"]
    );
}

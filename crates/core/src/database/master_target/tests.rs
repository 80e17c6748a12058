use super::*;
use crate::database::secret::tests::app;
use crate::rds::{ClusterMember, InMemoryRds};

const PRIMARY: &str = "shop.abc.eu-west-1.rds.amazonaws.com";
const REPLICA: &str = "shop-replica.abc.eu-west-1.rds.amazonaws.com";
const WRITER: &str = "shop-cluster.cluster-abc.eu-west-1.rds.amazonaws.com";
const READER: &str = "shop-cluster.cluster-ro-abc.eu-west-1.rds.amazonaws.com";
const MEMBER: &str = "shop-2.abc.eu-west-1.rds.amazonaws.com";

fn instance(identifier: &str, address: &str, cluster: Option<&str>, source: Option<&str>) -> DbInstance {
    DbInstance {
        identifier: identifier.into(),
        engine: "aurora-postgresql".into(),
        address: Some(address.into()),
        port: Some(5432),
        cluster: cluster.map(str::to_owned),
        replica_source: source.map(str::to_owned),
    }
}

/// An instance `shop` with a read replica, an Aurora cluster `shop-cluster` with members `shop-1`
/// (writer) and `shop-2`, and an unrelated instance `other`.
fn fleet() -> InMemoryRds {
    let rds = InMemoryRds::new();
    rds.add_instance(instance("shop", PRIMARY, None, None));
    rds.add_instance(instance(
        "shop-replica",
        REPLICA,
        None,
        Some("arn:aws:rds:eu-west-1:123456789012:db:shop"),
    ));
    rds.add_instance(instance(
        "shop-1",
        "shop-1.abc.eu-west-1.rds.amazonaws.com",
        Some("shop-cluster"),
        None,
    ));
    rds.add_instance(instance("shop-2", MEMBER, Some("shop-cluster"), None));
    rds.add_instance(instance(
        "other",
        "other.abc.eu-west-1.rds.amazonaws.com",
        None,
        None,
    ));
    rds.add_cluster(DbCluster {
        identifier: "shop-cluster".into(),
        engine: "aurora-postgresql".into(),
        endpoint: Some(WRITER.into()),
        reader_endpoint: Some(READER.into()),
        port: Some(5432),
        members: vec![
            ClusterMember {
                instance: "shop-1".into(),
                writer: true,
            },
            ClusterMember {
                instance: "shop-2".into(),
                writer: false,
            },
        ],
    });
    rds
}

fn on(host: &str) -> DatabaseSecret {
    app("app", &format!(r#","host":"{host}""#))
}

async fn related(
    rds: &InMemoryRds,
    master: &str,
    known: Option<RdsResource>,
    child: &str,
) -> Option<Relation> {
    let known = known.map(ManagedResource::Rds);
    relation(rds, &on(master), known.as_ref(), &on(child))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_read_replica_of_the_masters_instance_is_accepted() {
    let rds = fleet();
    assert_eq!(
        related(&rds, PRIMARY, None, REPLICA).await,
        Some(Relation::ReadReplica)
    );
    assert_eq!(
        related(
            &rds,
            PRIMARY,
            Some(RdsResource::Instance {
                identifier: "shop".into(),
                cluster: None,
            }),
            REPLICA
        )
        .await,
        Some(Relation::ReadReplica)
    );
}

#[tokio::test]
async fn cluster_endpoints_and_members_are_accepted_from_either_side() {
    let rds = fleet();
    let member_one = "shop-1.abc.eu-west-1.rds.amazonaws.com";
    for (master, child, how) in [
        (WRITER, READER, Relation::ClusterEndpoint),
        (WRITER, MEMBER, Relation::ClusterMember),
        (member_one, READER, Relation::ClusterEndpoint),
        (member_one, WRITER, Relation::ClusterEndpoint),
        (member_one, MEMBER, Relation::ClusterMember),
    ] {
        assert_eq!(
            related(&rds, master, None, child).await,
            Some(how),
            "{master} → {child}"
        );
    }
    assert_eq!(
        related(
            &rds,
            "anything",
            Some(RdsResource::Cluster("shop-cluster".into())),
            READER
        )
        .await,
        Some(Relation::ClusterEndpoint),
        "a master known from its cluster tag"
    );
}

#[tokio::test]
async fn unrelated_or_unknown_endpoints_are_no_proof() {
    let rds = fleet();
    for (master, child) in [
        (PRIMARY, "other.abc.eu-west-1.rds.amazonaws.com"),
        (PRIMARY, MEMBER),
        (WRITER, REPLICA),
        (PRIMARY, "attacker.example.com"),
        (PRIMARY, "10.0.0.7"),
        ("db.internal.example", REPLICA),
        // The right identifier under a host RDS does not report for it: a look-alike.
        (PRIMARY, "shop-replica.evil.example.com"),
    ] {
        assert_eq!(
            related(&rds, master, None, child).await,
            None,
            "{master} → {child}"
        );
    }
    let other_port = app("app", &format!(r#","host":"{REPLICA}","port":6543"#));
    assert_eq!(
        relation(&rds, &on(PRIMARY), None, &other_port).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn an_rds_error_is_an_error_not_a_mismatch() {
    #[derive(Debug)]
    struct Denied;
    impl RdsApi for Denied {
        fn describe_db_instance<'a>(&'a self, _: &'a str) -> crate::rds::RdsFuture<'a, DbInstance> {
            Box::pin(async {
                Err(RdsError::Service {
                    operation: "DescribeDBInstances",
                    code: "AccessDenied".into(),
                    message: "not authorized".into(),
                })
            })
        }
        fn describe_db_cluster<'a>(&'a self, _: &'a str) -> crate::rds::RdsFuture<'a, DbCluster> {
            Box::pin(async {
                Err(RdsError::NotFound {
                    kind: "cluster",
                    identifier: String::new(),
                })
            })
        }
    }
    let error = relation(&Denied, &on(PRIMARY), None, &on(REPLICA))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "RdsApiError");
}

#[test]
fn a_completion_fills_in_only_what_the_secret_lacks() {
    let completion = Completion {
        resource: ManagedResource::Rds(RdsResource::Instance {
            identifier: "shop".into(),
            cluster: None,
        }),
        host: PRIMARY.into(),
        port: 5432,
        engine: "postgres".into(),
    };
    let managed = crate::database::secret::tests::json(r#"{"username":"admin","password":"m"}"#);
    assert!(needs_completion(&managed));
    let completed = completion.apply(&managed);
    assert_eq!(completed.optional_str("host").unwrap(), Some(PRIMARY));
    assert_eq!(completed.port("port", 1).unwrap(), 5432);
    assert_eq!(completed.optional_str("engine").unwrap(), Some("postgres"));
    let full = crate::database::secret::tests::json(
        r#"{"username":"a","password":"m","host":"h","engine":"mysql"}"#,
    );
    assert!(!needs_completion(&full));
    assert_eq!(
        completion.apply(&full).optional_str("engine").unwrap(),
        Some("mysql")
    );
}

#[test]
fn only_plausible_identifiers_are_looked_up() {
    assert_eq!(plausible_identifier(PRIMARY), Some("shop"));
    assert_eq!(plausible_identifier("10.0.0.7"), None);
    assert_eq!(plausible_identifier("-x.example"), None);
    assert_eq!(plausible_identifier(&format!("{}.example", "a".repeat(64))), None);
}

#[tokio::test]
async fn a_redshift_master_is_no_proof_and_never_asks_rds() {
    let rds = fleet();
    let cluster = ManagedResource::Redshift(ManagedDatabase::Cluster {
        identifier: "shop".into(),
    });
    assert_eq!(
        relation(&rds, &on(PRIMARY), Some(&cluster), &on(REPLICA))
            .await
            .unwrap(),
        None,
        "a master completed from its Redshift tag"
    );
    let named = crate::database::secret::tests::json(&format!(
        r#"{{"engine":"redshift","host":"{PRIMARY}","port":5432,"username":"admin","password":"m"}}"#
    ));
    let family = crate::database::EngineFamily {
        engines: &["redshift"],
        ..crate::database::secret::tests::POSTGRES
    };
    let named = DatabaseSecret::parse(&named, &family).unwrap();
    assert_eq!(
        relation(&rds, &named, None, &on(REPLICA)).await.unwrap(),
        None,
        "a master that names engine redshift"
    );
    assert_eq!(rds.calls(), Vec::<String>::new(), "RDS was never asked");
}

#[test]
fn a_redshift_completion_fills_in_host_port_and_engine_redshift() {
    let completion = Completion {
        resource: ManagedResource::Redshift(ManagedDatabase::Namespace {
            arn: "arn:aws:redshift-serverless:eu-west-1:123456789012:namespace/n-1".into(),
        }),
        host: "wg.123456789012.eu-west-1.redshift-serverless.amazonaws.com".into(),
        port: 5439,
        engine: crate::redshift::ENGINE.into(),
    };
    let managed = crate::database::secret::tests::json(r#"{"username":"admin","password":"m"}"#);
    let completed = completion.apply(&managed);
    assert_eq!(
        completed.optional_str("host").unwrap(),
        Some("wg.123456789012.eu-west-1.redshift-serverless.amazonaws.com")
    );
    assert_eq!(completed.port("port", 1).unwrap(), 5439);
    assert_eq!(completed.optional_str("engine").unwrap(), Some("redshift"));
}

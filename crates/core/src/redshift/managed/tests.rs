use super::*;
use crate::error::{Classify, ErrorClass};
use crate::redshift::{InMemoryRedshift, Namespace};

const CLUSTER_ARN: &str = "arn:aws:redshift:eu-west-1:123456789012:cluster:shop";
const NAMESPACE_ARN: &str = "arn:aws:redshift-serverless:eu-west-1:123456789012:namespace/3b5e-1";
const HOST: &str = "shop.abc123.eu-west-1.redshift.amazonaws.com";

fn cluster(identifier: &str, address: Option<&str>, status: &str) -> Cluster {
    Cluster {
        identifier: identifier.into(),
        status: status.into(),
        address: address.map(str::to_owned),
        port: address.map(|_| 5439),
    }
}

fn workgroup(name: &str, namespace: &str, address: Option<&str>) -> Workgroup {
    Workgroup {
        name: name.into(),
        namespace: namespace.into(),
        status: if address.is_some() {
            "AVAILABLE"
        } else {
            "CREATING"
        }
        .into(),
        address: address.map(str::to_owned),
        port: address.map(|_| 5440),
    }
}

/// Namespaces `ns-0` … `ns-{count-1}` (ARN `…namespace/id-<n>`), each with workgroup `wg-<n>`,
/// listed in pages of `page_size`.
fn serverless(count: usize, page_size: usize) -> InMemoryRedshift {
    let model = InMemoryRedshift::new().with_page_size(page_size);
    for n in 0..count {
        model.add_namespace(Namespace {
            name: format!("ns-{n}"),
            arn: format!("arn:aws:redshift-serverless:eu-west-1:123456789012:namespace/id-{n}"),
        });
        model.add_workgroup(workgroup(
            &format!("wg-{n}"),
            &format!("ns-{n}"),
            Some(&format!(
                "wg-{n}.123456789012.eu-west-1.redshift-serverless.amazonaws.com"
            )),
        ));
    }
    model
}

fn namespace(n: usize) -> ManagedDatabase {
    ManagedDatabase::Namespace {
        arn: format!("arn:aws:redshift-serverless:eu-west-1:123456789012:namespace/id-{n}"),
    }
}

#[test]
fn tags_are_matched_in_any_case_and_name_only_arns_of_their_kind() {
    assert_eq!(
        ManagedDatabase::from_tag("aws:redshift:primaryClusterArn", CLUSTER_ARN),
        Some(ManagedDatabase::Cluster {
            identifier: "shop".into()
        })
    );
    assert_eq!(
        ManagedDatabase::from_tag("AWS:Redshift-Serverless:NamespaceArn", NAMESPACE_ARN),
        Some(ManagedDatabase::Namespace {
            arn: NAMESPACE_ARN.into()
        })
    );
    for (tag, value) in [
        (PROVISIONED_TAG, "shop"),
        (
            PROVISIONED_TAG,
            "arn:aws:redshift:eu-west-1:123456789012:cluster:",
        ),
        (
            PROVISIONED_TAG,
            "arn:aws:redshift:eu-west-1:123456789012:namespace:abc",
        ),
        (PROVISIONED_TAG, "arn:aws:rds:eu-west-1:123456789012:cluster:shop"),
        (PROVISIONED_TAG, NAMESPACE_ARN),
        (
            PROVISIONED_TAG,
            "arn:aws:redshift:eu-west-1:123456789012:cluster:shop:extra",
        ),
        (SERVERLESS_TAG, CLUSTER_ARN),
        (
            SERVERLESS_TAG,
            "arn:aws:redshift-serverless:eu-west-1:123456789012:namespace/",
        ),
        (
            SERVERLESS_TAG,
            "arn:aws:redshift-serverless:eu-west-1:123456789012:workgroup/x",
        ),
        ("aws:rds:primaryDBInstanceArn", CLUSTER_ARN),
    ] {
        assert_eq!(ManagedDatabase::from_tag(tag, value), None, "{tag} = {value}");
    }
    let long = format!(
        "arn:aws:redshift:eu-west-1:123456789012:cluster:{}",
        "a".repeat(210)
    );
    assert!(long.len() > 256);
    assert_eq!(
        ManagedDatabase::from_tag(PROVISIONED_TAG, &long),
        None,
        "longer than 256"
    );
    let longest = format!(
        "arn:aws:redshift:eu-west-1:123456789012:cluster:{}",
        "a".repeat(256 - 48)
    );
    assert_eq!(longest.len(), 256);
    assert!(ManagedDatabase::from_tag(PROVISIONED_TAG, &longest).is_some());
}

#[tokio::test]
async fn a_cluster_is_found_by_its_identifier() {
    let model = InMemoryRedshift::new();
    model.add_cluster(cluster("shop", Some(HOST), "available"));
    model.add_cluster(cluster(
        "other",
        Some("other.abc123.eu-west-1.redshift.amazonaws.com"),
        "available",
    ));
    let database = ManagedDatabase::from_tag(PROVISIONED_TAG, CLUSTER_ARN).unwrap();
    assert_eq!(
        database.endpoint(&model).await.unwrap(),
        RedshiftEndpoint {
            address: HOST.into(),
            port: 5439
        }
    );
    assert_eq!(model.calls(), ["DescribeClusters:shop"]);
}

#[tokio::test]
async fn a_missing_cluster_is_permanent_and_one_without_an_endpoint_yet_transient() {
    let model = InMemoryRedshift::new();
    model.add_cluster(cluster("creating", None, "creating"));
    let missing = ManagedDatabase::Cluster {
        identifier: "shop".into(),
    };
    let error = missing.endpoint(&model).await.unwrap_err();
    assert_eq!(
        (error.class(), error.error_type()),
        (ErrorClass::Permanent, "RedshiftClusterNotFound")
    );
    let creating = ManagedDatabase::Cluster {
        identifier: "creating".into(),
    };
    let error = creating.endpoint(&model).await.unwrap_err();
    assert_eq!(
        (error.class(), error.error_type()),
        (ErrorClass::Transient, "RedshiftEndpointMissing")
    );
    assert!(error.to_string().contains("\"creating\""), "{error}");
}

#[tokio::test]
async fn a_namespace_is_found_across_pages_and_its_workgroup_across_all_pages() {
    let model = serverless(7, 2);
    let endpoint = namespace(5).endpoint(&model).await.unwrap();
    assert_eq!(
        endpoint,
        RedshiftEndpoint {
            address: "wg-5.123456789012.eu-west-1.redshift-serverless.amazonaws.com".into(),
            port: 5440
        }
    );
    assert_eq!(
        model.calls(),
        [
            "ListNamespaces:-",
            "ListNamespaces:2",
            "ListNamespaces:4",
            "ListWorkgroups:-",
            "ListWorkgroups:2",
            "ListWorkgroups:4",
            "ListWorkgroups:6",
        ],
        "namespaces until found, every page of workgroups"
    );
}

#[tokio::test]
async fn serverless_refuses_an_unknown_namespace_no_workgroup_or_two_and_waits_for_an_endpoint() {
    let model = serverless(3, 100);
    let error = namespace(9).endpoint(&model).await.unwrap_err();
    assert_eq!(error.error_type(), "RedshiftNamespaceNotFound");
    // Only an exact ARN: another account's namespace with the same id is not it.
    let other_account = ManagedDatabase::Namespace {
        arn: "arn:aws:redshift-serverless:eu-west-1:999999999999:namespace/id-1".into(),
    };
    assert_eq!(
        other_account.endpoint(&model).await.unwrap_err().error_type(),
        "RedshiftNamespaceNotFound"
    );

    model.add_namespace(Namespace {
        name: "bare".into(),
        arn: "arn:aws:redshift-serverless:eu-west-1:123456789012:namespace/bare".into(),
    });
    let bare = ManagedDatabase::Namespace {
        arn: "arn:aws:redshift-serverless:eu-west-1:123456789012:namespace/bare".into(),
    };
    let error = bare.endpoint(&model).await.unwrap_err();
    assert_eq!(
        (error.class(), error.error_type()),
        (ErrorClass::Permanent, "RedshiftWorkgroupMissing")
    );

    model.add_workgroup(workgroup("wg-1b", "ns-1", Some("wg-1b.example")));
    let error = namespace(1).endpoint(&model).await.unwrap_err();
    assert_eq!(
        (error.class(), error.error_type()),
        (ErrorClass::Permanent, "RedshiftWorkgroupAmbiguous")
    );

    model.add_workgroup(workgroup("wg-bare", "bare", None));
    let error = bare.endpoint(&model).await.unwrap_err();
    assert_eq!(
        (error.class(), error.error_type()),
        (ErrorClass::Transient, "RedshiftEndpointMissing")
    );
}

#[tokio::test]
async fn access_denied_is_permanent_and_throttling_transient() {
    let model = serverless(1, 100);
    model.add_cluster(cluster("shop", Some(HOST), "available"));
    model.refuse(
        "DescribeClusters",
        RedshiftApiError::service("DescribeClusters", "AccessDenied", "not authorized"),
    );
    model.refuse(
        "ListWorkgroups",
        RedshiftApiError::service("ListWorkgroups", "ThrottlingException", "slow down"),
    );
    let shop = ManagedDatabase::Cluster {
        identifier: "shop".into(),
    };
    let error = shop.endpoint(&model).await.unwrap_err();
    assert_eq!(
        (error.class(), error.error_type()),
        (ErrorClass::Permanent, "RedshiftAccessDenied")
    );
    let error = namespace(0).endpoint(&model).await.unwrap_err();
    assert_eq!(
        (error.class(), error.error_type()),
        (ErrorClass::Transient, "RedshiftApiError")
    );
}

#[tokio::test]
async fn a_service_that_repeats_its_page_token_ends_the_walk() {
    #[derive(Debug)]
    struct Stuck;
    impl RedshiftApi for Stuck {
        fn describe_cluster<'a>(
            &'a self,
            identifier: &'a str,
        ) -> crate::redshift::RedshiftFuture<'a, Cluster> {
            Box::pin(async move {
                Err(RedshiftApiError::ClusterNotFound {
                    identifier: identifier.to_owned(),
                })
            })
        }
        fn list_namespaces<'a>(
            &'a self,
            _: Option<&'a str>,
        ) -> crate::redshift::RedshiftFuture<'a, Page<Namespace>> {
            Box::pin(async {
                Ok(Page {
                    items: Vec::new(),
                    next_token: Some("same".into()),
                })
            })
        }
        fn list_workgroups<'a>(
            &'a self,
            _: Option<&'a str>,
        ) -> crate::redshift::RedshiftFuture<'a, Page<Workgroup>> {
            Box::pin(async {
                Ok(Page {
                    items: Vec::new(),
                    next_token: Some("same".into()),
                })
            })
        }
    }
    let error = namespace(0).endpoint(&Stuck).await.unwrap_err();
    assert_eq!(error.error_type(), "RedshiftNamespaceNotFound");
}

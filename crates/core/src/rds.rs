//! The RDS port: what rotor needs to know about RDS and Aurora databases, and only that.
//!
//! Two lookups complete what a secret does not say:
//!
//! - an RDS-managed master secret (the console's and CDK's default) holds only `username` and
//!   `password`; its `aws:rds:primaryDBInstanceArn` or `aws:rds:primaryDBClusterArn` tag, then
//!   DescribeDBInstances or DescribeDBClusters, give its host, port and engine;
//! - a child secret on a read replica or an Aurora reader endpoint names another host than its
//!   master; the same calls prove (or refuse) that both belong to one instance or cluster.
//!
//! [`AwsRds`] calls the service through `aws-sdk-rds`, on the HTTP client and credentials the
//! Secrets Manager client uses. [`InMemoryRds`] models the two calls for unit tests.

mod aws;
mod error;
mod memory;
mod types;

use std::future::Future;
use std::pin::Pin;

pub use aws::AwsRds;
pub use error::RdsError;
pub use memory::InMemoryRds;
pub use types::{ClusterMember, DbCluster, DbInstance, identifier_of};

/// A boxed future, so the port can be used as `dyn RdsApi`.
pub type RdsFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, RdsError>> + Send + 'a>>;

/// The two RDS calls rotor makes. Both are read-only.
pub trait RdsApi: Send + Sync + std::fmt::Debug {
    /// DescribeDBInstances for one instance, by identifier or ARN.
    /// [`RdsError::NotFound`] when there is no such instance.
    fn describe_db_instance<'a>(&'a self, identifier: &'a str) -> RdsFuture<'a, DbInstance>;

    /// DescribeDBClusters for one cluster, by identifier or ARN.
    /// [`RdsError::NotFound`] when there is no such cluster.
    fn describe_db_cluster<'a>(&'a self, identifier: &'a str) -> RdsFuture<'a, DbCluster>;
}

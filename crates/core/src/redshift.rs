//! The Redshift port: where the database behind a Redshift-managed admin secret is.
//!
//! Redshift keeps only `username` and `password` in the admin secret it manages for a provisioned
//! cluster or a Serverless namespace. The secret's tag names the database:
//!
//! - [`PROVISIONED_TAG`] holds the cluster's ARN; DescribeClusters for the identifier it ends in
//!   gives the endpoint;
//! - [`SERVERLESS_TAG`] holds the namespace's ARN; ListNamespaces gives the namespace of exactly
//!   that ARN, and ListWorkgroups the one workgroup in that namespace, whose endpoint it is.
//!
//! The port is the service's three read-only calls, a page at a time, and nothing more: the walk
//! over every page and the refusals (no such cluster or namespace, no workgroup or two, no
//! endpoint yet) are here, once ([`ManagedDatabase::endpoint`]), so an adapter only maps the
//! SDK's shapes. rotor-core links no Redshift SDK: rotor-redshift's adapter does, so only the
//! Redshift functions pay for it. [`InMemoryRedshift`] models the three calls for unit tests,
//! pages and refusals included.

mod error;
mod managed;
mod memory;
mod types;

use std::future::Future;
use std::pin::Pin;

pub use error::RedshiftApiError;
pub use managed::{ENGINE, ManagedDatabase, PROVISIONED_TAG, SERVERLESS_TAG};
pub use memory::InMemoryRedshift;
pub use types::{Cluster, Namespace, Page, RedshiftEndpoint, Workgroup};

/// A boxed future, so the port can be used as `dyn RedshiftApi`.
pub type RedshiftFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, RedshiftApiError>> + Send + 'a>>;

/// The three Redshift calls rotor makes. All are read-only.
pub trait RedshiftApi: Send + Sync + std::fmt::Debug {
    /// DescribeClusters for one provisioned cluster, by identifier.
    /// [`RedshiftApiError::ClusterNotFound`] when there is no such cluster.
    fn describe_cluster<'a>(&'a self, identifier: &'a str) -> RedshiftFuture<'a, Cluster>;

    /// One page of Redshift Serverless's ListNamespaces: the first for `None`, else the page
    /// `next_token` (from the previous page) names.
    fn list_namespaces<'a>(&'a self, next_token: Option<&'a str>) -> RedshiftFuture<'a, Page<Namespace>>;

    /// One page of Redshift Serverless's ListWorkgroups, as [`list_namespaces`](Self::list_namespaces).
    fn list_workgroups<'a>(&'a self, next_token: Option<&'a str>) -> RedshiftFuture<'a, Page<Workgroup>>;
}

//! What the Redshift APIs say about a cluster, a namespace and a workgroup, reduced to what rotor
//! uses.

/// One provisioned cluster (DescribeClusters).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cluster {
    /// `ClusterIdentifier`.
    pub identifier: String,
    /// `ClusterStatus`, e.g. `available` or `creating`.
    pub status: String,
    /// `Endpoint.Address`; absent while the cluster is being created.
    pub address: Option<String>,
    /// `Endpoint.Port`.
    pub port: Option<u16>,
}

/// One Serverless namespace (ListNamespaces).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Namespace {
    /// `namespaceName`.
    pub name: String,
    /// `namespaceArn`.
    pub arn: String,
}

/// One Serverless workgroup (ListWorkgroups).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Workgroup {
    /// `workgroupName`.
    pub name: String,
    /// `namespaceName`: the namespace whose data it serves.
    pub namespace: String,
    /// `status`, e.g. `AVAILABLE` or `CREATING`.
    pub status: String,
    /// `endpoint.address`; absent while the workgroup is being created.
    pub address: Option<String>,
    /// `endpoint.port`.
    pub port: Option<u16>,
}

/// One page of a list call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// What the page lists.
    pub items: Vec<T>,
    /// `nextToken`: where the next page starts; `None` on the last page.
    pub next_token: Option<String>,
}

/// Where a Redshift-managed admin secret's database listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedshiftEndpoint {
    /// The endpoint's address, as Redshift reports it.
    pub address: String,
    /// Its port.
    pub port: u16,
}

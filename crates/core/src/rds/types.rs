//! What the RDS API says about an instance or a cluster, reduced to what rotor uses.

/// One DB instance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DbInstance {
    /// `DBInstanceIdentifier`.
    pub identifier: String,
    /// `Engine`, e.g. `postgres` or `aurora-postgresql`.
    pub engine: String,
    /// `Endpoint.Address`; absent while the instance is being created.
    pub address: Option<String>,
    /// `Endpoint.Port`.
    pub port: Option<u16>,
    /// `DBClusterIdentifier`, for an Aurora member.
    pub cluster: Option<String>,
    /// `ReadReplicaSourceDBInstanceIdentifier`, for a read replica (an identifier or an ARN).
    pub replica_source: Option<String>,
}

/// One DB cluster (Aurora, or a Multi-AZ DB cluster).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DbCluster {
    /// `DBClusterIdentifier`.
    pub identifier: String,
    /// `Engine`.
    pub engine: String,
    /// `Endpoint`: the writer endpoint.
    pub endpoint: Option<String>,
    /// `ReaderEndpoint`.
    pub reader_endpoint: Option<String>,
    /// `Port`.
    pub port: Option<u16>,
    /// `DBClusterMembers`.
    pub members: Vec<ClusterMember>,
}

/// One member instance of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterMember {
    /// `DBInstanceIdentifier`.
    pub instance: String,
    /// `IsClusterWriter`.
    pub writer: bool,
}

/// The identifier an RDS ARN names (`arn:aws:rds:…:db:my-db` → `my-db`), or the text itself when
/// it is not an ARN.
pub fn identifier_of(arn_or_identifier: &str) -> &str {
    match arn_or_identifier.strip_prefix("arn:") {
        Some(rest) => rest.rsplit(':').next().unwrap_or(rest),
        None => arn_or_identifier,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_come_from_the_last_arn_segment() {
        assert_eq!(
            identifier_of("arn:aws:rds:eu-west-1:123456789012:db:shop"),
            "shop"
        );
        assert_eq!(
            identifier_of("arn:aws-cn:rds:cn-north-1:123456789012:cluster:shop-cluster"),
            "shop-cluster"
        );
        assert_eq!(identifier_of("shop"), "shop");
    }
}

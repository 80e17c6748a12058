//! Where the master's database is, and whether the child's secret names the same database.
//!
//! An RDS-managed master secret holds only `username` and `password`: its
//! `aws:rds:primaryDBInstanceArn` or `aws:rds:primaryDBClusterArn` tag and the RDS API give its
//! host, port and engine. A child secret may name another host than its master (a read replica,
//! an Aurora reader endpoint or member instance, the cluster endpoint of the master's instance):
//! it is accepted only when the RDS API proves that both belong to one instance or cluster.
//! Host names are compared with what RDS reports, never guessed from their shape alone.

use crate::context::SecretContext;
use crate::error::{Classify, ErrorClass, RotatorError};
use crate::rds::{DbCluster, DbInstance, RdsApi, RdsError, identifier_of};
use crate::secret::SecretJson;

use super::secret::DatabaseSecret;

/// The tag RDS puts on the master secret it manages for a DB instance.
pub const PRIMARY_INSTANCE_TAG: &str = "aws:rds:primaryDBInstanceArn";
/// The tag RDS puts on the master secret it manages for a DB cluster.
pub const PRIMARY_CLUSTER_TAG: &str = "aws:rds:primaryDBClusterArn";

/// The tags with which Redshift marks the master secrets it manages (a provisioned cluster, a
/// Serverless namespace). Completing those from the Redshift API is not supported yet.
pub const REDSHIFT_MANAGED_TAGS: [&str; 2] = [
    "aws:redshift:primaryclusterarn",
    "aws:redshift-serverless:namespacearn",
];

/// The longest ARN a tag may name (AWS's functions refuse longer ones).
const MAX_ARN_LENGTH: usize = 256;

/// Why the master's database cannot be found. Names what was missing, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MasterTargetError {
    /// The master secret has no `host` and no RDS tag saying which database it manages.
    #[error(
        "master secret {secret_id} has no host and no {PRIMARY_INSTANCE_TAG} or {PRIMARY_CLUSTER_TAG} tag"
    )]
    NoRdsTag {
        /// The master secret.
        secret_id: String,
    },
    /// The master secret is managed by Redshift (it carries one of [`REDSHIFT_MANAGED_TAGS`]),
    /// whose host rotor cannot read from the Redshift API yet: name the cluster's host in a
    /// master secret of your own.
    #[error(
        "master secret {secret_id} is managed by Redshift ({tag}); rotor cannot complete it from the Redshift API yet: use a master secret that names its host"
    )]
    RedshiftManaged {
        /// The master secret.
        secret_id: String,
        /// The Redshift tag it carries.
        tag: &'static str,
    },
    /// The RDS tag does not hold a usable ARN.
    #[error("the {tag} tag of master secret {secret_id} is not a usable RDS ARN")]
    BadRdsTag {
        /// The master secret.
        secret_id: String,
        /// The tag's key.
        tag: String,
    },
    /// This function was built without access to the RDS API.
    #[error("master secret {secret_id} is RDS-managed, but this function has no RDS client")]
    RdsUnavailable {
        /// The master secret.
        secret_id: String,
    },
    /// RDS reports no endpoint for the master's instance or cluster (still being created?).
    #[error("RDS reports no endpoint for DB {kind} {identifier:?}")]
    NoEndpoint {
        /// `instance` or `cluster`.
        kind: &'static str,
        /// Its identifier.
        identifier: String,
    },
}

impl Classify for MasterTargetError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::NoEndpoint { .. } => ErrorClass::Transient,
            _ => ErrorClass::Permanent,
        }
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::NoRdsTag { .. } => "MasterRdsTagMissing",
            Self::BadRdsTag { .. } => "MasterRdsTagInvalid",
            Self::RedshiftManaged { .. } => "MasterManagedByRedshift",
            Self::RdsUnavailable { .. } => "RdsUnavailable",
            Self::NoEndpoint { .. } => "RdsEndpointMissing",
        }
    }
}

/// The RDS resource a master manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RdsResource {
    /// A DB instance, with the cluster RDS reported it in (the lookup that found it already
    /// says, so the instance is never described twice).
    Instance {
        /// Its identifier.
        identifier: String,
        /// `DBClusterIdentifier`, for an Aurora member.
        cluster: Option<String>,
    },
    /// A DB cluster, by identifier.
    Cluster(String),
}

/// What the RDS API said about an RDS-managed master secret.
#[derive(Debug, Clone)]
pub(super) struct Completion {
    pub(super) resource: RdsResource,
    host: String,
    port: u16,
    engine: String,
}

impl Completion {
    /// `json` with the host, port and engine RDS reported, where it names none.
    pub(super) fn apply(&self, json: &SecretJson) -> SecretJson {
        let mut completed = json.clone();
        if completed.get("host").is_none() {
            completed.set("host", self.host.clone());
            completed.set("port", self.port);
        }
        if completed.get("engine").is_none() {
            completed.set("engine", self.engine.clone());
        }
        completed
    }
}

/// Whether a master secret value needs completing from RDS: it names no host.
pub(super) fn needs_completion(json: &SecretJson) -> bool {
    json.get("host").is_none()
}

/// Completes an RDS-managed master secret: its tag (DescribeSecret on the master), then
/// DescribeDBInstances or DescribeDBClusters.
pub(super) async fn complete(ctx: &SecretContext<'_>, master_arn: &str) -> Result<Completion, RotatorError> {
    let description = ctx.describe_other(master_arn).await?;
    let tagged = |wanted: &str| {
        description
            .tags
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(wanted))
            .map(|(key, value)| (key.clone(), value.clone()))
    };
    let (tag, arn, cluster) = match (tagged(PRIMARY_INSTANCE_TAG), tagged(PRIMARY_CLUSTER_TAG)) {
        (Some((tag, arn)), _) => (tag, arn, false),
        (None, Some((tag, arn))) => (tag, arn, true),
        (None, None) => {
            let secret_id = master_arn.to_owned();
            return Err(match REDSHIFT_MANAGED_TAGS
                .into_iter()
                .find(|tag| tagged(tag).is_some())
            {
                Some(tag) => MasterTargetError::RedshiftManaged { secret_id, tag },
                None => MasterTargetError::NoRdsTag { secret_id },
            }
            .into());
        }
    };
    if arn.len() > MAX_ARN_LENGTH || !arn.starts_with("arn:") || identifier_of(&arn).is_empty() {
        return Err(MasterTargetError::BadRdsTag {
            secret_id: master_arn.to_owned(),
            tag,
        }
        .into());
    }
    let rds = ctx.rds().ok_or_else(|| MasterTargetError::RdsUnavailable {
        secret_id: master_arn.to_owned(),
    })?;
    if cluster {
        let found = rds.describe_db_cluster(&arn).await?;
        let (Some(host), Some(port)) = (found.endpoint.clone(), found.port) else {
            return Err(MasterTargetError::NoEndpoint {
                kind: "cluster",
                identifier: found.identifier,
            }
            .into());
        };
        Ok(Completion {
            resource: RdsResource::Cluster(found.identifier),
            host,
            port,
            engine: found.engine,
        })
    } else {
        let found = rds.describe_db_instance(&arn).await?;
        let (Some(host), Some(port)) = (found.address.clone(), found.port) else {
            return Err(MasterTargetError::NoEndpoint {
                kind: "instance",
                identifier: found.identifier,
            }
            .into());
        };
        Ok(Completion {
            resource: RdsResource::Instance {
                identifier: found.identifier,
                cluster: found.cluster,
            },
            host,
            port,
            engine: found.engine,
        })
    }
}

/// How a child on another host than its master was proven to belong to the master's database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Relation {
    /// A read replica of the master's instance.
    ReadReplica,
    /// The writer or reader endpoint of the master's cluster, or of the cluster the master's
    /// instance belongs to.
    ClusterEndpoint,
    /// A member instance of the master's cluster.
    ClusterMember,
}

/// Whether the RDS API proves that `child`'s host and port are an endpoint of the database
/// `master` manages. `known` is the master's resource when it came from its RDS tag; otherwise
/// the master's host is looked up and must be exactly what RDS reports for it.
///
/// A child or master host that RDS does not know is no proof (`Ok(None)`); an RDS API failure is
/// an error, never mistaken for a mismatch.
pub(super) async fn relation(
    rds: &dyn RdsApi,
    master: &DatabaseSecret,
    known: Option<&RdsResource>,
    child: &DatabaseSecret,
) -> Result<Option<Relation>, RdsError> {
    let resource = match known {
        Some(resource) => Some(resource.clone()),
        None => identify(rds, master).await?,
    };
    let Some(resource) = resource else {
        return Ok(None);
    };
    let candidate = match plausible_identifier(&child.host) {
        Some(identifier) => found(rds.describe_db_instance(identifier).await)?
            .filter(|instance| endpoint_is(instance.address.as_deref(), instance.port, child)),
        None => None,
    };
    let cluster = match &resource {
        RdsResource::Instance { identifier, cluster } => {
            if let Some(replica) = &candidate
                && replica.replica_source.as_deref().map(identifier_of) == Some(identifier.as_str())
            {
                return Ok(Some(Relation::ReadReplica));
            }
            match cluster {
                Some(cluster) => rds.describe_db_cluster(cluster).await?,
                None => return Ok(None),
            }
        }
        RdsResource::Cluster(identifier) => rds.describe_db_cluster(identifier).await?,
    };
    Ok(cluster_relation(&cluster, candidate.as_ref(), child))
}

/// The child as an endpoint or member of `cluster`.
fn cluster_relation(
    cluster: &DbCluster,
    candidate: Option<&DbInstance>,
    child: &DatabaseSecret,
) -> Option<Relation> {
    let endpoints = [cluster.endpoint.as_deref(), cluster.reader_endpoint.as_deref()];
    if endpoints
        .into_iter()
        .any(|endpoint| endpoint_is(endpoint, cluster.port, child))
    {
        return Some(Relation::ClusterEndpoint);
    }
    let member = candidate?;
    let listed = cluster
        .members
        .iter()
        .any(|listed| listed.instance == member.identifier);
    (listed && member.cluster.as_deref() == Some(cluster.identifier.as_str()))
        .then_some(Relation::ClusterMember)
}

/// The master's own RDS resource, from its host: `<id>.cluster-….rds.amazonaws.com` names a
/// cluster, anything else an instance. Only accepted when RDS reports exactly that endpoint.
async fn identify(rds: &dyn RdsApi, master: &DatabaseSecret) -> Result<Option<RdsResource>, RdsError> {
    let Some(identifier) = plausible_identifier(&master.host) else {
        return Ok(None);
    };
    let second_label = master.host.split('.').nth(1).unwrap_or_default();
    if second_label.starts_with("cluster-") && !second_label.starts_with("cluster-ro-") {
        let cluster = found(rds.describe_db_cluster(identifier).await)?;
        return Ok(cluster
            .filter(|cluster| endpoint_is(cluster.endpoint.as_deref(), cluster.port, master))
            .map(|cluster| RdsResource::Cluster(cluster.identifier)));
    }
    let instance = found(rds.describe_db_instance(identifier).await)?;
    Ok(instance
        .filter(|instance| endpoint_is(instance.address.as_deref(), instance.port, master))
        .map(|instance| RdsResource::Instance {
            identifier: instance.identifier,
            cluster: instance.cluster,
        }))
}

/// `None` for a resource RDS does not have.
fn found<T>(result: Result<T, RdsError>) -> Result<Option<T>, RdsError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(RdsError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Whether `secret` names exactly this endpoint.
fn endpoint_is(address: Option<&str>, port: Option<u16>, secret: &DatabaseSecret) -> bool {
    address.is_some_and(|address| address.eq_ignore_ascii_case(&secret.host)) && port == Some(secret.port)
}

/// The first label of `host` if it can be an RDS identifier (a letter, then letters, digits and
/// hyphens, at most 63): anything else, an IP address for instance, is not looked up.
fn plausible_identifier(host: &str) -> Option<&str> {
    let label = host.split('.').next()?;
    let mut chars = label.chars();
    let plausible = chars.next().is_some_and(|first| first.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
        && label.len() <= 63;
    plausible.then_some(label)
}

#[cfg(test)]
mod tests;

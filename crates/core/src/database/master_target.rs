//! Where the master's database is, and whether the child's secret names the same database.
//!
//! An RDS-managed master secret holds only `username` and `password`: its
//! `aws:rds:primaryDBInstanceArn` or `aws:rds:primaryDBClusterArn` tag and the RDS API give its
//! host, port and engine. A Redshift-managed admin secret is the same: its
//! `aws:redshift-serverless:namespacearn` or `aws:redshift:primaryclusterarn` tag (looked for in
//! that order, keys in any case) and the Redshift API ([`crate::redshift`]: DescribeClusters, or
//! ListNamespaces then ListWorkgroups) give its host and port, and its engine is `redshift`.
//!
//! A child secret may name another host than its master (a read replica, an Aurora reader
//! endpoint or member instance, the cluster endpoint of the master's instance): it is accepted
//! only when the RDS API proves that both belong to one instance or cluster. Host names are
//! compared with what RDS reports, never guessed from their shape alone. Redshift has no replicas
//! or reader endpoints, so a Redshift master (completed from its tag, or naming engine
//! `redshift`) is never looked up in RDS: its child must name the master's own host and port.

use crate::context::SecretContext;
use crate::error::{Classify, ErrorClass, RotatorError};
use crate::rds::{DbCluster, DbInstance, RdsApi, RdsError, identifier_of};
use crate::redshift::{self, ManagedDatabase};
use crate::secret::SecretJson;
use crate::secrets_manager::MAX_TAG_ARN_LENGTH;

use super::secret::DatabaseSecret;

/// The tag RDS puts on the master secret it manages for a DB instance.
pub const PRIMARY_INSTANCE_TAG: &str = "aws:rds:primaryDBInstanceArn";
/// The tag RDS puts on the master secret it manages for a DB cluster.
pub const PRIMARY_CLUSTER_TAG: &str = "aws:rds:primaryDBClusterArn";

/// The tags with which Redshift marks the master secrets it manages (a Serverless namespace, a
/// provisioned cluster; see [`redshift::SERVERLESS_TAG`] and [`redshift::PROVISIONED_TAG`]), in
/// the order they are looked for, which is AWS's own function's.
pub const REDSHIFT_MANAGED_TAGS: [&str; 2] = [redshift::SERVERLESS_TAG, redshift::PROVISIONED_TAG];

/// Why the master's database cannot be found. Names what was missing, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MasterTargetError {
    /// The master secret has no `host` and no RDS or Redshift tag saying which database it
    /// manages.
    #[error(
        "master secret {secret_id} has no host and no {PRIMARY_INSTANCE_TAG}, {PRIMARY_CLUSTER_TAG}, {} or {} tag",
        redshift::SERVERLESS_TAG,
        redshift::PROVISIONED_TAG
    )]
    NoRdsTag {
        /// The master secret.
        secret_id: String,
    },
    /// The master secret is managed by Redshift (it carries one of [`REDSHIFT_MANAGED_TAGS`]),
    /// but this function was built without access to the Redshift API
    /// ([`RotationFunction::with_redshift`](crate::RotationFunction::with_redshift)): rotate
    /// with the `redshift-multi-user` function, or name the host in the master secret.
    #[error(
        "master secret {secret_id} is managed by Redshift ({tag}), but this function has no Redshift API client to complete it: rotate with the redshift-multi-user function, or use a master secret that names its host"
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
    /// The Redshift tag does not hold an ARN of its kind (a cluster's for
    /// [`redshift::PROVISIONED_TAG`], a namespace's for [`redshift::SERVERLESS_TAG`]) of at most
    /// 256 characters.
    #[error("the {tag} tag of master secret {secret_id} is not a usable Redshift ARN")]
    BadRedshiftTag {
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
            Self::BadRedshiftTag { .. } => "MasterRedshiftTagInvalid",
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

/// The database a service-managed master secret belongs to, as its tag named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ManagedResource {
    /// An RDS instance or cluster.
    Rds(RdsResource),
    /// A Redshift cluster or Serverless namespace.
    Redshift(ManagedDatabase),
}

/// What the RDS or Redshift API said about a service-managed master secret.
#[derive(Debug, Clone)]
pub(super) struct Completion {
    pub(super) resource: ManagedResource,
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

/// Completes a service-managed master secret: its tag (DescribeSecret on the master), then
/// DescribeDBInstances or DescribeDBClusters for an RDS tag, the Redshift API for a Redshift tag.
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
            let redshift = REDSHIFT_MANAGED_TAGS
                .into_iter()
                .find_map(|known| tagged(known).map(|(key, arn)| (known, key, arn)));
            return match redshift {
                Some((known, key, arn)) => complete_from_redshift(ctx, master_arn, known, &key, &arn).await,
                None => Err(MasterTargetError::NoRdsTag {
                    secret_id: master_arn.to_owned(),
                }
                .into()),
            };
        }
    };
    if arn.len() > MAX_TAG_ARN_LENGTH || !arn.starts_with("arn:") || identifier_of(&arn).is_empty() {
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
            resource: ManagedResource::Rds(RdsResource::Cluster(found.identifier)),
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
            resource: ManagedResource::Rds(RdsResource::Instance {
                identifier: found.identifier,
                cluster: found.cluster,
            }),
            host,
            port,
            engine: found.engine,
        })
    }
}

/// Completes a Redshift-managed master secret from the Redshift API: the endpoint of the cluster
/// or of the namespace's workgroup that its tag (`known` of [`REDSHIFT_MANAGED_TAGS`], spelled
/// `key` on the secret, value `arn`) names, and engine `redshift`.
async fn complete_from_redshift(
    ctx: &SecretContext<'_>,
    master_arn: &str,
    known: &'static str,
    key: &str,
    arn: &str,
) -> Result<Completion, RotatorError> {
    let Some(api) = ctx.redshift() else {
        return Err(MasterTargetError::RedshiftManaged {
            secret_id: master_arn.to_owned(),
            tag: known,
        }
        .into());
    };
    let database =
        ManagedDatabase::from_tag(known, arn).ok_or_else(|| MasterTargetError::BadRedshiftTag {
            secret_id: master_arn.to_owned(),
            tag: key.to_owned(),
        })?;
    let endpoint = database.endpoint(api).await?;
    tracing::info!(
        secret_id = ctx.secret_id(),
        master = master_arn,
        kind = database.kind(),
        "the master secret is Redshift-managed: host and port come from the Redshift API"
    );
    Ok(Completion {
        resource: ManagedResource::Redshift(database),
        host: endpoint.address,
        port: endpoint.port,
        engine: redshift::ENGINE.to_owned(),
    })
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
/// `master` manages. `known` is the master's resource when it came from its tag; otherwise the
/// master's host is looked up and must be exactly what RDS reports for it.
///
/// A child or master host that RDS does not know is no proof (`Ok(None)`); an RDS API failure is
/// an error, never mistaken for a mismatch. A Redshift master (from a Redshift tag, or naming
/// engine `redshift`) is no proof without asking RDS: Redshift has no replicas or reader
/// endpoints, and its functions may not call RDS.
pub(super) async fn relation(
    rds: &dyn RdsApi,
    master: &DatabaseSecret,
    known: Option<&ManagedResource>,
    child: &DatabaseSecret,
) -> Result<Option<Relation>, RdsError> {
    let resource = match known {
        Some(ManagedResource::Rds(resource)) => Some(resource.clone()),
        Some(ManagedResource::Redshift(_)) => return Ok(no_redshift_replicas(master)),
        None if master.engine == redshift::ENGINE => return Ok(no_redshift_replicas(master)),
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

/// No proof for a child on another host than its Redshift master, and why in the log.
fn no_redshift_replicas(master: &DatabaseSecret) -> Option<Relation> {
    tracing::warn!(
        master_host = %master.host,
        "the child names another host or port than its Redshift master; Redshift has no replicas or reader endpoints, so the child must name the master's endpoint"
    );
    None
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

//! A Redshift-managed admin secret's tag, and the endpoint of the database it names.

use super::{Cluster, Page, RedshiftApi, RedshiftApiError, RedshiftEndpoint, Workgroup};
use crate::secrets_manager::MAX_TAG_ARN_LENGTH;

/// The tag Redshift puts on the admin secret it manages for a provisioned cluster; its value is
/// the cluster's ARN (`arn:aws:redshift:<region>:<account>:cluster:<identifier>`).
pub const PROVISIONED_TAG: &str = "aws:redshift:primaryclusterarn";
/// The tag Redshift puts on the admin secret it manages for a Serverless namespace; its value is
/// the namespace's ARN (`arn:aws:redshift-serverless:<region>:<account>:namespace/<id>`).
pub const SERVERLESS_TAG: &str = "aws:redshift-serverless:namespacearn";

/// The engine of a Redshift-managed admin secret (which names none): AWS's Redshift functions
/// accept only this one.
pub const ENGINE: &str = "redshift";

/// The database a Redshift-managed admin secret belongs to, as its tag names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedDatabase {
    /// A provisioned cluster, by the identifier its ARN ends in.
    Cluster {
        /// `ClusterIdentifier`.
        identifier: String,
    },
    /// A Serverless namespace, by its full ARN (ListNamespaces is searched for exactly it).
    Namespace {
        /// `namespaceArn`.
        arn: String,
    },
}

impl ManagedDatabase {
    /// What the tag `key` (compared in any case with [`PROVISIONED_TAG`] and [`SERVERLESS_TAG`])
    /// with value `arn` names; `None` when the key is neither or the value is not an ARN of that
    /// kind of at most 256 characters. Nothing is guessed from a value of another shape.
    pub fn from_tag(key: &str, arn: &str) -> Option<Self> {
        if arn.len() > MAX_TAG_ARN_LENGTH {
            return None;
        }
        let parts: Vec<&str> = arn.split(':').collect();
        if key.eq_ignore_ascii_case(PROVISIONED_TAG) {
            let ["arn", _, "redshift", _, _, "cluster", identifier] = parts[..] else {
                return None;
            };
            let plausible =
                !identifier.is_empty() && identifier.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            plausible.then(|| Self::Cluster {
                identifier: identifier.to_owned(),
            })
        } else if key.eq_ignore_ascii_case(SERVERLESS_TAG) {
            let ["arn", _, "redshift-serverless", _, _, resource] = parts[..] else {
                return None;
            };
            let id = resource.strip_prefix("namespace/")?;
            (!id.is_empty() && !id.contains('/')).then(|| Self::Namespace { arn: arn.to_owned() })
        } else {
            None
        }
    }

    /// `cluster` or `namespace`, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Cluster { .. } => "cluster",
            Self::Namespace { .. } => "namespace",
        }
    }

    /// The cluster's identifier or the namespace's ARN.
    pub fn name(&self) -> &str {
        match self {
            Self::Cluster { identifier } => identifier,
            Self::Namespace { arn } => arn,
        }
    }

    /// Where the database listens, as Redshift reports it: DescribeClusters for a cluster;
    /// ListNamespaces (page by page until the namespace is found), then ListWorkgroups (every
    /// page) for a namespace, whose one workgroup's endpoint it is. No workgroup, or more than
    /// one, is refused rather than chosen; a cluster or workgroup without an endpoint yet is
    /// [`RedshiftApiError::NoEndpoint`] (transient).
    pub async fn endpoint(&self, api: &dyn RedshiftApi) -> Result<RedshiftEndpoint, RedshiftApiError> {
        match self {
            Self::Cluster { identifier } => {
                let Cluster {
                    identifier,
                    status,
                    address,
                    port,
                } = api.describe_cluster(identifier).await?;
                endpoint_of("cluster", identifier, status, address, port)
            }
            Self::Namespace { arn } => {
                let namespace = namespace_name(api, arn).await?;
                let mut found = workgroups_in(api, &namespace).await?;
                if found.len() > 1 {
                    return Err(RedshiftApiError::ManyWorkgroups {
                        namespace,
                        count: found.len(),
                    });
                }
                let Workgroup {
                    name,
                    status,
                    address,
                    port,
                    ..
                } = found.pop().ok_or(RedshiftApiError::NoWorkgroup { namespace })?;
                endpoint_of("workgroup", name, status, address, port)
            }
        }
    }
}

/// The name of the namespace whose ARN is exactly `arn`, reading no more pages than needed.
async fn namespace_name(api: &dyn RedshiftApi, arn: &str) -> Result<String, RedshiftApiError> {
    let mut token: Option<String> = None;
    loop {
        let Page { items, next_token } = api.list_namespaces(token.as_deref()).await?;
        if let Some(namespace) = items.into_iter().find(|namespace| namespace.arn == arn) {
            return Ok(namespace.name);
        }
        match next_token {
            Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
            // The last page, or a service that hands back the token it was given.
            _ => {
                return Err(RedshiftApiError::NamespaceNotFound { arn: arn.to_owned() });
            }
        }
    }
}

/// The workgroups in the namespace called `namespace`, from every page of ListWorkgroups.
async fn workgroups_in(api: &dyn RedshiftApi, namespace: &str) -> Result<Vec<Workgroup>, RedshiftApiError> {
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let Page { items, next_token } = api.list_workgroups(token.as_deref()).await?;
        found.extend(
            items
                .into_iter()
                .filter(|workgroup| workgroup.namespace == namespace),
        );
        match next_token {
            Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
            _ => return Ok(found),
        }
    }
}

fn endpoint_of(
    kind: &'static str,
    name: String,
    status: String,
    address: Option<String>,
    port: Option<u16>,
) -> Result<RedshiftEndpoint, RedshiftApiError> {
    match (address, port) {
        (Some(address), Some(port)) if !address.is_empty() => Ok(RedshiftEndpoint { address, port }),
        _ => Err(RedshiftApiError::NoEndpoint { kind, name, status }),
    }
}

#[cfg(test)]
mod tests;

//! The RDS port over `aws-sdk-rds`.

use aws_sdk_rds::Client;
use aws_sdk_rds::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::OnceCell;

use super::types::identifier_of;
use super::{ClusterMember, DbCluster, DbInstance, RdsApi, RdsError, RdsFuture};
use crate::secrets_manager::message_chain;

/// RDS through `aws-sdk-rds`.
///
/// [`AwsRds::from_env`] builds the client on first use, from the same SDK configuration (HTTP
/// client, TLS stack, credentials, region, retries) as the Lambda's Secrets Manager client, once
/// per process: functions that never resolve an RDS-managed master or a replica never pay for
/// it. `AWS_ENDPOINT_URL_RDS` and `AWS_ENDPOINT_URL` are honoured by the SDK.
#[derive(Debug, Clone, Default)]
pub struct AwsRds {
    client: OnceCell<Client>,
}

impl AwsRds {
    /// Wraps an SDK client.
    pub fn new(client: Client) -> Self {
        Self {
            client: OnceCell::new_with(Some(client)),
        }
    }

    /// A client on `config` (the `rotor` CLI's, with its profile and `--endpoint-url`).
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self::new(Client::new(config))
    }

    /// A client built on first use from the process's shared SDK configuration.
    pub fn from_env() -> Self {
        Self::default()
    }

    /// The SDK client.
    pub async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| async { Client::new(crate::secrets_manager::shared_sdk_config().await) })
            .await
    }
}

/// Maps an SDK error to the port's error; `not_found` says whether it is the service's
/// not-found error for this operation.
fn map_error<E, R>(
    operation: &'static str,
    error: &SdkError<E, R>,
    not_found: impl FnOnce(&E) -> bool,
    kind: &'static str,
    identifier: &str,
) -> RdsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    match error {
        SdkError::ServiceError(service) if not_found(service.err()) => RdsError::NotFound {
            kind,
            identifier: identifier.to_owned(),
        },
        SdkError::ServiceError(service) => RdsError::Service {
            operation,
            code: service.err().code().unwrap_or("Unknown").to_owned(),
            message: service.err().message().unwrap_or_default().to_owned(),
        },
        _ => RdsError::Transport {
            operation,
            reason: message_chain(error),
        },
    }
}

fn port(port: Option<i32>) -> Option<u16> {
    port.and_then(|port| u16::try_from(port).ok())
}

fn not_found(kind: &'static str, identifier: &str) -> RdsError {
    RdsError::NotFound {
        kind,
        identifier: identifier.to_owned(),
    }
}

fn instance(found: &aws_sdk_rds::types::DbInstance) -> DbInstance {
    let endpoint = found.endpoint();
    DbInstance {
        identifier: found.db_instance_identifier().unwrap_or_default().to_owned(),
        engine: found.engine().unwrap_or_default().to_owned(),
        address: endpoint
            .and_then(|endpoint| endpoint.address())
            .map(str::to_owned),
        port: port(endpoint.and_then(|endpoint| endpoint.port())),
        cluster: found.db_cluster_identifier().map(str::to_owned),
        replica_source: found
            .read_replica_source_db_instance_identifier()
            .map(str::to_owned),
    }
}

fn cluster(found: &aws_sdk_rds::types::DbCluster) -> DbCluster {
    DbCluster {
        identifier: found.db_cluster_identifier().unwrap_or_default().to_owned(),
        engine: found.engine().unwrap_or_default().to_owned(),
        endpoint: found.endpoint().map(str::to_owned),
        reader_endpoint: found.reader_endpoint().map(str::to_owned),
        port: port(found.port()),
        members: found
            .db_cluster_members()
            .iter()
            .map(|member| ClusterMember {
                instance: member.db_instance_identifier().unwrap_or_default().to_owned(),
                writer: member.is_cluster_writer().unwrap_or(false),
            })
            .collect(),
    }
}

impl RdsApi for AwsRds {
    fn describe_db_instance<'a>(&'a self, identifier: &'a str) -> RdsFuture<'a, DbInstance> {
        use aws_sdk_rds::operation::describe_db_instances::DescribeDBInstancesError as Error;
        Box::pin(async move {
            let request = self.client().await.describe_db_instances();
            let output = request
                .db_instance_identifier(identifier_of(identifier))
                .send()
                .await
                .map_err(|error| {
                    let missing = Error::is_db_instance_not_found_fault;
                    map_error("DescribeDBInstances", &error, missing, "instance", identifier)
                })?;
            let first = output.db_instances().first();
            first
                .map(instance)
                .ok_or_else(|| not_found("instance", identifier))
        })
    }

    fn describe_db_cluster<'a>(&'a self, identifier: &'a str) -> RdsFuture<'a, DbCluster> {
        use aws_sdk_rds::operation::describe_db_clusters::DescribeDBClustersError as Error;
        Box::pin(async move {
            let request = self.client().await.describe_db_clusters();
            let output = request
                .db_cluster_identifier(identifier_of(identifier))
                .send()
                .await
                .map_err(|error| {
                    let missing = Error::is_db_cluster_not_found_fault;
                    map_error("DescribeDBClusters", &error, missing, "cluster", identifier)
                })?;
            let first = output.db_clusters().first();
            first.map(cluster).ok_or_else(|| not_found("cluster", identifier))
        })
    }
}

//! rotor-core's Redshift port over `aws-sdk-redshift` (provisioned clusters) and
//! `aws-sdk-redshiftserverless` (namespaces and workgroups). The walk over pages and every
//! refusal are rotor-core's ([`ManagedDatabase::endpoint`](rotor_core::redshift::ManagedDatabase::endpoint));
//! this only maps the SDKs' shapes and errors.

use aws_sdk_redshift::error::{ProvideErrorMetadata, SdkError};
use rotor_core::redshift::{
    Cluster, Namespace, Page, RedshiftApi, RedshiftApiError, RedshiftFuture, Workgroup,
};
use rotor_core::secrets_manager::{message_chain, shared_sdk_config};
use tokio::sync::OnceCell;

/// The largest page ListNamespaces and ListWorkgroups return.
const PAGE_SIZE: i32 = 100;

/// Redshift and Redshift Serverless through the AWS SDK.
///
/// [`AwsRedshift::from_env`] builds each client on first use, from the same SDK configuration
/// (HTTP client, TLS stack, credentials, region, retries) as the Lambda's Secrets Manager client:
/// a rotation whose master secret names its host never builds one. `AWS_ENDPOINT_URL_REDSHIFT`,
/// `AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS` and `AWS_ENDPOINT_URL` are honoured by the SDK.
#[derive(Debug, Clone, Default)]
pub struct AwsRedshift {
    provisioned: OnceCell<aws_sdk_redshift::Client>,
    serverless: OnceCell<aws_sdk_redshiftserverless::Client>,
}

impl AwsRedshift {
    /// Wraps SDK clients.
    pub fn new(
        provisioned: aws_sdk_redshift::Client,
        serverless: aws_sdk_redshiftserverless::Client,
    ) -> Self {
        Self {
            provisioned: OnceCell::new_with(Some(provisioned)),
            serverless: OnceCell::new_with(Some(serverless)),
        }
    }

    /// Clients on `config` (the `rotor` CLI's, with its profile and `--endpoint-url`).
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self::new(
            aws_sdk_redshift::Client::new(config),
            aws_sdk_redshiftserverless::Client::new(config),
        )
    }

    /// Clients built on first use from the process's shared SDK configuration.
    pub fn from_env() -> Self {
        Self::default()
    }

    /// The Redshift client.
    pub async fn provisioned(&self) -> &aws_sdk_redshift::Client {
        self.provisioned
            .get_or_init(|| async { aws_sdk_redshift::Client::new(shared_sdk_config().await) })
            .await
    }

    /// The Redshift Serverless client.
    pub async fn serverless(&self) -> &aws_sdk_redshiftserverless::Client {
        self.serverless
            .get_or_init(|| async { aws_sdk_redshiftserverless::Client::new(shared_sdk_config().await) })
            .await
    }
}

/// The port's error for an SDK error of `operation` that is not the operation's own not-found.
fn map_error<E, R>(operation: &'static str, error: &SdkError<E, R>) -> RedshiftApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    match error {
        SdkError::ServiceError(service) => RedshiftApiError::service(
            operation,
            service.err().code().unwrap_or("Unknown"),
            service.err().message().unwrap_or_default(),
        ),
        _ => RedshiftApiError::Transport {
            operation,
            reason: message_chain(error),
        },
    }
}

fn port(port: Option<i32>) -> Option<u16> {
    port.and_then(|port| u16::try_from(port).ok())
}

fn owned(text: Option<&str>) -> String {
    text.unwrap_or_default().to_owned()
}

impl RedshiftApi for AwsRedshift {
    fn describe_cluster<'a>(&'a self, identifier: &'a str) -> RedshiftFuture<'a, Cluster> {
        use aws_sdk_redshift::operation::describe_clusters::DescribeClustersError;
        const OPERATION: &str = "DescribeClusters";
        Box::pin(async move {
            let not_found = || RedshiftApiError::ClusterNotFound {
                identifier: identifier.to_owned(),
            };
            let request = self.provisioned().await.describe_clusters();
            let output =
                request
                    .cluster_identifier(identifier)
                    .send()
                    .await
                    .map_err(|error| match &error {
                        SdkError::ServiceError(service)
                            if DescribeClustersError::is_cluster_not_found_fault(service.err()) =>
                        {
                            not_found()
                        }
                        _ => map_error(OPERATION, &error),
                    })?;
            let found = output.clusters().first().ok_or_else(not_found)?;
            let endpoint = found.endpoint();
            Ok(Cluster {
                identifier: owned(found.cluster_identifier()),
                status: owned(found.cluster_status()),
                address: endpoint
                    .and_then(|endpoint| endpoint.address())
                    .map(str::to_owned),
                port: port(endpoint.and_then(|endpoint| endpoint.port())),
            })
        })
    }

    fn list_namespaces<'a>(&'a self, next_token: Option<&'a str>) -> RedshiftFuture<'a, Page<Namespace>> {
        Box::pin(async move {
            let request = self.serverless().await.list_namespaces();
            let output = request
                .max_results(PAGE_SIZE)
                .set_next_token(next_token.map(str::to_owned))
                .send()
                .await
                .map_err(|error| map_error("ListNamespaces", &error))?;
            let items = output.namespaces().iter().map(|namespace| Namespace {
                name: owned(namespace.namespace_name()),
                arn: owned(namespace.namespace_arn()),
            });
            Ok(Page {
                items: items.collect(),
                next_token: output.next_token().map(str::to_owned),
            })
        })
    }

    fn list_workgroups<'a>(&'a self, next_token: Option<&'a str>) -> RedshiftFuture<'a, Page<Workgroup>> {
        Box::pin(async move {
            let request = self.serverless().await.list_workgroups();
            let output = request
                .max_results(PAGE_SIZE)
                .set_next_token(next_token.map(str::to_owned))
                .send()
                .await
                .map_err(|error| map_error("ListWorkgroups", &error))?;
            let items = output.workgroups().iter().map(|workgroup| {
                let endpoint = workgroup.endpoint();
                Workgroup {
                    name: owned(workgroup.workgroup_name()),
                    namespace: owned(workgroup.namespace_name()),
                    status: owned(workgroup.status().map(|status| status.as_str())),
                    address: endpoint
                        .and_then(|endpoint| endpoint.address())
                        .map(str::to_owned),
                    port: port(endpoint.and_then(|endpoint| endpoint.port())),
                }
            });
            Ok(Page {
                items: items.collect(),
                next_token: output.next_token().map(str::to_owned),
            })
        })
    }
}

//! The IAM port over `aws-sdk-iam` and `aws-sdk-sts`.

use std::time::SystemTime;

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::StatusType;
use aws_sdk_sts::config::Credentials;
use rotor_core::secrets_manager::{message_chain, shared_sdk_config};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use super::{AccessKey, IamApi, IamError, KeyStatus, NewAccessKey};

/// The SDK configuration of a process, as the SDK's own type.
type SdkConfig = aws_config::SdkConfig;

/// IAM and STS through the AWS SDK.
///
/// [`AwsIam::from_env`] builds the IAM client on first use, once per process, from the same SDK
/// configuration (HTTP client, credentials, region, retries) as the Lambda's Secrets Manager
/// client. `AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL` are honoured by
/// the SDK. STS is called with the key under test, never with the function's own credentials.
#[derive(Debug, Clone, Default)]
pub struct AwsIam {
    clients: OnceCell<Clients>,
}

#[derive(Debug, Clone)]
struct Clients {
    iam: aws_sdk_iam::Client,
    config: SdkConfig,
}

impl Clients {
    fn new(config: &SdkConfig) -> Self {
        Self {
            iam: aws_sdk_iam::Client::new(config),
            config: config.clone(),
        }
    }
}

impl AwsIam {
    /// Clients built on first use from the process's shared SDK configuration.
    pub fn from_env() -> Self {
        Self::default()
    }

    /// Clients on `config` (an endpoint override for tests, say).
    pub fn from_config(config: &SdkConfig) -> Self {
        Self {
            clients: OnceCell::new_with(Some(Clients::new(config))),
        }
    }

    async fn clients(&self) -> &Clients {
        self.clients
            .get_or_init(|| async { Clients::new(shared_sdk_config().await) })
            .await
    }
}

/// Maps an SDK error; `missing` is the port's error for the operation's `NoSuchEntity`.
fn map_error<E, R>(
    operation: &'static str,
    error: &SdkError<E, R>,
    missing: impl FnOnce() -> IamError,
) -> IamError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    match error {
        SdkError::ServiceError(service) => match service.err().code() {
            Some("NoSuchEntity") => missing(),
            code => IamError::Service {
                operation,
                code: code.unwrap_or("Unknown").to_owned(),
                message: service.err().message().unwrap_or_default().to_owned(),
            },
        },
        _ => IamError::Transport {
            operation,
            reason: message_chain(error),
        },
    }
}

fn user_not_found(user: &str) -> impl FnOnce() -> IamError {
    let user = user.to_owned();
    move || IamError::UserNotFound { user }
}

fn key_not_found(user: &str, key_id: &str) -> impl FnOnce() -> IamError {
    let (user, key_id) = (user.to_owned(), key_id.to_owned());
    move || IamError::KeyNotFound { user, key_id }
}

impl IamApi for AwsIam {
    async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKey>, IamError> {
        let request = self.clients().await.iam.list_access_keys().user_name(user);
        // A user has at most two keys: one page always holds them all.
        let output = request
            .send()
            .await
            .map_err(|error| map_error("ListAccessKeys", &error, user_not_found(user)))?;
        Ok(output
            .access_key_metadata()
            .iter()
            .filter_map(|key| {
                Some(AccessKey {
                    id: key.access_key_id()?.to_owned(),
                    status: match key.status() {
                        Some(StatusType::Active) => KeyStatus::Active,
                        _ => KeyStatus::Inactive,
                    },
                    created: key
                        .create_date()
                        .and_then(|date| SystemTime::try_from(*date).ok()),
                })
            })
            .collect())
    }

    async fn create_access_key(&self, user: &str) -> Result<NewAccessKey, IamError> {
        let request = self.clients().await.iam.create_access_key().user_name(user);
        let output = request.send().await.map_err(|error| match &error {
            SdkError::ServiceError(service) if service.err().is_limit_exceeded_exception() => {
                IamError::LimitExceeded {
                    user: user.to_owned(),
                }
            }
            _ => map_error("CreateAccessKey", &error, user_not_found(user)),
        })?;
        let key = output.access_key().ok_or_else(|| IamError::Transport {
            operation: "CreateAccessKey",
            reason: "the answer holds no AccessKey".into(),
        })?;
        Ok(NewAccessKey {
            id: key.access_key_id().to_owned(),
            secret: SecretString::from(key.secret_access_key()),
        })
    }

    async fn update_access_key(&self, user: &str, key_id: &str, status: KeyStatus) -> Result<(), IamError> {
        let request = self.clients().await.iam.update_access_key();
        request
            .user_name(user)
            .access_key_id(key_id)
            .status(StatusType::from(status.as_str()))
            .send()
            .await
            .map_err(|error| map_error("UpdateAccessKey", &error, key_not_found(user, key_id)))?;
        Ok(())
    }

    async fn delete_access_key(&self, user: &str, key_id: &str) -> Result<(), IamError> {
        let request = self.clients().await.iam.delete_access_key();
        request
            .user_name(user)
            .access_key_id(key_id)
            .send()
            .await
            .map_err(|error| map_error("DeleteAccessKey", &error, key_not_found(user, key_id)))?;
        Ok(())
    }

    async fn caller_identity(&self, key_id: &str, secret: &SecretString) -> Result<String, IamError> {
        let credentials =
            Credentials::new(key_id, secret.expose_secret(), None, None, "rotor-iam-access-key");
        let config = aws_sdk_sts::config::Builder::from(&self.clients().await.config)
            .credentials_provider(credentials)
            .build();
        let output = aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .map_err(|error| match &error {
                SdkError::ServiceError(service)
                    if matches!(
                        service.err().code(),
                        Some("InvalidClientTokenId" | "SignatureDoesNotMatch")
                    ) =>
                {
                    IamError::KeyNotRecognised {
                        key_id: key_id.to_owned(),
                        code: service.err().code().unwrap_or_default().to_owned(),
                    }
                }
                _ => map_error("GetCallerIdentity", &error, || IamError::Transport {
                    operation: "GetCallerIdentity",
                    reason: "NoSuchEntity".into(),
                }),
            })?;
        Ok(output.arn().unwrap_or_default().to_owned())
    }
}

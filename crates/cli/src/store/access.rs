//! Why AWS could not be used at all: no credentials, expired credentials, access denied, a
//! missing or wrong region, an unreachable endpoint. Each is one line, one line of what to do,
//! and an exit code of its own, so scripts can tell them apart.

use std::time::SystemTime;

use aws_sdk_secretsmanager::config::{ProvideCredentials, Region, SharedCredentialsProvider};
use rotor_core::SecretsManagerError;
use rotor_core::secrets_manager::message_chain;

use crate::output::{Exit, timestamp};

/// A failure to reach or use AWS, before or during any command. Holds no secret value: the
/// details are the SDK's and the service's messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum AccessError {
    /// The default credential chain found no credentials.
    #[error("no AWS credentials: {detail}")]
    NoCredentials {
        /// What the credential chain said.
        detail: String,
    },
    /// The credentials have expired, by their own expiry or by the service's answer.
    #[error("the AWS credentials have expired: {detail}")]
    ExpiredCredentials {
        /// When, or what the service said.
        detail: String,
    },
    /// The service refused the caller.
    #[error("access denied by Secrets Manager: {detail}")]
    AccessDenied {
        /// The service's message.
        detail: String,
    },
    /// No region is configured, so there is no Secrets Manager to call.
    #[error("no AWS region is configured")]
    NoRegion,
    /// The secret's ARN names another region than the one rotor calls.
    #[error("secret {secret_id} is in region {secret_region}, but rotor calls Secrets Manager in {region}")]
    WrongRegion {
        /// The ARN as given.
        secret_id: String,
        /// The ARN's region.
        secret_region: String,
        /// The configured region.
        region: String,
    },
    /// No answer from the endpoint.
    #[error("cannot reach Secrets Manager at {target}: {detail}")]
    Unreachable {
        /// The endpoint or region.
        target: String,
        /// The transport's messages.
        detail: String,
    },
}

impl AccessError {
    /// The failure a port error means, when it is one of these.
    pub(crate) fn from_port(error: &SecretsManagerError, target: &str) -> Option<Self> {
        match error {
            SecretsManagerError::AccessDenied(detail) => Some(Self::AccessDenied {
                detail: detail.clone(),
            }),
            SecretsManagerError::ExpiredCredentials(detail) => Some(Self::ExpiredCredentials {
                detail: detail.clone(),
            }),
            SecretsManagerError::Transport(detail) => Some(Self::Unreachable {
                target: target.to_owned(),
                detail: detail.clone(),
            }),
            _ => None,
        }
    }

    /// The exit code: each failure its own (see the CLI's help).
    pub(crate) fn exit(&self) -> Exit {
        match self {
            Self::NoCredentials { .. } => Exit::NoCredentials,
            Self::ExpiredCredentials { .. } => Exit::ExpiredCredentials,
            Self::AccessDenied { .. } => Exit::AccessDenied,
            Self::NoRegion | Self::WrongRegion { .. } => Exit::Region,
            Self::Unreachable { .. } => Exit::Unreachable,
        }
    }

    /// What to do about it, in one line.
    pub(crate) fn what_to_do(&self) -> String {
        match self {
            Self::NoCredentials { .. } => {
                "configure credentials (aws configure, aws sso login, AWS_PROFILE, or \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or use the local store: --store local"
                    .to_owned()
            }
            Self::ExpiredCredentials { .. } => {
                "refresh the credentials (aws sso login, or new temporary keys for AWS_SESSION_TOKEN), \
                 then run the command again"
                    .to_owned()
            }
            Self::AccessDenied { .. } => {
                "check the IAM permissions of these credentials: secretsmanager:DescribeSecret, \
                 GetSecretValue, PutSecretValue, UpdateSecretVersionStage, ListSecretVersionIds, \
                 ListSecrets for --all (and kms:Decrypt for a customer managed key)"
                    .to_owned()
            }
            Self::NoRegion => {
                "set AWS_REGION (e.g. export AWS_REGION=eu-west-1) or region in ~/.aws/config".to_owned()
            }
            Self::WrongRegion { secret_region, .. } => {
                format!("call the secret's region: AWS_REGION={secret_region} rotor …")
            }
            Self::Unreachable { .. } => {
                "check the network, the region and --endpoint-url (or AWS_ENDPOINT_URL)".to_owned()
            }
        }
    }
}

/// Checks what every AWS call needs before the first one: a region, and credentials that the
/// default chain can load and that have not expired. Loading them here costs the chain one
/// extra resolution, which is what turns "no credentials" into its own message instead of a
/// dispatch failure of the first call.
pub(crate) async fn preflight(
    provider: Option<SharedCredentialsProvider>,
    region: Option<&Region>,
) -> Result<String, AccessError> {
    let Some(provider) = provider else {
        return Err(AccessError::NoCredentials {
            detail: "no credential provider is configured".to_owned(),
        });
    };
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|error| AccessError::NoCredentials {
            detail: message_chain(&error),
        })?;
    if let Some(expiry) = credentials.expiry()
        && expiry <= SystemTime::now()
    {
        return Err(AccessError::ExpiredCredentials {
            detail: format!("they expired at {}", timestamp(expiry)),
        });
    }
    region.map(ToString::to_string).ok_or(AccessError::NoRegion)
}

/// The region of a Secrets Manager ARN (`arn:<partition>:secretsmanager:<region>:…`); `None`
/// for a name.
pub(crate) fn arn_region(secret_id: &str) -> Option<&str> {
    let mut parts = secret_id.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("secretsmanager"), Some(region)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (!region.is_empty()).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arn_names_its_region_and_a_name_does_not() {
        assert_eq!(
            arn_region("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("app/db"), None);
        assert_eq!(arn_region("arn:aws:s3:::bucket"), None);
    }

    #[test]
    fn each_failure_has_its_own_exit_code() {
        let codes: Vec<u8> = [
            AccessError::NoCredentials {
                detail: String::new(),
            },
            AccessError::ExpiredCredentials {
                detail: String::new(),
            },
            AccessError::AccessDenied {
                detail: String::new(),
            },
            AccessError::NoRegion,
            AccessError::Unreachable {
                target: String::new(),
                detail: String::new(),
            },
        ]
        .iter()
        .map(|error| error.exit().code())
        .collect();
        assert_eq!(codes, [4, 5, 6, 7, 8]);
    }

    #[test]
    fn port_errors_that_mean_access_map_and_the_rest_do_not() {
        let denied = SecretsManagerError::AccessDenied("no".into());
        assert_eq!(
            AccessError::from_port(&denied, "x"),
            Some(AccessError::AccessDenied { detail: "no".into() })
        );
        let missing = SecretsManagerError::ResourceNotFound("no".into());
        assert_eq!(AccessError::from_port(&missing, "x"), None);
    }
}

//! Errors of the Secrets Manager port.

use crate::error::ErrorClass;

/// A failed Secrets Manager call, mapped from the service's error codes.
///
/// Messages come from the service or the transport; Secrets Manager never puts secret values
/// into them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsManagerError {
    /// `ResourceNotFoundException`: no such secret, version, label, or no value in the version.
    #[error("resource not found: {0}")]
    ResourceNotFound(String),
    /// `ResourceExistsException`: the ClientRequestToken is already used for a different value.
    #[error("resource exists: {0}")]
    ResourceExists(String),
    /// `InvalidParameterException` or a validation error.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// `InvalidRequestException`: the call is not valid for the secret's current state.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// `AccessDeniedException` or a KMS decryption failure.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// Throttling; the SDK already retried with backoff.
    #[error("throttled: {0}")]
    Throttled(String),
    /// The request did not get a service answer: connect, DNS, TLS, timeout.
    #[error("transport failure: {0}")]
    Transport(String),
    /// Any other service error, with its code.
    #[error("{code}: {message}")]
    Service {
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
}

impl SecretsManagerError {
    /// Whether this is `ResourceNotFoundException`.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::ResourceNotFound(_))
    }

    /// Maps a service error code and message to a variant.
    pub fn from_code(code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        match code {
            "ResourceNotFoundException" => Self::ResourceNotFound(message),
            "ResourceExistsException" => Self::ResourceExists(message),
            "InvalidParameterException" | "InvalidParameterValue" | "ValidationException" => {
                Self::InvalidParameter(message)
            }
            "InvalidRequestException" => Self::InvalidRequest(message),
            "AccessDeniedException" | "DecryptionFailure" | "UnrecognizedClientException" => {
                Self::AccessDenied(message)
            }
            "ThrottlingException" | "Throttling" | "TooManyRequestsException" | "RequestLimitExceeded" => {
                Self::Throttled(message)
            }
            other => Self::Service {
                code: other.to_owned(),
                message,
            },
        }
    }

    /// The class of the failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Throttled(_) | Self::Transport(_) => ErrorClass::Transient,
            Self::Service { code, .. } if code == "InternalServiceError" => ErrorClass::Transient,
            _ => ErrorClass::Permanent,
        }
    }

    /// A stable name for CloudWatch.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::ResourceNotFound(_) => "ResourceNotFound",
            Self::ResourceExists(_) => "ResourceExists",
            Self::InvalidParameter(_) => "InvalidParameter",
            Self::InvalidRequest(_) => "InvalidRequest",
            Self::AccessDenied(_) => "AccessDenied",
            Self::Throttled(_) => "Throttled",
            Self::Transport(_) => "SecretsManagerUnreachable",
            Self::Service { .. } => "SecretsManagerError",
        }
    }
}

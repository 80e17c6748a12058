//! What can go wrong asking IAM or STS, classified for the state machine.

use rotor_core::secrets_manager::codes;
use rotor_core::{Classify, ErrorClass};

/// An IAM or STS call failed. Names the operation, the user and the key id, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IamError {
    /// The user does not exist (`NoSuchEntity` from ListAccessKeys or CreateAccessKey).
    #[error("IAM has no user {user:?}")]
    UserNotFound {
        /// The user name asked for.
        user: String,
    },
    /// The user has no such key (`NoSuchEntity` from UpdateAccessKey or DeleteAccessKey).
    #[error("IAM user {user:?} has no access key {key_id}")]
    KeyNotFound {
        /// The user.
        user: String,
        /// The access key id (not a secret).
        key_id: String,
    },
    /// The user already has the most keys IAM allows (`LimitExceeded`).
    #[error("IAM user {user:?} already has the most access keys IAM allows")]
    LimitExceeded {
        /// The user.
        user: String,
    },
    /// STS does not accept the key (`InvalidClientTokenId`, `SignatureDoesNotMatch`): it does not
    /// exist, is inactive, or IAM has not propagated it yet.
    #[error("STS does not accept access key {key_id} ({code})")]
    KeyNotRecognised {
        /// The access key id.
        key_id: String,
        /// The service's error code.
        code: String,
    },
    /// The service answered with another error (access denied, throttling, …).
    #[error("{operation} failed: {code}: {message}")]
    Service {
        /// The API operation.
        operation: &'static str,
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The service could not be reached, or its answer could not be read.
    #[error("{operation} failed: {reason}")]
    Transport {
        /// The API operation.
        operation: &'static str,
        /// What the transport said.
        reason: String,
    },
}

/// IAM's and STS's own codes for a failure on their side, which a retry can clear.
const SERVICE_FAILURE: &[&str] = &["ServiceFailure", "ServiceUnavailable", "InternalFailure"];

impl Classify for IamError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::KeyNotRecognised { .. } => ErrorClass::AuthFailure,
            Self::Service { code, .. }
                if codes::THROTTLING.contains(&code.as_str()) || SERVICE_FAILURE.contains(&code.as_str()) =>
            {
                ErrorClass::Transient
            }
            Self::Transport { .. } => ErrorClass::Transient,
            Self::UserNotFound { .. }
            | Self::KeyNotFound { .. }
            | Self::LimitExceeded { .. }
            | Self::Service { .. } => ErrorClass::Permanent,
        }
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::UserNotFound { .. } => "IamUserNotFound",
            Self::KeyNotFound { .. } => "IamAccessKeyNotFound",
            Self::LimitExceeded { .. } => "IamAccessKeyLimitExceeded",
            Self::KeyNotRecognised { .. } => "IamAccessKeyNotRecognised",
            Self::Service { .. } => "IamApiError",
            Self::Transport { .. } => "IamUnreachable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_transport_are_transient_a_missing_user_permanent() {
        let service = |code: &str| IamError::Service {
            operation: "ListAccessKeys",
            code: code.into(),
            message: String::new(),
        };
        assert_eq!(service("Throttling").class(), ErrorClass::Transient);
        assert_eq!(service("ServiceFailure").class(), ErrorClass::Transient);
        assert_eq!(service("AccessDenied").class(), ErrorClass::Permanent);
        let missing = IamError::UserNotFound { user: "ci".into() };
        assert_eq!(
            (missing.class(), missing.error_type()),
            (ErrorClass::Permanent, "IamUserNotFound")
        );
        assert_eq!(missing.to_string(), "IAM has no user \"ci\"");
    }
}

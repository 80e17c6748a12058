//! What can go wrong asking RDS, classified for the state machine.

use crate::error::{Classify, ErrorClass};
use crate::secrets_manager::codes;

/// An RDS lookup failed. Names the operation and the resource, never a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RdsError {
    /// The instance or cluster does not exist (`DBInstanceNotFound`, `DBClusterNotFoundFault`).
    #[error("RDS has no DB {kind} {identifier:?}")]
    NotFound {
        /// `instance` or `cluster`.
        kind: &'static str,
        /// The identifier asked for.
        identifier: String,
    },
    /// RDS answered with an error (access denied, throttling, …).
    #[error("RDS {operation} failed: {code}: {message}")]
    Service {
        /// The API operation.
        operation: &'static str,
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// RDS could not be reached, or its answer could not be read.
    #[error("RDS {operation} failed: {reason}")]
    Transport {
        /// The API operation.
        operation: &'static str,
        /// What the transport said.
        reason: String,
    },
}

impl Classify for RdsError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::NotFound { .. } => ErrorClass::Permanent,
            Self::Service { code, .. } if is_retryable(code) => ErrorClass::Transient,
            Self::Service { .. } => ErrorClass::Permanent,
            Self::Transport { .. } => ErrorClass::Transient,
        }
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "RdsNotFound",
            Self::Service { .. } => "RdsApiError",
            Self::Transport { .. } => "RdsUnreachable",
        }
    }
}

/// RDS's own error codes for a failure on its side, which a retry can clear.
const SERVICE_FAILURE: &[&str] = &["InternalFailure", "ServiceUnavailable"];

/// Error codes a retry can clear: throttling (the codes every AWS service shares) and RDS's own
/// service failures.
fn is_retryable(code: &str) -> bool {
    codes::THROTTLING.contains(&code) || SERVICE_FAILURE.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_transport_are_transient_the_rest_permanent() {
        let service = |code: &str| RdsError::Service {
            operation: "DescribeDBInstances",
            code: code.into(),
            message: String::new(),
        };
        assert_eq!(service("Throttling").class(), ErrorClass::Transient);
        assert_eq!(service("AccessDenied").class(), ErrorClass::Permanent);
        assert_eq!(service("AccessDenied").error_type(), "RdsApiError");
        let missing = RdsError::NotFound {
            kind: "instance",
            identifier: "shop".into(),
        };
        assert_eq!(
            (missing.class(), missing.error_type()),
            (ErrorClass::Permanent, "RdsNotFound")
        );
        assert_eq!(missing.to_string(), "RDS has no DB instance \"shop\"");
    }
}

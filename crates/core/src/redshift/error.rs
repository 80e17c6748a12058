//! What can go wrong asking Redshift where a database is, classified for the state machine.

use crate::error::{Classify, ErrorClass};
use crate::secrets_manager::codes;

/// A Redshift lookup failed. Names the operation and the resource, never a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedshiftApiError {
    /// DescribeClusters knows no such cluster (`ClusterNotFound`).
    #[error("Redshift has no cluster {identifier:?}")]
    ClusterNotFound {
        /// The identifier asked for.
        identifier: String,
    },
    /// ListNamespaces lists no namespace with this ARN.
    #[error("Redshift Serverless has no namespace {arn:?}")]
    NamespaceNotFound {
        /// The namespace ARN asked for.
        arn: String,
    },
    /// ListWorkgroups lists no workgroup in the namespace: there is no endpoint to connect to.
    #[error("Redshift Serverless has no workgroup in namespace {namespace:?}")]
    NoWorkgroup {
        /// The namespace's name.
        namespace: String,
    },
    /// ListWorkgroups lists more than one workgroup in the namespace; rotor does not pick one.
    #[error(
        "Redshift Serverless lists {count} workgroups in namespace {namespace:?}; rotor does not choose between them: name the host in the master secret"
    )]
    ManyWorkgroups {
        /// The namespace's name.
        namespace: String,
        /// How many workgroups it lists.
        count: usize,
    },
    /// The cluster or workgroup has no endpoint yet (still being created or resumed); a later
    /// attempt may find it.
    #[error("Redshift reports no endpoint for {kind} {name:?} (status {status:?})")]
    NoEndpoint {
        /// `cluster` or `workgroup`.
        kind: &'static str,
        /// Its identifier or name.
        name: String,
        /// Its status as Redshift reports it.
        status: String,
    },
    /// The function's role may not make the call (`AccessDenied`, …).
    #[error(
        "Redshift {operation} was refused: {message} (the function's role needs redshift:DescribeClusters, redshift-serverless:ListNamespaces and redshift-serverless:ListWorkgroups)"
    )]
    AccessDenied {
        /// The API operation.
        operation: &'static str,
        /// The service's message.
        message: String,
    },
    /// Redshift answered with another error (throttling, a service failure, …).
    #[error("Redshift {operation} failed: {code}: {message}")]
    Service {
        /// The API operation.
        operation: &'static str,
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// Redshift could not be reached, or its answer could not be read.
    #[error("Redshift {operation} failed: {reason}")]
    Transport {
        /// The API operation.
        operation: &'static str,
        /// What the transport said.
        reason: String,
    },
}

impl RedshiftApiError {
    /// The error for a service answer with error `code`: [`AccessDenied`](Self::AccessDenied)
    /// for the codes that mean the caller may not make the call, else
    /// [`Service`](Self::Service).
    pub fn service(operation: &'static str, code: &str, message: &str) -> Self {
        if codes::ACCESS_DENIED.contains(&code) {
            Self::AccessDenied {
                operation,
                message: message.to_owned(),
            }
        } else {
            Self::Service {
                operation,
                code: code.to_owned(),
                message: message.to_owned(),
            }
        }
    }
}

impl Classify for RedshiftApiError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::NoEndpoint { .. } | Self::Transport { .. } => ErrorClass::Transient,
            Self::Service { code, .. } if is_retryable(code) => ErrorClass::Transient,
            _ => ErrorClass::Permanent,
        }
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::ClusterNotFound { .. } => "RedshiftClusterNotFound",
            Self::NamespaceNotFound { .. } => "RedshiftNamespaceNotFound",
            Self::NoWorkgroup { .. } => "RedshiftWorkgroupMissing",
            Self::ManyWorkgroups { .. } => "RedshiftWorkgroupAmbiguous",
            Self::NoEndpoint { .. } => "RedshiftEndpointMissing",
            Self::AccessDenied { .. } => "RedshiftAccessDenied",
            Self::Service { .. } => "RedshiftApiError",
            Self::Transport { .. } => "RedshiftUnreachable",
        }
    }
}

/// Redshift's own error codes for a failure on its side, which a retry can clear.
const SERVICE_FAILURE: &[&str] = &["InternalFailure", "ServiceUnavailable", "InternalServerException"];

/// Error codes a retry can clear: throttling (the codes every AWS service shares) and Redshift's
/// own service failures.
fn is_retryable(code: &str) -> bool {
    codes::THROTTLING.contains(&code) || SERVICE_FAILURE.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_no_endpoint_and_transport_are_transient_access_denied_is_its_own_type() {
        let service = |code: &str| RedshiftApiError::service("DescribeClusters", code, "m");
        assert_eq!(service("Throttling").class(), ErrorClass::Transient);
        assert_eq!(service("ThrottlingException").error_type(), "RedshiftApiError");
        assert_eq!(service("InternalServerException").class(), ErrorClass::Transient);
        let denied = service("AccessDenied");
        assert_eq!(
            (denied.class(), denied.error_type()),
            (ErrorClass::Permanent, "RedshiftAccessDenied")
        );
        assert!(
            denied.to_string().contains("redshift:DescribeClusters"),
            "{denied}"
        );
        assert_eq!(
            service("AccessDeniedException").error_type(),
            "RedshiftAccessDenied"
        );
        assert_eq!(service("InvalidParameterValue").class(), ErrorClass::Permanent);
        let creating = RedshiftApiError::NoEndpoint {
            kind: "cluster",
            name: "shop".into(),
            status: "creating".into(),
        };
        assert_eq!(
            (creating.class(), creating.error_type()),
            (ErrorClass::Transient, "RedshiftEndpointMissing")
        );
        let unreachable = RedshiftApiError::Transport {
            operation: "ListWorkgroups",
            reason: "timeout".into(),
        };
        assert_eq!(unreachable.class(), ErrorClass::Transient);
        let missing = RedshiftApiError::ClusterNotFound {
            identifier: "shop".into(),
        };
        assert_eq!(missing.class(), ErrorClass::Permanent);
        assert_eq!(missing.to_string(), "Redshift has no cluster \"shop\"");
    }
}

use crate::error::{Classify, ErrorClass};

/// A rotation notice was not published. Logged, never returned to Secrets Manager: the rotation
/// has already succeeded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The service refused the event, e.g. because the bus does not exist.
    #[error("EventBridge PutEvents to bus {bus} was refused: {code}: {message}")]
    Refused {
        /// The bus name or ARN.
        bus: String,
        /// The service's error code.
        code: String,
        /// The service's message (it never holds a secret: the event holds none).
        message: String,
    },
    /// The call did not reach the service or got no answer (DNS, TLS, timeout).
    #[error("EventBridge PutEvents to bus {bus} failed: {reason}")]
    Transport {
        /// The bus name or ARN.
        bus: String,
        /// What the transport said.
        reason: String,
    },
}

impl Classify for NotificationError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::Refused { .. } => ErrorClass::Permanent,
            Self::Transport { .. } => ErrorClass::Transient,
        }
    }

    fn error_type(&self) -> &'static str {
        "NotificationFailed"
    }
}

//! What stops a rotation of an access key, classified for the state machine.

use rotor_core::{Classify, ErrorClass};

/// Why a rotation of an access key cannot go on. Names users and key ids, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessKeyError {
    /// The user has as many keys as IAM allows, and the ones that block are not this secret's.
    #[error("IAM user {user:?} has no room for a new access key: keys {foreign:?} are not this secret's")]
    NoRoomForKey {
        /// The user.
        user: String,
        /// The keys that are neither AWSCURRENT's nor an orphan of this rotation.
        foreign: Vec<String>,
    },
    /// AWSPENDING names another user than AWSCURRENT.
    #[error("AWSPENDING names IAM user {pending:?}, AWSCURRENT {current:?}")]
    UserChanged {
        /// AWSCURRENT's user.
        current: String,
        /// AWSPENDING's user.
        pending: String,
    },
    /// STS says the key belongs to someone else.
    #[error("access key {key_id} belongs to {arn}, not to IAM user {user:?}")]
    WrongIdentity {
        /// The secret's user.
        user: String,
        /// The key.
        key_id: String,
        /// The ARN STS returned.
        arn: String,
    },
    /// The key cannot work: the user does not have it, or it is inactive.
    #[error("access key {key_id} of IAM user {user:?} {why}")]
    KeyUnusable {
        /// The user.
        user: String,
        /// The key.
        key_id: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// STS still refused the key when the invocation's deadline came (IAM propagates new keys
    /// within seconds; Secrets Manager retries testSecret).
    #[error("STS did not accept access key {key_id} before the deadline")]
    NotPropagated {
        /// The key.
        key_id: String,
    },
    /// An IAM or STS call did not answer before the invocation's deadline.
    #[error("{operation} did not answer before the invocation's deadline")]
    DeadlineExceeded {
        /// The operation.
        operation: &'static str,
    },
}

impl Classify for AccessKeyError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::NotPropagated { .. } | Self::DeadlineExceeded { .. } => ErrorClass::Transient,
            Self::WrongIdentity { .. } | Self::KeyUnusable { .. } => ErrorClass::AuthFailure,
            Self::NoRoomForKey { .. } | Self::UserChanged { .. } => ErrorClass::Permanent,
        }
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::NoRoomForKey { .. } => "IamUserHasForeignAccessKeys",
            Self::UserChanged { .. } => "IamPendingUserChanged",
            Self::WrongIdentity { .. } => "IamAccessKeyWrongUser",
            Self::KeyUnusable { .. } => "IamAccessKeyUnusable",
            Self::NotPropagated { .. } => "IamAccessKeyNotPropagated",
            Self::DeadlineExceeded { .. } => "IamDeadlineExceeded",
        }
    }
}

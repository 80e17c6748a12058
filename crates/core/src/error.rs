//! Typed errors, classified so the state machine and operators can decide what to do.

use crate::event::Step;
use crate::secrets_manager::SecretsManagerError;

/// How a failure should be treated.
///
/// The state machine and the engine rotators decide by class, never by message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// A credential was refused. Another credential may still work.
    AuthFailure,
    /// Retrying the same invocation later may succeed (network, throttling, timeouts).
    Transient,
    /// Retrying will not help until someone changes the secret, the database or the configuration.
    Permanent,
}

/// An error that knows its [`ErrorClass`] and a stable name for CloudWatch.
///
/// Engine crates implement this for their own error enums so that `?` turns them into a
/// [`RotatorError`]. Implementations must never put a secret value into `Display` or `Debug`.
pub trait Classify: std::error::Error + Send + Sync + 'static {
    /// The class that decides retries and fallbacks.
    fn class(&self) -> ErrorClass;
    /// A stable, machine-readable name, reported as the Lambda `errorType`.
    fn error_type(&self) -> &'static str;
}

/// The error a [`Rotator`](crate::Rotator) returns: any [`Classify`] error, boxed.
///
/// It converts from every `Classify` error (including [`RotationError`]), so `?` works on both
/// engine errors and calls to the step context.
pub struct RotatorError {
    inner: Box<dyn Classify>,
}

impl RotatorError {
    /// The class of the wrapped error.
    pub fn class(&self) -> ErrorClass {
        self.inner.class()
    }

    /// The stable name of the wrapped error.
    pub fn error_type(&self) -> &'static str {
        self.inner.error_type()
    }

    /// The wrapped error.
    pub fn inner(&self) -> &(dyn Classify + 'static) {
        self.inner.as_ref()
    }
}

impl<E: Classify> From<E> for RotatorError {
    fn from(error: E) -> Self {
        Self {
            inner: Box::new(error),
        }
    }
}

impl std::fmt::Debug for RotatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.inner, f)
    }
}

impl std::fmt::Display for RotatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for RotatorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

/// Everything that can make one rotation step fail.
///
/// No variant holds a secret value: messages name fields, versions and operations only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotationError {
    /// The event is not a rotation event: a required field is missing or has the wrong type.
    #[error("invalid rotation event: {reason}")]
    InvalidEvent {
        /// What is wrong, naming the field.
        reason: String,
    },
    /// The event's `Step` is not one of the four steps.
    #[error("invalid Step {step:?}: expected createSecret, setSecret, testSecret or finishSecret")]
    InvalidStep {
        /// The step that was received (truncated).
        step: String,
    },
    /// DescribeSecret says rotation is disabled for this secret.
    #[error("secret {secret_id} is not enabled for rotation")]
    RotationDisabled {
        /// The secret.
        secret_id: String,
    },
    /// The ClientRequestToken is not a version of the secret.
    #[error("version {token} of secret {secret_id} has no staging label for rotation")]
    UnknownVersion {
        /// The secret.
        secret_id: String,
        /// The ClientRequestToken (a version id, not a secret).
        token: String,
    },
    /// The ClientRequestToken's version is neither AWSCURRENT nor AWSPENDING.
    #[error("version {token} of secret {secret_id} is not staged as AWSPENDING")]
    NotPending {
        /// The secret.
        secret_id: String,
        /// The ClientRequestToken.
        token: String,
    },
    /// setSecret or finishSecret found no AWSPENDING value under the token: the version has no
    /// value yet, or it no longer carries AWSPENDING. Nothing was changed.
    #[error("version {token} of secret {secret_id} holds no AWSPENDING value: run createSecret first")]
    PendingValueMissing {
        /// The secret.
        secret_id: String,
        /// The ClientRequestToken.
        token: String,
    },
    /// A call to Secrets Manager failed.
    #[error("Secrets Manager {operation} failed: {source}")]
    SecretsManager {
        /// The API operation, e.g. `GetSecretValue`.
        operation: &'static str,
        /// What the service or the transport said.
        #[source]
        source: SecretsManagerError,
    },
    /// A stored secret value is not what the rotator needs.
    #[error("{version} value of secret {secret_id} is malformed: {problem}")]
    MalformedSecret {
        /// The secret.
        secret_id: String,
        /// Which version: a staging label or a version id.
        version: String,
        /// What is wrong, naming the field but never its value.
        problem: crate::secret::FieldError,
    },
    /// The password policy from the environment is unusable.
    #[error("password policy: {0}")]
    PasswordPolicy(#[from] crate::password::PolicyError),
    /// The Rotator failed in a step.
    #[error("{step} failed: {source}")]
    Rotator {
        /// The step that failed.
        step: Step,
        /// The rotator's error.
        #[source]
        source: RotatorError,
    },
    /// The step did not finish before the Lambda deadline.
    #[error("{step} did not finish before the invocation deadline")]
    DeadlineExceeded {
        /// The step that ran out of time.
        step: Step,
    },
}

impl RotationError {
    /// [`Classify::error_type`] of [`InvalidEvent`](Self::InvalidEvent).
    pub const INVALID_EVENT: &'static str = "InvalidEvent";
    /// [`Classify::error_type`] of [`InvalidStep`](Self::InvalidStep).
    pub const INVALID_STEP: &'static str = "InvalidStep";
    /// [`Classify::error_type`] of [`RotationDisabled`](Self::RotationDisabled).
    pub const ROTATION_DISABLED: &'static str = "RotationDisabled";
    /// [`Classify::error_type`] of [`UnknownVersion`](Self::UnknownVersion).
    pub const UNKNOWN_VERSION: &'static str = "UnknownVersion";
    /// [`Classify::error_type`] of [`NotPending`](Self::NotPending).
    pub const NOT_PENDING: &'static str = "NotPending";
    /// [`Classify::error_type`] of [`PendingValueMissing`](Self::PendingValueMissing).
    pub const PENDING_VALUE_MISSING: &'static str = "PendingValueMissing";
    /// [`Classify::error_type`] of [`MalformedSecret`](Self::MalformedSecret).
    pub const MALFORMED_SECRET: &'static str = "MalformedSecret";
    /// [`Classify::error_type`] of [`DeadlineExceeded`](Self::DeadlineExceeded).
    pub const DEADLINE_EXCEEDED: &'static str = "DeadlineExceeded";

    /// Whether Secrets Manager throttled the call that failed, directly or inside a rotator's
    /// error (a rotator that reads through its step context passes the port's error on).
    pub fn is_throttled(&self) -> bool {
        match self {
            Self::SecretsManager { source, .. } => source.is_throttled(),
            Self::Rotator { source, .. } => source.error_type() == SecretsManagerError::THROTTLED,
            _ => false,
        }
    }

    /// Wraps a Secrets Manager failure with the operation that failed.
    pub fn secrets_manager(operation: &'static str, source: SecretsManagerError) -> Self {
        Self::SecretsManager { operation, source }
    }

    /// Whether Secrets Manager said the secret or the version does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::SecretsManager { source, .. } if source.is_not_found())
    }
}

impl Classify for RotationError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::SecretsManager { source, .. } => source.class(),
            Self::Rotator { source, .. } => source.class(),
            Self::DeadlineExceeded { .. } => ErrorClass::Transient,
            _ => ErrorClass::Permanent,
        }
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidEvent { .. } => Self::INVALID_EVENT,
            Self::InvalidStep { .. } => Self::INVALID_STEP,
            Self::RotationDisabled { .. } => Self::ROTATION_DISABLED,
            Self::UnknownVersion { .. } => Self::UNKNOWN_VERSION,
            Self::NotPending { .. } => Self::NOT_PENDING,
            Self::PendingValueMissing { .. } => Self::PENDING_VALUE_MISSING,
            Self::SecretsManager { source, .. } => source.error_type(),
            Self::MalformedSecret { .. } => Self::MALFORMED_SECRET,
            Self::PasswordPolicy(error) => error.error_type(),
            Self::Rotator { source, .. } => source.error_type(),
            Self::DeadlineExceeded { .. } => Self::DEADLINE_EXCEEDED,
        }
    }
}

//! What a step did.

/// The result of one successful invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepOutcome {
    /// The token is already AWSCURRENT; nothing was done.
    AlreadyCurrent,
    /// createSecret stored a new AWSPENDING value.
    PendingCreated,
    /// createSecret found the pending value already stored; nothing was written.
    PendingAlreadyExists,
    /// setSecret ran the rotator.
    SecretSet,
    /// testSecret tested the pending value.
    SecretTested,
    /// testSecret found an empty AWSPENDING and only tested the configuration.
    ConfigurationTested,
    /// finishSecret moved AWSCURRENT.
    Finished {
        /// The version that was AWSCURRENT before, now AWSPREVIOUS.
        previous_version: Option<String>,
    },
}

impl std::fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::AlreadyCurrent => "already AWSCURRENT, nothing to do",
            Self::PendingCreated => "stored a new AWSPENDING value",
            Self::PendingAlreadyExists => "AWSPENDING value already stored",
            Self::SecretSet => "pending value applied",
            Self::SecretTested => "pending value works",
            Self::ConfigurationTested => "AWSPENDING is empty: configuration tested",
            Self::Finished { .. } => "AWSCURRENT moved to the new version",
        })
    }
}

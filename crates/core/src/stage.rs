//! The staging labels that drive rotation.

/// A staging label that Secrets Manager gives meaning to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StagingLabel {
    /// `AWSCURRENT`: the value clients use.
    Current,
    /// `AWSPENDING`: the candidate of a rotation in progress.
    Pending,
    /// `AWSPREVIOUS`: the last known good value before AWSCURRENT.
    Previous,
}

impl StagingLabel {
    /// The label as Secrets Manager spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            StagingLabel::Current => "AWSCURRENT",
            StagingLabel::Pending => "AWSPENDING",
            StagingLabel::Previous => "AWSPREVIOUS",
        }
    }
}

impl std::fmt::Display for StagingLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

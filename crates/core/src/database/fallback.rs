//! The order in which stored credentials are tried.

use std::future::Future;

use crate::context::StepContext;
use crate::error::{Classify, ErrorClass, RotatorError};
use crate::secret::SecretJson;

/// How many unlabelled versions single-user recovery reads at most.
pub const RECENT_VERSION_LIMIT: usize = 5;

/// Which stored version a credential came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// AWSCURRENT.
    Current,
    /// This rotation's AWSPENDING.
    Pending,
    /// AWSPREVIOUS.
    Previous,
    /// An unlabelled version, by id.
    Recent(String),
}

impl CredentialSource {
    /// The name this credential goes by in logs, errors and fault labels: `current`, `pending`,
    /// `previous` or `recent`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Pending => "pending",
            Self::Previous => "previous",
            Self::Recent(_) => "recent",
        }
    }
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Current => f.write_str("AWSCURRENT"),
            Self::Pending => f.write_str("AWSPENDING"),
            Self::Previous => f.write_str("AWSPREVIOUS"),
            Self::Recent(version) => write!(f, "version {version}"),
        }
    }
}

/// No stored credential was accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no stored credential logs in: tried {tried} credentials (current, pending, previous and recent versions)"
)]
pub struct NoWorkingCredential {
    /// How many credentials were tried.
    pub tried: usize,
}

impl Classify for NoWorkingCredential {
    fn class(&self) -> ErrorClass {
        ErrorClass::AuthFailure
    }

    fn error_type(&self) -> &'static str {
        "NoWorkingCredential"
    }
}

/// Tries `login` with AWSCURRENT, then AWSPENDING, then AWSPREVIOUS, then the newest unlabelled
/// versions, and returns the first success with its source.
///
/// Only an [`ErrorClass::AuthFailure`] moves on to the next credential; any other error stops at
/// once, so a network fault is never mistaken for a wrong password. Current comes first, so a
/// healthy rotation never fails a login; older versions are read only when needed, recovering a
/// password set by a rotation that was later cancelled.
pub(crate) async fn login_with_fallback<T, F, Fut>(
    ctx: &StepContext<'_>,
    mut login: F,
) -> Result<(CredentialSource, T), RotatorError>
where
    F: FnMut(CredentialSource, SecretJson) -> Fut + Send,
    Fut: Future<Output = Result<T, RotatorError>> + Send,
    T: Send,
{
    let mut tried = 0;
    for tier in 0..3 {
        let candidates: Vec<(CredentialSource, SecretJson)> = match tier {
            0 => vec![
                (CredentialSource::Current, ctx.current().await?.clone()),
                (CredentialSource::Pending, ctx.pending().clone()),
            ],
            1 => ctx
                .previous()
                .await?
                .map(|previous| (CredentialSource::Previous, previous.clone()))
                .into_iter()
                .collect(),
            _ => ctx
                .recent_versions(RECENT_VERSION_LIMIT)
                .await?
                .into_iter()
                .map(|version| (CredentialSource::Recent(version.version_id), version.value))
                .collect(),
        };
        for (source, json) in candidates {
            tried += 1;
            if tier > 0 {
                tracing::warn!(
                    secret_id = ctx.secret_id(),
                    %source,
                    "current and pending credentials were refused; trying an older version"
                );
            }
            match login(source.clone(), json).await {
                Ok(value) => return Ok((source, value)),
                Err(error) if error.class() == ErrorClass::AuthFailure => {}
                Err(error) => return Err(error),
            }
        }
    }
    Err(NoWorkingCredential { tried }.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_have_a_label_and_a_staging_name() {
        let sources = [
            CredentialSource::Current,
            CredentialSource::Pending,
            CredentialSource::Previous,
            CredentialSource::Recent("v7".into()),
        ];
        let named: Vec<(&str, String)> = sources
            .iter()
            .map(|source| (source.label(), source.to_string()))
            .collect();
        assert_eq!(
            named,
            [
                ("current", "AWSCURRENT".to_owned()),
                ("pending", "AWSPENDING".to_owned()),
                ("previous", "AWSPREVIOUS".to_owned()),
                ("recent", "version v7".to_owned()),
            ]
        );
    }
}

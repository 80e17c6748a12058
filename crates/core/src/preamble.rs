//! The checks every invocation runs first, on one DescribeSecret answer.

use crate::error::RotationError;
use crate::event::RotationEvent;
use crate::secrets_manager::SecretDescription;
use crate::stage::StagingLabel;

/// What the preamble decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Preamble {
    /// Run the step.
    Proceed,
    /// The token is already AWSCURRENT: this rotation is complete, every step is a no-op.
    AlreadyCurrent,
}

/// Applies AWS's rules, in AWS's order:
/// 1. `RotationEnabled == false` fails (a missing field is tolerated);
/// 2. the token must be one of `VersionIdsToStages`;
/// 3. a token that is already AWSCURRENT succeeds without changes, for every step;
/// 4. otherwise the token must carry AWSPENDING.
pub(crate) fn check(
    description: &SecretDescription,
    event: &RotationEvent,
) -> Result<Preamble, RotationError> {
    let token = event.client_request_token.as_str();
    if description.rotation_enabled == Some(false) {
        return Err(RotationError::RotationDisabled {
            secret_id: event.secret_id.clone(),
        });
    }
    if !description.versions.contains_key(token) {
        return Err(RotationError::UnknownVersion {
            secret_id: event.secret_id.clone(),
            token: token.to_owned(),
        });
    }
    if description.has_label(token, StagingLabel::Current) {
        return Ok(Preamble::AlreadyCurrent);
    }
    if !description.has_label(token, StagingLabel::Pending) {
        return Err(RotationError::NotPending {
            secret_id: event.secret_id.clone(),
            token: token.to_owned(),
        });
    }
    Ok(Preamble::Proceed)
}

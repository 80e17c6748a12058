//! RotateSecret's placeholder as the CLI plays it: a value-less version `token` that carries
//! AWSPENDING, taken off whichever version held it. The AWS store (rotating in-process) and
//! `rotor check`'s read-only view show a secret this way.

use std::time::SystemTime;

use rotor_core::secrets_manager::VersionSummary;
use rotor_core::{SecretDescription, StagingLabel};

const PENDING: &str = StagingLabel::Pending.as_str();

/// Takes AWSPENDING off every version of `description` and gives it to `token`.
pub(crate) fn describe_with_placeholder(description: &mut SecretDescription, token: String) {
    for stages in description.versions.values_mut() {
        stages.retain(|stage| stage != PENDING);
    }
    description.versions.insert(token, vec![PENDING.to_owned()]);
}

/// Takes AWSPENDING off every version in `versions` and lists `token` first, carrying it.
pub(crate) fn list_with_placeholder(versions: &mut Vec<VersionSummary>, token: String) {
    for version in versions.iter_mut() {
        version.stages.retain(|stage| stage != PENDING);
    }
    versions.insert(
        0,
        VersionSummary {
            version_id: token,
            stages: vec![PENDING.to_owned()],
            created: Some(SystemTime::now()),
        },
    );
}

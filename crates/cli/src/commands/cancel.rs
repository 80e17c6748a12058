//! `rotor cancel`: abandon a stuck rotation, unless setSecret may already have applied it.
//!
//! A pending version with a value means createSecret completed, so setSecret may have run. A
//! single-user rotator's setSecret changes the user's own password: once AWSPENDING is removed,
//! AWSCURRENT still holds the old password, which no longer logs in until a later rotation
//! recovers the pending one from the unlabelled version. Resuming finishes the rotation with
//! its own token instead, so cancel refuses such a version unless `--force` is given. There is
//! no interactive prompt: cancel runs in CI, where there is no one to answer it.

use rotor_core::secrets_manager::UpdateVersionStage;
use rotor_core::{SecretsManager, StagingLabel};

use super::status::{Value, value_of};
use crate::output::{Exit, Output};
use crate::rotation::stuck_pending;
use crate::store::Store;

/// Runs `rotor cancel`: UpdateSecretVersionStage(AWSPENDING, RemoveFromVersionId = stuck).
///
/// A placeholder (no value) is cancelled at once. A version that holds a value, or whose value
/// cannot be read, gets a warning with the command that resumes the rotation instead, and is
/// cancelled only with `force`.
pub(crate) async fn run(store: &Store, secret_id: &str, force: bool, output: Output) -> Exit {
    let description = match store.describe_secret(secret_id).await {
        Ok(description) => description,
        Err(error) => return store.report(output, &format!("DescribeSecret {secret_id}"), &error),
    };
    let Some(stuck) = stuck_pending(&description.versions) else {
        output.line(format!("nothing to cancel: no rotation of {secret_id} is stuck"));
        return Exit::Success;
    };
    let holds = match value_of(store, &description.arn, stuck).await {
        Value::Missing => None,
        Value::Stored(_) => Some("holds a value".to_owned()),
        Value::Unknown(error) => Some(format!("may hold a value (it could not be read: {error})")),
    };
    if let Some(holds) = holds {
        warn(secret_id, stuck, &holds, output);
        if !force {
            output.note(format!(
                "error: not cancelled: AWSPENDING on {stuck} {holds}; resume the rotation, or pass --force"
            ));
            return Exit::Failure;
        }
    }
    let request = UpdateVersionStage {
        secret_id: &description.arn,
        stage: StagingLabel::Pending,
        move_to: None,
        remove_from: Some(stuck),
    };
    match store.update_secret_version_stage(request).await {
        Ok(()) => {
            output.line(format!(
                "cancelled: removed AWSPENDING from version {stuck} of {secret_id}"
            ));
            Exit::Success
        }
        Err(error) => store.report(output, "UpdateSecretVersionStage", &error),
    }
}

fn warn(secret_id: &str, stuck: &str, holds: &str, output: Output) {
    output.note(format!(
        "warning: the pending version {stuck} {holds}: createSecret completed, so setSecret may already have \
         applied it."
    ));
    output.note(
        "  With a single-user rotator the user's password is then already the pending one: after cancelling, \
         AWSCURRENT no longer logs in until a later rotation recovers it.",
    );
    output.note(format!(
        "  resume instead: rotor rotate {secret_id} --rotator <name> --resume (same token, safe to repeat)"
    ));
    output.note(format!(
        "  cancel anyway: rotor cancel {secret_id} --force (safe when setSecret never ran, or with an \
         alternating-users rotator, which changes only the other user)"
    ));
}

//! `rotor status`: versions, labels, the last rotation, and whether AWSPENDING is stuck and why.

use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{SecretDescription, SecretValue, SecretsManager, StagingLabel};

use crate::cli::StatusArgs;
use crate::output::{Exit, Output, timestamp};
use crate::rotation::stuck_pending;
use crate::store::Store;
use crate::timeline;

/// Whether a version holds a value, as GetSecretValue by version id answers. `Debug` redacts
/// the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    /// The version's value.
    Stored(SecretValue),
    /// No value: RotateSecret's placeholder.
    Missing,
    /// The read failed with this error.
    Unknown(String),
}

/// Reads `version_id` of `arn`.
pub(super) async fn value_of(store: &Store, arn: &str, version_id: &str) -> Value {
    match store
        .get_secret_value(arn, VersionSelector::version(version_id))
        .await
    {
        Ok(version) => Value::Stored(version.value),
        Err(error) if error.is_not_found() => Value::Missing,
        Err(error) => Value::Unknown(error.to_string()),
    }
}

fn rotation_state(description: &SecretDescription) -> &'static str {
    match description.rotation_enabled {
        Some(true) => "enabled",
        Some(false) => "disabled (RotationEnabled is false): rotations fail until it is turned on",
        None => "not configured (RotationEnabled absent); rotations still run",
    }
}

/// Runs `rotor status`. Exit code 3 when AWSPENDING is stuck.
pub(crate) async fn run(store: &Store, args: &StatusArgs, output: Output) -> Exit {
    let description = match store.describe_secret(&args.secret_id).await {
        Ok(description) => description,
        Err(error) => return store.report(output, &format!("DescribeSecret {}", args.secret_id), &error),
    };
    let arn = description.arn.clone();
    output.line(format!("secret        {}", description.name));
    output.line(format!("arn           {arn}"));
    output.line(format!("rotation      {}", rotation_state(&description)));
    let when = |time: Option<std::time::SystemTime>| time.map_or_else(|| "never".to_owned(), timestamp);
    output.line(format!("last rotated  {}", when(description.last_rotated)));
    output.line(format!("last changed  {}", when(description.last_changed)));
    let versions = match store.list_secret_version_ids(&arn).await {
        Ok(versions) => versions,
        Err(error) => return store.report(output, "ListSecretVersionIds", &error),
    };
    output.line("versions (newest first):");
    output.line(format!(
        "  {:<38} {:<24} {:<21} {}",
        "VERSION", "LABELS", "CREATED", "VALUE"
    ));
    let mut values = Vec::new();
    for version in &versions {
        let value = value_of(store, &arn, &version.version_id).await;
        let shown = match &value {
            Value::Stored(secret) if args.show_secret => secret.expose().to_owned(),
            Value::Stored(_) => "stored".to_owned(),
            Value::Missing => "none (placeholder)".to_owned(),
            Value::Unknown(error) => format!("unreadable: {error}"),
        };
        let labels = timeline::stages(&version.stages);
        let created = version.created.map_or_else(|| "-".to_owned(), timestamp);
        output.line(format!(
            "  {:<38} {labels:<24} {created:<21} {shown}",
            version.version_id
        ));
        values.push((version.version_id.clone(), value));
    }
    verdict(&description, &values, output)
}

fn verdict(description: &SecretDescription, values: &[(String, Value)], output: Output) -> Exit {
    let name = &description.name;
    let current = description.version_with(StagingLabel::Current);
    let Some(current) = current else {
        output.line("state: BROKEN: no version carries AWSCURRENT, so clients cannot read the secret");
        return Exit::Failure;
    };
    if let Some(stuck) = stuck_pending(&description.versions) {
        let has_value = values
            .iter()
            .find(|(id, _)| id == stuck)
            .is_some_and(|(_, value)| matches!(value, Value::Stored(_)));
        output.line(format!(
            "state: STUCK: AWSPENDING is on version {stuck}, which is not AWSCURRENT ({current})"
        ));
        if has_value {
            output.line(
                "  why: the version has a value, so createSecret completed; the rotation is in progress or failed \
                 at setSecret, testSecret or finishSecret. The external system may already use the pending value.",
            );
        } else {
            output.line(
                "  why: the version has no value: it is RotateSecret's placeholder, and createSecret never stored \
                 a value (the rotation function failed early or was never invoked).",
            );
        }
        output.line(format!(
            "  resume: rotor rotate {name} --rotator <name> --resume (same token, safe to repeat)"
        ));
        if has_value {
            output.line(format!(
                "  cancel: rotor cancel {name} --force (removes AWSPENDING from {stuck}; only if setSecret never \
                 applied the value, or with alternating users)"
            ));
        } else {
            output.line(format!(
                "  cancel: rotor cancel {name} (removes AWSPENDING from {stuck})"
            ));
        }
        return Exit::Stuck;
    }
    if description.has_label(current, StagingLabel::Pending) {
        output.line(
            "state: ok: no rotation in progress (AWSPENDING on the AWSCURRENT version is what a completed rotation leaves)",
        );
    } else {
        output.line("state: ok: no rotation in progress");
    }
    Exit::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_version_value_prints_no_secret() {
        let value = Value::Stored(SecretValue::new(r#"{"password":"status-Pw-7f20"}"#));
        let debug = format!("{value:?} {value:#?}");
        assert!(!debug.contains("status-Pw-7f20"), "{debug}");
    }
}

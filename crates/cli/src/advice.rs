//! What to do about a failed rotation, by the failure's stable error type and class.

use rotor_core::{ErrorClass, RotationError, SecretsManagerError};

use crate::rotation::{DESCRIBE_SECRET, Failure, ROTATE_SECRET, error_type};

/// The facts advice refers to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Situation<'a> {
    /// The secret as the user named it.
    pub(crate) secret_id: &'a str,
    /// The `--rotator` value.
    pub(crate) rotator: &'a str,
    /// Whether the store is the local file.
    pub(crate) local: bool,
}

/// Lines of advice for `failure`, most specific first.
pub(crate) fn advise(failure: &Failure, situation: Situation<'_>) -> Vec<String> {
    let Situation {
        secret_id, rotator, ..
    } = situation;
    let resume = format!("rotor rotate {secret_id} --rotator {rotator} --resume");
    let mut advice = match (&failure.access, failure.error_type) {
        (Some(access), _) => vec![access.what_to_do()],
        (None, name) => by_type(failure, name, situation),
    };
    if advice.is_empty() {
        advice = by_class(failure, secret_id);
    }
    let in_steps = failure.step != ROTATE_SECRET && failure.step != DESCRIBE_SECRET;
    match (&failure.stuck_version, in_steps) {
        (Some(version), true) => advice.push(format!(
            "AWSCURRENT is unchanged; AWSPENDING stays on version {version} with this rotation's state. \
             Every step is idempotent, so resuming is safe: {resume}"
        )),
        (None, true) => advice.push(format!(
            "No rotation was left in progress. Once the cause is fixed, rotate again: rotor rotate {secret_id} --rotator {rotator}"
        )),
        (_, false) => {}
    }
    advice
}

/// Advice by the failure's stable error type, matched against the constants of the crate that
/// defines each type; empty when the type has none.
fn by_type(failure: &Failure, name: &str, situation: Situation<'_>) -> Vec<String> {
    let Situation {
        secret_id,
        rotator,
        local,
    } = situation;
    let resume = format!("rotor rotate {secret_id} --rotator {rotator} --resume");
    let cancel = format!("rotor cancel {secret_id}");
    match name {
        RotationError::ROTATION_DISABLED => vec![if local {
            format!(
                "Rotation is turned off for this secret. Turn it on: rotor secret rotation {secret_id} on"
            )
        } else {
            "Rotation is turned off for this secret (RotationEnabled=false, e.g. after CancelRotateSecret). \
             Turn it on again with RotateSecret (aws secretsmanager rotate-secret) before rotating."
                .to_owned()
        }],
        error_type::ROTATION_IN_PROGRESS => vec![
            format!("Finish that rotation with its own token: {resume}"),
            format!("Or abandon it, then rotate again: {cancel}"),
            format!("`rotor status {secret_id}` shows the versions and why AWSPENDING is stuck."),
        ],
        error_type::NOTHING_TO_RESUME => vec![format!(
            "Start a new rotation instead: rotor rotate {secret_id} --rotator {rotator}"
        )],
        RotationError::NOT_PENDING | RotationError::UNKNOWN_VERSION => vec![
            "The token's version lost AWSPENDING while this rotation ran: another rotation or a person moved \
             the label. Do not run two rotations of one secret at once."
                .to_owned(),
            format!("Check `rotor status {secret_id}`, then start a new rotation."),
        ],
        RotationError::PENDING_VALUE_MISSING => {
            vec!["AWSPENDING has no value: createSecret never stored it, or its write was lost.".to_owned()]
        }
        RotationError::MALFORMED_SECRET => vec![format!(
            "The stored value is not what the {rotator} rotator expects (the message names the field). \
                 Check that --rotator matches the secret, and fix the value of the version named above."
        )],
        SecretsManagerError::RESOURCE_NOT_FOUND if failure.step == DESCRIBE_SECRET => vec![if local {
            "No such secret in the local store. `rotor secret list` shows what is there; \
             `rotor secret create` adds one."
                .to_owned()
        } else {
            "No such secret in this account and region (the store line names the region): check the name \
             or ARN, AWS_REGION and the credentials' account."
                .to_owned()
        }],
        SecretsManagerError::ACCESS_DENIED => vec![
            "Check the IAM permissions: secretsmanager:DescribeSecret, GetSecretValue, PutSecretValue, \
             UpdateSecretVersionStage (and kms:Decrypt for a customer managed key)."
                .to_owned(),
        ],
        RotationError::DEADLINE_EXCEEDED => {
            vec!["The step ran out of time (--step-timeout). Check that the target is reachable.".to_owned()]
        }
        SecretsManagerError::UNREACHABLE => vec![
            "Secrets Manager did not answer: check the network, the region and --endpoint-url.".to_owned(),
        ],
        _ => Vec::new(),
    }
}

fn by_class(failure: &Failure, secret_id: &str) -> Vec<String> {
    match failure.class {
        Some(ErrorClass::AuthFailure) => vec![
            "A credential was refused. Check that AWSCURRENT's password logs in to the database; if the \
             database already has a newer password, AWSPENDING holds it, and an older one is in AWSPREVIOUS."
                .to_owned(),
            format!("`rotor status {secret_id} --show-secret` shows the values of each version."),
        ],
        Some(ErrorClass::Transient) => {
            vec!["This failure is transient (network, throttling, a timeout); try again.".to_owned()]
        }
        _ => vec![format!(
            "See the message above; `rotor status {secret_id}` shows where the rotation stopped."
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(step: &'static str, error_type: &'static str, class: Option<ErrorClass>) -> Failure {
        Failure {
            step,
            error_type,
            class,
            message: String::new(),
            stuck_version: Some("v-1".into()),
            access: None,
        }
    }

    const LOCAL: Situation<'static> = Situation {
        secret_id: "app",
        rotator: "hmac-key",
        local: true,
    };

    #[test]
    fn auth_failures_point_at_the_password_and_awsprevious() {
        let advice = advise(
            &failure("setSecret", "PostgresAuthFailed", Some(ErrorClass::AuthFailure)),
            LOCAL,
        );
        assert!(advice[0].contains("AWSPREVIOUS"), "{advice:?}");
        assert!(
            advice.last().unwrap_or(&String::new()).contains("--resume"),
            "{advice:?}"
        );
    }

    #[test]
    fn a_stuck_rotation_offers_resume_and_cancel() {
        let aws = Situation {
            local: false,
            ..LOCAL
        };
        let advice = advise(
            &failure(ROTATE_SECRET, error_type::ROTATION_IN_PROGRESS, None),
            aws,
        );
        assert!(advice[0].contains("--resume"));
        assert!(advice[1].contains("rotor cancel app"), "{advice:?}");
    }

    #[test]
    fn disabled_rotation_says_how_to_turn_it_on() {
        let advice = advise(
            &failure(ROTATE_SECRET, RotationError::ROTATION_DISABLED, None),
            LOCAL,
        );
        assert_eq!(
            advice,
            ["Rotation is turned off for this secret. Turn it on: rotor secret rotation app on"]
        );
    }
}

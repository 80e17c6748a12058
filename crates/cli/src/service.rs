//! Rotation by Secrets Manager itself (`--via-service`): RotateSecret invokes each secret's
//! deployed rotation function, and the CLI only watches.
//!
//! RotateSecret is asynchronous: it answers once the service has created the AWSPENDING
//! version named by the ClientRequestToken, then the function runs the four steps. So the CLI
//! picks the token itself (one fresh UUID per secret, kept across retries of a throttled call,
//! which makes the retry idempotent) and follows that version's labels with DescribeSecret:
//!
//! - the token's version gets AWSCURRENT: finishSecret ran, the rotation completed;
//! - the version loses AWSPENDING without getting AWSCURRENT (or disappears): the rotation was
//!   abandoned (cancelled, or the label moved by someone else);
//! - AWSPENDING is still on the version when `--wait` runs out: the function failed (a failed
//!   step leaves AWSPENDING where it is, and the service retries later) or is still running.
//!   Only the function's logs tell which.
//!
//! With `RotateImmediately=false` (`rotor check --via-service`) the service runs only
//! testSecret, on a test version it removes afterwards; the CLI waits for that removal and
//! checks that no other label moved.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::Client;
use rotor_core::{SecretsManagerError, StagingLabel};

use crate::backoff::Backoff;
use crate::rotation::Labels;

/// What DescribeSecret says about a secret's rotation.
#[derive(Debug, Clone)]
pub(crate) struct RotationConfig {
    /// The secret's ARN.
    pub(crate) arn: String,
    /// Its name.
    pub(crate) name: String,
    /// `RotationLambdaARN`, when one is configured.
    pub(crate) function: Option<String>,
    /// `RotationEnabled` (absent counts as false: the service only reports it once rotation
    /// was configured).
    pub(crate) enabled: bool,
    /// `VersionIdsToStages`.
    pub(crate) labels: Labels,
}

impl RotationConfig {
    /// The rotation function, or why RotateSecret would have nothing to invoke.
    pub(crate) fn function(&self) -> Result<&str, String> {
        match (&self.function, self.enabled) {
            (None, _) => Err("no rotation function configured (RotationLambdaARN is not set)".to_owned()),
            (Some(_), false) => Err("rotation is turned off (RotationEnabled is false)".to_owned()),
            (Some(function), true) => Ok(function),
        }
    }
}

/// How a rotation (or a configuration test) the service ran ended, as the labels show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Settled {
    /// The token's version carries AWSCURRENT.
    Rotated,
    /// The token's version no longer carries AWSPENDING and is not AWSCURRENT: the rotation
    /// was abandoned. For a configuration test, its test version was removed: it finished.
    Released,
    /// AWSPENDING is still on the token's version after the wait.
    StillPending,
}

/// DescribeSecret through the SDK (the port's description lacks `RotationLambdaARN`), retried
/// while throttled.
///
/// # Errors
/// The call's error, after the retries.
pub(crate) async fn describe(
    client: &Client,
    secret_id: &str,
    backoff: &Backoff,
    throttled: &mut u32,
) -> Result<RotationConfig, SecretsManagerError> {
    let output = backoff
        .retry(
            throttled,
            || async {
                client
                    .describe_secret()
                    .secret_id(secret_id)
                    .send()
                    .await
                    .map_err(SecretsManagerError::from_sdk)
            },
            SecretsManagerError::is_throttled,
        )
        .await?;
    let labels: Labels = output
        .version_ids_to_stages()
        .map(|map| {
            map.iter()
                .map(|(version, stages)| (version.clone(), stages.clone()))
                .collect::<BTreeMap<_, _>>()
        })
        .unwrap_or_default();
    Ok(RotationConfig {
        arn: output.arn().unwrap_or(secret_id).to_owned(),
        name: output.name().unwrap_or(secret_id).to_owned(),
        function: output
            .rotation_lambda_arn()
            .filter(|arn| !arn.is_empty())
            .map(str::to_owned),
        enabled: output.rotation_enabled() == Some(true),
        labels,
    })
}

/// RotateSecret for `arn` under `token`, without changing the rotation configuration:
/// `immediately` rotates now, otherwise the service only tests the configuration. Throttled
/// calls are retried with the same token.
///
/// # Errors
/// The call's error, after the retries.
pub(crate) async fn rotate_secret(
    client: &Client,
    arn: &str,
    token: &str,
    immediately: bool,
    backoff: &Backoff,
    throttled: &mut u32,
) -> Result<(), SecretsManagerError> {
    backoff
        .retry(
            throttled,
            || async {
                client
                    .rotate_secret()
                    .secret_id(arn)
                    .client_request_token(token)
                    .rotate_immediately(immediately)
                    .send()
                    .await
                    .map(drop)
                    .map_err(SecretsManagerError::from_sdk)
            },
            SecretsManagerError::is_throttled,
        )
        .await
}

/// How often the labels are read while waiting: quickly at first (a rotation of a key takes
/// well under a second), then every two seconds.
fn poll_interval(poll: u32) -> Duration {
    let millis = 200_u64.saturating_mul(1_u64 << poll.min(4));
    Duration::from_millis(millis.min(2000))
}

/// Whether `label` is on `version` in `labels`.
fn has(labels: &Labels, version: &str, label: StagingLabel) -> bool {
    labels
        .get(version)
        .is_some_and(|stages| stages.iter().any(|stage| stage == label.as_str()))
}

/// What the labels say about the token's version, if anything is settled.
pub(crate) fn settled(labels: &Labels, token: &str) -> Option<Settled> {
    if has(labels, token, StagingLabel::Current) {
        Some(Settled::Rotated)
    } else if has(labels, token, StagingLabel::Pending) {
        None
    } else {
        Some(Settled::Released)
    }
}

/// Reads the labels until the token's version is settled or `wait` runs out. Returns the
/// outcome and the last labels read.
///
/// # Errors
/// A DescribeSecret that failed other than by throttling.
pub(crate) async fn watch(
    client: &Client,
    arn: &str,
    token: &str,
    wait: Duration,
    backoff: &Backoff,
    throttled: &mut u32,
) -> Result<(Settled, Labels), SecretsManagerError> {
    let deadline = Instant::now() + wait;
    let mut poll = 0;
    loop {
        let config = describe(client, arn, backoff, throttled).await?;
        if let Some(outcome) = settled(&config.labels, token) {
            return Ok((outcome, config.labels));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok((Settled::StillPending, config.labels));
        }
        tokio::time::sleep(poll_interval(poll).min(deadline - now)).await;
        poll += 1;
    }
}

/// The function's name in a Lambda ARN (`arn:aws:lambda:<region>:<account>:function:<name>`,
/// maybe with a qualifier), for pointing at its log group; the ARN itself otherwise.
pub(crate) fn function_name(arn: &str) -> &str {
    arn.split(':')
        .nth(6)
        .filter(|name| !name.is_empty())
        .unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(entries: &[(&str, &[&str])]) -> Labels {
        entries
            .iter()
            .map(|(version, stages)| {
                let stages = stages.iter().map(|stage| (*stage).to_owned()).collect();
                ((*version).to_owned(), stages)
            })
            .collect()
    }

    #[test]
    fn the_tokens_labels_tell_how_the_rotation_ended() {
        let running = labels(&[("old", &["AWSCURRENT"]), ("t", &["AWSPENDING"])]);
        assert_eq!(settled(&running, "t"), None);
        let done = labels(&[("old", &["AWSPREVIOUS"]), ("t", &["AWSCURRENT", "AWSPENDING"])]);
        assert_eq!(settled(&done, "t"), Some(Settled::Rotated));
        let cancelled = labels(&[("old", &["AWSCURRENT"]), ("t", &[])]);
        assert_eq!(settled(&cancelled, "t"), Some(Settled::Released));
        let removed = labels(&[("old", &["AWSCURRENT"])]);
        assert_eq!(settled(&removed, "t"), Some(Settled::Released));
    }

    #[test]
    fn configuration_needs_a_function_and_rotation_turned_on() {
        let mut config = RotationConfig {
            arn: "arn".into(),
            name: "app".into(),
            function: None,
            enabled: false,
            labels: Labels::new(),
        };
        assert!(config.function().unwrap_err().contains("RotationLambdaARN"));
        config.function = Some("arn:aws:lambda:us-east-1:1:function:rotor-hmac".into());
        assert!(config.function().unwrap_err().contains("RotationEnabled"));
        config.enabled = true;
        assert_eq!(
            config.function().map(function_name),
            Ok("rotor-hmac"),
            "the log group is /aws/lambda/<name>"
        );
    }

    #[test]
    fn polling_starts_fast_and_settles_at_two_seconds() {
        assert_eq!(poll_interval(0), Duration::from_millis(200));
        assert_eq!(poll_interval(2), Duration::from_millis(800));
        assert_eq!(poll_interval(9), Duration::from_secs(2));
    }
}

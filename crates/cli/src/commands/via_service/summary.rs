//! The end of `rotor rotate --via-service`: fleet.rs's summary table (one row per secret,
//! rotated first, then not configured, then failed), the counts, and one block of what to do
//! per kind of failure.

use std::time::Duration;

use rotor_core::SecretsManagerError;

use super::{Outcome, ServiceFailure, ServiceRun, error_type};
use crate::output::{Exit, Output, duration};
use crate::service;

/// The advice for a secret whose rotation is not configured.
pub(super) fn configure_advice(name: &str) -> String {
    format!(
        "configure rotation with the deployed function first (aws secretsmanager rotate-secret --secret-id {name} \
         --rotation-lambda-arn <function ARN> --rotate-immediately false), or rotate it here with \
         rotor rotate {name} --rotator <name>"
    )
}

pub(super) fn summarise(runs: &[ServiceRun], elapsed: Duration, output: Output) -> Exit {
    let rank = |run: &ServiceRun| match run.outcome {
        Outcome::Rotated => 0,
        Outcome::NotConfigured(_) => 1,
        Outcome::Failed(_) => 2,
    };
    let mut sorted: Vec<&ServiceRun> = runs.iter().collect();
    sorted.sort_by_key(|run| (rank(run), run.name.clone()));
    output.line(format!(
        "  {:<40} {:<14} {:>9} {:>9}  {}",
        "SECRET", "RESULT", "TOOK", "THROTTLED", "DETAIL"
    ));
    for run in &sorted {
        let (result, detail) = match &run.outcome {
            Outcome::Rotated => (
                "rotated",
                format!("AWSCURRENT {}", run.token.as_deref().unwrap_or_default()),
            ),
            Outcome::NotConfigured(reason) => ("not configured", format!("{reason}; not called")),
            Outcome::Failed(failure) => (
                "FAILED",
                format!("{} ({}): {}", failure.stage, failure.error_type, failure.message),
            ),
        };
        output.line(format!(
            "  {:<40} {result:<14} {:>9} {:>9}  {detail}",
            run.name,
            duration(run.took),
            run.throttled
        ));
    }
    let count = |rank_of: u8| sorted.iter().filter(|run| rank(run) == rank_of).count();
    let (rotated, not_configured, failed) = (count(0), count(1), count(2));
    let throttled: u32 = runs.iter().map(|run| run.throttled).sum();
    let per_second = if elapsed.is_zero() {
        0.0
    } else {
        rotated as f64 / elapsed.as_secs_f64()
    };
    output.line(format!(
        "summary: {} secrets, {rotated} rotated, {failed} failed, {not_configured} not configured, \
         {throttled} throttled call(s) retried, {} ({per_second:.1} rotations/s)",
        runs.len(),
        duration(elapsed)
    ));
    if let Some(first) = sorted
        .iter()
        .find(|run| matches!(run.outcome, Outcome::NotConfigured(_)))
    {
        output.note(format!(
            "note: {not_configured} secret(s) have no rotation configured and were not rotated, e.g. {}",
            first.name
        ));
        output.note(format!("  what to do: {}", configure_advice(&first.name)));
    }
    advise_failures(&sorted, output);
    if failed == 0 { Exit::Success } else { Exit::Failure }
}

/// One block of advice per kind of failure, naming the first secret it hit.
fn advise_failures(sorted: &[&ServiceRun], output: Output) {
    let failed: Vec<(&ServiceRun, &ServiceFailure)> = sorted
        .iter()
        .filter_map(|run| run.failure().map(|failure| (*run, failure)))
        .collect();
    let mut seen = Vec::new();
    for (run, failure) in &failed {
        let key = (failure.stage, failure.error_type);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let count = failed
            .iter()
            .filter(|(_, other)| (other.stage, other.error_type) == key)
            .count();
        output.note(format!(
            "error: {count} rotation(s) failed in {} with {}, e.g. {}: {}",
            failure.stage, failure.error_type, run.name, failure.message
        ));
        for line in advise(run, failure) {
            output.note(format!("  what to do: {line}"));
        }
    }
}

/// What to do about one failure.
fn advise(run: &ServiceRun, failure: &ServiceFailure) -> Vec<String> {
    let name = &run.name;
    let logs = run.function.as_deref().map_or_else(
        || "the rotation function's logs".to_owned(),
        |function| {
            format!(
                "the rotation function's logs (CloudWatch Logs group /aws/lambda/{})",
                service::function_name(function)
            )
        },
    );
    if let Some(access) = &failure.access {
        return vec![access.what_to_do()];
    }
    match (failure.stage, failure.error_type) {
        (_, error_type::ROTATION_NOT_FINISHED) => vec![
            format!("Read {logs}: the failed step's error is there."),
            format!(
                "Once the function has stopped, `rotor status {name}` shows the versions; abandon the rotation with \
                 `rotor cancel {name}` (AWSCURRENT is unchanged), or raise --wait if it was only slow."
            ),
        ],
        (_, error_type::ROTATION_ABANDONED) => vec![format!(
            "`rotor status {name}` shows the versions; do not run two rotations of one secret at once."
        )],
        ("RotateSecret", SecretsManagerError::INVALID_REQUEST) => vec![format!(
            "A rotation is in progress or failed: `rotor status {name}` shows it; let it finish, or abandon it with \
             `rotor cancel {name}`, then rotate again."
        )],
        ("RotateSecret", SecretsManagerError::ACCESS_DENIED) => vec![
            "Check secretsmanager:RotateSecret for these credentials, and that Secrets Manager may invoke the \
             function (lambda:InvokeFunction in its resource policy)."
                .to_owned(),
        ],
        ("RotateSecret", SecretsManagerError::RESOURCE_NOT_FOUND) => vec![format!(
            "The secret or its rotation function does not exist: check the RotationLambdaARN of {name}."
        )],
        _ => vec![format!(
            "See the message; `rotor status {name}` shows where the rotation stopped, and {logs} say more."
        )],
    }
}

//! `rotor check … --via-service`: the deployed rotation function checks each secret from where
//! rotation really runs (a private subnet), instead of this machine.
//!
//! For each secret: DescribeSecret (readable, rotation function set and turned on, no rotation
//! in progress, so the call cannot collide with one), then RotateSecret with
//! `RotateImmediately=false`, under which Secrets Manager runs only the function's testSecret
//! on an AWSPENDING test version and removes that version afterwards. A RotateSecret error is
//! the verdict (the service answers it when the test cannot run or fails); otherwise the CLI
//! waits for the test version to go and checks that every other version kept its labels, so
//! a passing check has changed no value and no label.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::Client;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::preflight::Check;
use super::{Failed, Verdict, advice, print, secret_ids};
use crate::backoff::Backoff;
use crate::cli::CheckArgs;
use crate::output::{Exit, Output, duration};
use crate::rotation::{Labels, stuck_pending};
use crate::service::{self, Settled};
use crate::store::{Store, report_access};

/// What every secret's check shares.
#[derive(Debug)]
struct Remote {
    store: Store,
    client: Client,
    wait: Duration,
    backoff: Backoff,
}

/// Runs `rotor check --via-service`.
pub(super) async fn run(store: Store, store_line: &str, args: &CheckArgs, output: Output) -> Exit {
    let Some(client) = crate::commands::via_service::aws_client(&store, "check", output) else {
        return Exit::Failure;
    };
    let ids = match secret_ids(&store, args, store_line, output).await {
        Ok(ids) => ids,
        Err(exit) => return exit,
    };
    output.line(format!(
        "checking {} secret(s) through their deployed rotation functions (RotateSecret with \
         RotateImmediately=false: testSecret only, on a test version the service removes) on {store_line}",
        ids.len()
    ));
    let remote = Arc::new(Remote {
        store,
        client,
        wait: Duration::from_secs(args.wait),
        backoff: Backoff::default(),
    });
    let slots = Arc::new(Semaphore::new(usize::from(args.concurrency)));
    let mut running = JoinSet::new();
    for (index, id) in ids.iter().cloned().enumerate() {
        let (remote, slots) = (remote.clone(), slots.clone());
        running.spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _slot = slots.acquire_owned().await;
            (index, remote.check(id).await)
        });
    }
    let mut verdicts: Vec<Option<Result<Verdict, Exit>>> = ids.iter().map(|_| None).collect();
    while let Some(joined) = running.join_next().await {
        if let Ok((index, verdict)) = joined
            && let Some(slot) = verdicts.get_mut(index)
        {
            *slot = Some(verdict);
        }
    }
    let mut table = Vec::new();
    for (verdict, id) in verdicts.into_iter().zip(ids) {
        match verdict {
            Some(Ok(verdict)) => table.push(verdict),
            // An access failure (no credentials, access denied, …) is the same for every secret.
            Some(Err(exit)) => return exit,
            None => table.push(Verdict {
                secret: id,
                passed: Vec::new(),
                failed: Some(Failed {
                    check: Check::DeployedTest,
                    message: "the check stopped without a verdict".to_owned(),
                    what_to_do: "Run rotor check for this secret alone.".to_owned(),
                }),
            }),
        }
    }
    print(&table, args.all, output)
}

impl Remote {
    /// One secret's verdict; an access failure ends the command instead (reported here).
    async fn check(&self, id: String) -> Result<Verdict, Exit> {
        let mut throttled = 0;
        let mut verdict = Verdict {
            secret: id.clone(),
            passed: Vec::new(),
            failed: None,
        };
        let described = service::describe(&self.client, &id, &self.backoff, &mut throttled).await;
        let config = match described {
            Ok(config) => config,
            Err(error) => {
                if let Some(access) = self.store.access_error(&error) {
                    return Err(report_access(Output, &access));
                }
                verdict.failed = Some(self.fail(Check::Readable, error.to_string(), &id));
                return Ok(verdict);
            }
        };
        verdict.secret = config.name.clone();
        let name = config.name.clone();
        verdict.passed.push(Check::Readable);
        let function = match (&config.function, config.enabled) {
            (None, _) => {
                let message =
                    format!("{name} has no rotation function configured (RotationLambdaARN is not set)");
                verdict.failed = Some(self.fail(Check::RotationFunction, message, &name));
                return Ok(verdict);
            }
            (Some(function), enabled) => {
                verdict.passed.push(Check::RotationFunction);
                if !enabled {
                    let message = format!("RotationEnabled is false for {name}");
                    verdict.failed = Some(self.fail(Check::RotationEnabled, message, &name));
                    return Ok(verdict);
                }
                function.clone()
            }
        };
        verdict.passed.push(Check::RotationEnabled);
        if let Some(stuck) = stuck_pending(&config.labels) {
            let message = format!("AWSPENDING is on version {stuck}, which is not AWSCURRENT");
            verdict.failed = Some(self.fail(Check::NoRotationInProgress, message, &name));
            return Ok(verdict);
        }
        verdict.passed.push(Check::NoRotationInProgress);

        let logs = format!(
            "Read the rotation function's logs (CloudWatch Logs group /aws/lambda/{}): testSecret's error is there.",
            service::function_name(&function)
        );
        let token = uuid::Uuid::new_v4().to_string();
        let requested = service::rotate_secret(
            &self.client,
            &config.arn,
            &token,
            false,
            &self.backoff,
            &mut throttled,
        )
        .await;
        if let Err(error) = requested {
            if let Some(access) = self.store.access_error(&error) {
                return Err(report_access(Output, &access));
            }
            verdict.failed = Some(Failed {
                check: Check::DeployedTest,
                message: format!("RotateSecret (RotateImmediately=false) failed: {error}"),
                what_to_do: logs,
            });
            return Ok(verdict);
        }
        let watched = service::watch(
            &self.client,
            &config.arn,
            &token,
            self.wait,
            &self.backoff,
            &mut throttled,
        )
        .await;
        let failure = match watched {
            Ok((Settled::Released, after)) => {
                changed_labels(&config.labels, &after, &token).map(|message| Failed {
                    check: Check::DeployedTest,
                    message,
                    what_to_do: format!("`rotor status {name}` shows the versions now."),
                })
            }
            Ok((Settled::StillPending, _)) => Some(Failed {
                check: Check::DeployedTest,
                message: format!(
                    "the test version {token} still carries AWSPENDING after {}: testSecret failed or is still running",
                    duration(self.wait)
                ),
                what_to_do: format!(
                    "{logs} Once it has stopped, remove the test version's label: rotor cancel {name}"
                ),
            }),
            Ok((Settled::Rotated, _)) => Some(Failed {
                check: Check::DeployedTest,
                message: format!(
                    "the test version {token} became AWSCURRENT: the secret was rotated, not only tested"
                ),
                what_to_do: format!(
                    "`rotor status {name}` shows the versions; check the function's finishSecret."
                ),
            }),
            Err(error) => Some(self.fail(Check::Readable, error.to_string(), &name)),
        };
        match failure {
            Some(failed) => verdict.failed = Some(failed),
            None => verdict.passed.push(Check::DeployedTest),
        }
        Ok(verdict)
    }

    fn fail(&self, check: Check, message: String, secret: &str) -> Failed {
        Failed {
            check,
            what_to_do: advice::what_to_do(check, None, secret, "<name>", false),
            message,
        }
    }
}

/// Why the labels after the test differ from those before it, ignoring the test version.
fn changed_labels(before: &Labels, after: &Labels, token: &str) -> Option<String> {
    let without_test = |labels: &Labels| {
        let mut labels = labels.clone();
        labels.remove(token);
        labels.retain(|_, stages| !stages.is_empty());
        for stages in labels.values_mut() {
            stages.sort();
        }
        labels
    };
    let (before, after) = (without_test(before), without_test(after));
    (before != after)
        .then(|| format!("the labels changed during the test: before {before:?}, after {after:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_test_version_may_come_and_go() {
        let labels = |entries: &[(&str, &str)]| -> Labels {
            entries
                .iter()
                .map(|(version, stage)| ((*version).to_owned(), vec![(*stage).to_owned()]))
                .collect()
        };
        let before = labels(&[("v1", "AWSCURRENT")]);
        assert_eq!(
            changed_labels(&before, &labels(&[("v1", "AWSCURRENT")]), "t"),
            None
        );
        assert_eq!(
            changed_labels(
                &before,
                &labels(&[("v1", "AWSCURRENT"), ("t", "AWSPENDING")]),
                "t"
            ),
            None
        );
        assert!(
            changed_labels(
                &before,
                &labels(&[("v1", "AWSPREVIOUS"), ("t", "AWSCURRENT")]),
                "t"
            )
            .is_some()
        );
    }
}

//! `rotor rotate --all`: fleet rotation for incident response. Every matching secret is rotated
//! once, at most `concurrency` at a time and at most `rate` started per second; one failure does
//! not stop the others; throttled calls back off. A progress bar runs on stderr and a summary
//! table ends on stdout.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::advice::{self, Situation};
use crate::backoff::Pacer;
use crate::output::{Exit, Output, duration};
use crate::rotation::{Failure, Rotation, RotationRun, Start, error_type};
use crate::store::{Filter, SecretEntry, Store};

/// What `--all` asked for.
#[derive(Debug)]
pub(crate) struct Fleet {
    /// Which secrets.
    pub(crate) filter: Filter,
    /// Rotations in flight at once.
    pub(crate) concurrency: usize,
    /// Most rotations started per second.
    pub(crate) rate: f64,
    /// The rotator's name, for messages.
    pub(crate) rotator: String,
}

impl Fleet {
    /// Rotates the listed fleet, prints the summary. Fails when any rotation failed.
    pub(crate) async fn run(
        self,
        rotation: Rotation,
        entries: Vec<SecretEntry>,
        store_line: &str,
        output: Output,
    ) -> Exit {
        if !(self.rate.is_finite() && self.rate > 0.0) {
            output.note("error: --rate must be a positive number of secrets per second");
            return Exit::Failure;
        }
        output.line(format!(
            "rotating {} secrets ({}) with {}, {} at a time, at most {}/s, on {store_line}",
            entries.len(),
            self.filter,
            self.rotator,
            self.concurrency,
            self.rate
        ));
        let local = rotation.store.local().is_some();
        let began = Instant::now();
        let results = self.rotate_all(rotation, entries).await;
        let elapsed = began.elapsed();
        self.summarise(&results, elapsed, local, output)
    }

    async fn rotate_all(&self, rotation: Rotation, entries: Vec<SecretEntry>) -> Vec<(String, RotationRun)> {
        let progress = progress_bar(entries.len());
        let rotation = Arc::new(rotation);
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut pacer = Pacer::new(self.rate);
        let mut running = JoinSet::new();
        let mut names = BTreeMap::new();
        for entry in entries {
            pacer.ready().await;
            // The semaphore is never closed, so acquiring cannot fail.
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            let rotation = rotation.clone();
            let progress = progress.clone();
            let SecretEntry { arn, name } = entry;
            let key = arn.clone();
            let task = running.spawn(async move {
                let run = rotation.run(&arn, Start::New).await;
                drop(slot);
                progress.inc(1);
                if run.result.is_err() {
                    progress.set_message(format!("last failure: {name}"));
                }
                (name, run)
            });
            names.insert(task.id(), key);
        }
        let mut results = Vec::new();
        while let Some(joined) = running.join_next_with_id().await {
            match joined {
                Ok((_, result)) => results.push(result),
                Err(error) => {
                    let arn = names.get(&error.id()).cloned().unwrap_or_default();
                    results.push((arn.clone(), crashed(arn, &error)));
                }
            }
        }
        progress.finish_and_clear();
        results
    }

    fn summarise(
        &self,
        results: &[(String, RotationRun)],
        elapsed: Duration,
        local: bool,
        output: Output,
    ) -> Exit {
        let mut sorted: Vec<&(String, RotationRun)> = results.iter().collect();
        sorted.sort_by_key(|(name, run)| (run.result.is_err(), name.clone()));
        output.line(format!(
            "  {:<40} {:<10} {:>9} {:>9}  {}",
            "SECRET", "RESULT", "TOOK", "THROTTLED", "DETAIL"
        ));
        for (name, run) in &sorted {
            let (result, detail) = match &run.result {
                Ok(()) => (
                    "rotated",
                    format!("AWSCURRENT {}", run.token.as_deref().unwrap_or_default()),
                ),
                Err(failure) => (
                    "FAILED",
                    format!("{} ({}): {}", failure.step, failure.error_type, failure.message),
                ),
            };
            output.line(format!(
                "  {name:<40} {result:<10} {:>9} {:>9}  {detail}",
                duration(run.took),
                run.throttled
            ));
        }
        let failed: Vec<&(String, RotationRun)> = sorted
            .iter()
            .copied()
            .filter(|(_, run)| run.result.is_err())
            .collect();
        let rotated = results.len() - failed.len();
        let throttled: u32 = results.iter().map(|(_, run)| run.throttled).sum();
        let per_second = if elapsed.is_zero() {
            0.0
        } else {
            rotated as f64 / elapsed.as_secs_f64()
        };
        output.line(format!(
            "summary: {} secrets, {rotated} rotated, {} failed, {throttled} throttled call(s) retried, {} ({per_second:.1} rotations/s)",
            results.len(),
            failed.len(),
            duration(elapsed)
        ));
        self.advise_failures(&failed, local, output);
        if failed.is_empty() {
            Exit::Success
        } else {
            Exit::Failure
        }
    }

    /// One block of advice per kind of failure, naming the first secret it hit.
    fn advise_failures(&self, failed: &[&(String, RotationRun)], local: bool, output: Output) {
        let mut seen = Vec::new();
        for (name, run) in failed {
            let Err(failure) = &run.result else { continue };
            if seen.contains(&failure.error_type) {
                continue;
            }
            seen.push(failure.error_type);
            let count = failed
                .iter()
                .filter(|(_, other)| {
                    other.result.as_ref().err().map(|f| f.error_type) == Some(failure.error_type)
                })
                .count();
            output.note(format!(
                "error: {count} rotation(s) failed with {}, e.g. {name}: {}",
                failure.error_type, failure.message
            ));
            let situation = Situation {
                secret_id: name,
                rotator: &self.rotator,
                local,
            };
            for line in advice::advise(failure, situation) {
                output.note(format!("  what to do: {line}"));
            }
        }
    }
}

/// Every secret `filter` matches, or the one-line error (a failed listing, or no match).
pub(crate) async fn matching(
    store: &Store,
    filter: &Filter,
    store_line: &str,
    output: Output,
) -> Result<Vec<SecretEntry>, Exit> {
    let entries = store
        .list(filter)
        .await
        .map_err(|error| store.report(output, "listing secrets", &error))?;
    if entries.is_empty() {
        output.note(format!("error: no secret matches {filter} on {store_line}"));
        return Err(Exit::Failure);
    }
    Ok(entries)
}

/// A progress bar on stderr for `total` secrets.
pub(crate) fn progress_bar(total: usize) -> ProgressBar {
    let progress = ProgressBar::with_draw_target(
        Some(u64::try_from(total).unwrap_or(u64::MAX)),
        ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}) {msg}")
    {
        progress.set_style(style);
    }
    progress.enable_steady_tick(Duration::from_millis(200));
    progress
}

/// A rotation task that panicked: reported like any failure so the fleet goes on.
fn crashed(arn: String, error: &tokio::task::JoinError) -> RotationRun {
    RotationRun {
        secret_id: arn,
        arn: None,
        name: None,
        token: None,
        labels_before: None,
        steps: Vec::new(),
        result: Err(Failure {
            step: "rotor",
            error_type: error_type::INTERNAL_ERROR,
            class: None,
            message: format!("the rotation task stopped: {error}"),
            stuck_version: None,
            access: None,
        }),
        took: Duration::ZERO,
        throttled: 0,
    }
}

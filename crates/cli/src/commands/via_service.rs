//! `rotor rotate … --via-service`: Secrets Manager rotates each secret through its deployed
//! rotation function (RotateSecret), for databases only that function can reach; the CLI
//! paces the calls, backs off when throttled, waits for each rotation by its labels
//! ([`crate::service`]) and ends with fleet.rs's summary table.
//!
//! A secret without a configured function is a "not configured" row and is never called; a
//! RotateSecret error (a rotation in progress, access denied) is that secret's row, never the
//! end of the run.

mod summary;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::Client;
use rotor_core::SecretsManagerError;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::backoff::{Backoff, Pacer};
use crate::cli::RotateArgs;
use crate::output::{Exit, Output, duration};
use crate::service::{self, Settled};
use crate::store::{AccessError, Filter, SecretEntry, Store, report_access};

/// The error types of what the labels showed, next to Secrets Manager's own.
pub(crate) mod error_type {
    /// AWSPENDING left the token's version before it became AWSCURRENT.
    pub(crate) const ROTATION_ABANDONED: &str = "RotationAbandoned";
    /// AWSPENDING was still on the token's version when `--wait` ran out.
    pub(crate) const ROTATION_NOT_FINISHED: &str = "RotationNotFinished";
    /// A task stopped without a result.
    pub(crate) const INTERNAL_ERROR: &str = "InternalError";
}

/// The client of the AWS store, or the one-line refusal for the local store.
pub(crate) fn aws_client(store: &Store, command: &str, output: Output) -> Option<Client> {
    match store {
        Store::Aws(aws) => Some(aws.client().clone()),
        Store::Local(_) => {
            output.note(format!(
                "error: {command} --via-service needs AWS Secrets Manager (--store aws or --endpoint-url): \
                 it asks each secret's deployed rotation function, which the local store does not have; \
                 use --rotator to run the rotator here"
            ));
            None
        }
    }
}

/// How one secret's rotation through the service ended.
#[derive(Debug, Clone)]
enum Outcome {
    /// The token's version became AWSCURRENT.
    Rotated,
    /// No RotateSecret was sent: nothing to invoke. Holds why.
    NotConfigured(String),
    /// It failed; the row says where.
    Failed(ServiceFailure),
}

/// Where and why a rotation through the service failed. Holds no secret value.
#[derive(Debug, Clone)]
struct ServiceFailure {
    /// `DescribeSecret`, `RotateSecret` or `rotation` (what the labels showed).
    stage: &'static str,
    /// The stable error name.
    error_type: &'static str,
    /// The message.
    message: String,
    /// When AWS could not be used at all (credentials, access, the endpoint).
    access: Option<AccessError>,
}

/// One row of the summary.
#[derive(Debug, Clone)]
struct ServiceRun {
    /// The secret's name.
    name: String,
    /// The ClientRequestToken sent, once chosen: the new version's id.
    token: Option<String>,
    /// The configured rotation function.
    function: Option<String>,
    outcome: Outcome,
    took: Duration,
    throttled: u32,
}

impl ServiceRun {
    fn failure(&self) -> Option<&ServiceFailure> {
        match &self.outcome {
            Outcome::Failed(failure) => Some(failure),
            _ => None,
        }
    }
}

/// What every secret's rotation shares.
#[derive(Debug)]
struct Context {
    store: Store,
    client: Client,
    wait: Duration,
    backoff: Backoff,
}

/// Runs `rotor rotate --via-service`, for one secret or `--all --filter`.
pub(crate) async fn rotate(store: Store, store_line: &str, args: &RotateArgs, output: Output) -> Exit {
    let Some(client) = aws_client(&store, "rotate", output) else {
        return Exit::Failure;
    };
    let (entries, what) = if args.all {
        let Ok(filter) = Filter::parse(args.filter.as_deref().unwrap_or_default()) else {
            output.note("error: --all needs a --filter");
            return Exit::Failure;
        };
        match super::fleet::matching(&store, &filter, store_line, output).await {
            Ok(entries) => (entries, filter.to_string()),
            Err(exit) => return exit,
        }
    } else {
        let Some(id) = args.secret_id.clone() else {
            output.note("error: name a secret, or use --all --filter");
            return Exit::Failure;
        };
        let entry = SecretEntry {
            arn: id.clone(),
            name: id.clone(),
        };
        (vec![entry], id)
    };
    let wait = Duration::from_secs(args.wait);
    output.line(format!(
        "rotating {} secret(s) ({what}) through their rotation functions (RotateSecret), {} at a time, \
         at most {}/s, waiting up to {} each, on {store_line}",
        entries.len(),
        args.concurrency,
        args.rate,
        duration(wait)
    ));
    let context = Arc::new(Context {
        store,
        client,
        wait,
        backoff: Backoff::default(),
    });
    let began = Instant::now();
    let runs = rotate_all(&context, entries, usize::from(args.concurrency), args.rate).await;
    let elapsed = began.elapsed();
    if let [run] = runs.as_slice()
        && !args.all
        && let Outcome::NotConfigured(reason) = &run.outcome
    {
        output.note(format!(
            "error: secret {} cannot be rotated --via-service: {reason}",
            run.name
        ));
        output.note(format!("  what to do: {}", summary::configure_advice(&run.name)));
        return Exit::Failure;
    }
    if let [run] = runs.as_slice()
        && let Some(ServiceFailure {
            access: Some(access), ..
        }) = run.failure()
    {
        return report_access(output, access);
    }
    summary::summarise(&runs, elapsed, output)
}

async fn rotate_all(
    context: &Arc<Context>,
    entries: Vec<SecretEntry>,
    concurrency: usize,
    rate: f64,
) -> Vec<ServiceRun> {
    let progress = super::fleet::progress_bar(entries.len());
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut pacer = Pacer::new(rate);
    let mut running = JoinSet::new();
    let mut names = Vec::new();
    for (index, entry) in entries.into_iter().enumerate() {
        pacer.ready().await;
        // The semaphore is never closed, so acquiring cannot fail.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        names.push(entry.name.clone());
        let (context, progress) = (context.clone(), progress.clone());
        running.spawn(async move {
            let run = context.rotate(entry).await;
            drop(slot);
            progress.inc(1);
            if run.failure().is_some() {
                progress.set_message(format!("last failure: {}", run.name));
            }
            (index, run)
        });
    }
    let mut runs: Vec<Option<ServiceRun>> = names.iter().map(|_| None).collect();
    while let Some(joined) = running.join_next().await {
        if let Ok((index, run)) = joined
            && let Some(slot) = runs.get_mut(index)
        {
            *slot = Some(run);
        }
    }
    progress.finish_and_clear();
    runs.into_iter()
        .zip(names)
        .map(|(run, name)| {
            run.unwrap_or_else(|| ServiceRun {
                name,
                token: None,
                function: None,
                outcome: Outcome::Failed(ServiceFailure {
                    stage: "rotor",
                    error_type: error_type::INTERNAL_ERROR,
                    message: "the rotation task stopped without a result".to_owned(),
                    access: None,
                }),
                took: Duration::ZERO,
                throttled: 0,
            })
        })
        .collect()
}

impl Context {
    fn failed(&self, stage: &'static str, error: &SecretsManagerError) -> Outcome {
        Outcome::Failed(ServiceFailure {
            stage,
            error_type: error.error_type(),
            message: error.to_string(),
            access: self.store.access_error(error),
        })
    }

    /// DescribeSecret, RotateSecret with a fresh token, then the wait. Never panics.
    async fn rotate(&self, entry: SecretEntry) -> ServiceRun {
        let began = Instant::now();
        let mut run = ServiceRun {
            name: entry.name,
            token: None,
            function: None,
            outcome: Outcome::Rotated,
            took: Duration::ZERO,
            throttled: 0,
        };
        run.outcome = self.drive(&entry.arn, &mut run).await;
        run.took = began.elapsed();
        run
    }

    async fn drive(&self, secret_id: &str, run: &mut ServiceRun) -> Outcome {
        let described = service::describe(&self.client, secret_id, &self.backoff, &mut run.throttled).await;
        let config = match described {
            Ok(config) => config,
            Err(error) => return self.failed("DescribeSecret", &error),
        };
        run.name = config.name.clone();
        match config.function() {
            Ok(function) => run.function = Some(function.to_owned()),
            Err(reason) => return Outcome::NotConfigured(reason),
        }
        let token = uuid::Uuid::new_v4().to_string();
        run.token = Some(token.clone());
        let requested = service::rotate_secret(
            &self.client,
            &config.arn,
            &token,
            true,
            &self.backoff,
            &mut run.throttled,
        )
        .await;
        if let Err(error) = requested {
            return self.failed("RotateSecret", &error);
        }
        let watched = service::watch(
            &self.client,
            &config.arn,
            &token,
            self.wait,
            &self.backoff,
            &mut run.throttled,
        )
        .await;
        let plain = |error_type, message| {
            Outcome::Failed(ServiceFailure {
                stage: "rotation",
                error_type,
                message,
                access: None,
            })
        };
        match watched {
            Ok((Settled::Rotated, _)) => Outcome::Rotated,
            Ok((Settled::Released, _)) => plain(
                error_type::ROTATION_ABANDONED,
                format!(
                    "AWSPENDING left version {token} before it became AWSCURRENT (the rotation was cancelled, \
                     or something else moved the label)"
                ),
            ),
            Ok((Settled::StillPending, _)) => plain(
                error_type::ROTATION_NOT_FINISHED,
                format!(
                    "AWSPENDING is still on version {token} after {}: the function failed a step or is still running",
                    duration(self.wait)
                ),
            ),
            Err(error) => self.failed("DescribeSecret", &error),
        }
    }
}

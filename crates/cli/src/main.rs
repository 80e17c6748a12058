//! # rotor
//!
//! The `rotor` command drives the four rotation steps in-process, exactly as Secrets Manager
//! would invoke a rotation function: a new ClientRequestToken, RotateSecret's AWSPENDING
//! placeholder, then createSecret, setSecret, testSecret and finishSecret through
//! [`rotor_core::RotationFunction`], the same code a deployed Lambda runs.
//!
//! ## Design
//!
//! - **One port, two stores.** Every command runs against [`rotor_core::SecretsManager`]: AWS
//!   through the SDK (default credential chain, or `--endpoint-url`), or a local JSON file that
//!   holds core's in-memory model, so a user with no AWS account gets the service's documented
//!   semantics. The rule that picks the store follows intent (`--store`, `--endpoint-url`, or
//!   configured credentials; never a region or CA setting alone), and the first line of every
//!   command names the store and the reason ([`store::choose`]).
//! - **Errors a person can act on.** Each failure is one line built from the error chain's
//!   `Display` (never an SDK `Debug` dump), plus what to do. No credentials, expired
//!   credentials, access denied, a missing or wrong region and an unreachable endpoint are
//!   checked first or recognised by type, and each has its own exit code
//!   ([`output::EXIT_CODES`]).
//! - **The placeholder, faithfully.** Locally the placeholder is created as RotateSecret creates
//!   it. On AWS no API creates a value-less version, so the adapter shows the steps the
//!   placeholder until createSecret's PutSecretValue creates the version ([`store::AwsStore`]).
//! - **No secret on screen.** Output names versions, labels, steps and typed errors, which by
//!   construction hold no values; only `--show-secret` prints a value.
//! - **Fleets are just many rotations.** `rotate --all` runs the same single-secret rotation
//!   under a concurrency limit and a start-rate pacer, backing off when throttled.
//! - **Or the service rotates.** With `--via-service` the CLI only calls RotateSecret (under a
//!   token it chose) and watches that version's labels, so the deployed function rotates
//!   databases this machine cannot reach; `rotor check --via-service` asks that function's
//!   testSecret the same way ([`service`]).
//!
//! Exit codes: 0 success, 1 failure, 2 usage error, 3 `status` found a stuck rotation, 4 to 8
//! one each for the AWS access failures above.

mod advice;
mod backoff;
mod cli;
mod commands;
mod engines;
mod output;
mod rotation;
mod rotators;
mod service;
mod store;
mod timeline;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::output::{Exit, Output};
use crate::store::{Environment, Store, report_access};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            Output.note(format!("error: cannot start the async runtime: {error}"));
            return Exit::Failure.into();
        }
    };
    runtime.block_on(run(cli)).into()
}

/// Logs go to stderr only when `RUST_LOG` asks, through core's filter that caps dependencies
/// (the SDK's and the database drivers') which would log request bodies or statements.
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    if let Ok(requested) = std::env::var("RUST_LOG") {
        let _already_set = tracing_subscriber::registry()
            .with(rotor_core::logging::filter(
                &requested,
                &rotators::driver_log_targets(),
            ))
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .try_init();
    }
}

async fn run(cli: Cli) -> Exit {
    let output = Output;
    if let Command::Rotators = cli.command {
        return commands::list_rotators(output);
    }
    if let Command::Demo { subject } = cli.command {
        return commands::demo::run(subject, output).await;
    }
    if let Some(line) = cli.command.bad_input() {
        output.note(format!("error: {line}"));
        return Exit::Failure;
    }
    let waiting = |lock: &std::path::Path| {
        output.note(format!(
            "waiting for another rotor process to release {}",
            lock.display()
        ));
    };
    let (store_line, opened) = Store::open(&cli.store, &Environment::current(), waiting).await;
    output.note(format!("store: {store_line}"));
    let store = match opened {
        Ok(store) => store,
        Err(error) => {
            output.note(format!("error: {error}"));
            if let Some(what_to_do) = error.what_to_do() {
                output.note(format!("  what to do: {what_to_do}"));
            }
            return error.exit();
        }
    };
    if let Some(secret_id) = cli.command.secret_id()
        && let Err(access) = store.check_region(secret_id)
    {
        return report_access(output, &access);
    }
    match cli.command {
        Command::Rotate(args) => commands::rotate::run(store, &store_line, args, output).await,
        Command::Check(args) => commands::check::run(store, &store_line, args, output).await,
        Command::Cancel { secret_id, force } => {
            commands::cancel::run(&store, &secret_id, force, output).await
        }
        Command::Status(args) => commands::status::run(&store, &args, output).await,
        Command::Secret(command) => commands::secret::run(&store, command, output).await,
        Command::Demo { .. } | Command::Rotators => Exit::Success,
    }
}

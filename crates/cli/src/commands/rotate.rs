//! `rotor rotate <secret-id>`: one rotation with its timeline; `--all` hands over to the fleet.

use std::time::Duration;

use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{RotationSettings, Rotator, SecretsManager, StagingLabel};

use crate::advice::Situation;
use crate::backoff::Backoff;
use crate::cli::RotateArgs;
use crate::engines::{mismatch, read_engines};
use crate::output::{Exit, Output};
use crate::rotation::{Rotation, Start};
use crate::rotators::RotatorName;
use crate::store::{Filter, Store};
use crate::timeline;

/// Runs `rotor rotate`.
pub(crate) async fn run(store: Store, store_line: &str, args: RotateArgs, output: Output) -> Exit {
    let Some(rotator_name) = args.rotator else {
        return super::via_service::rotate(store, store_line, &args, output).await;
    };
    let rotator = match rotator_name.build() {
        Ok(rotator) => rotator,
        Err(problem) => {
            output.note(format!(
                "error: the rotator's settings in the environment are unusable: {problem}"
            ));
            return Exit::Failure;
        }
    };
    let settings = match RotationSettings::from_env(rotator.default_exclude_characters()) {
        Ok(settings) => settings,
        Err(error) => {
            output.note(format!(
                "error: the password settings in the environment are unusable: {error}"
            ));
            return Exit::Failure;
        }
    };
    let rotation = Rotation {
        store,
        rotator,
        settings,
        step_timeout: Duration::from_secs(args.step_timeout),
        record_labels: !args.all,
        backoff: Backoff::default(),
    };
    let name = rotator_name.as_str();
    if args.all {
        let Ok(filter) = Filter::parse(args.filter.as_deref().unwrap_or_default()) else {
            output.note("error: --all needs a --filter");
            return Exit::Failure;
        };
        let entries = match super::fleet::matching(&rotation.store, &filter, store_line, output).await {
            Ok(entries) => entries,
            Err(exit) => return exit,
        };
        let ids: Vec<String> = entries.iter().map(|entry| entry.arn.clone()).collect();
        if let Err(exit) =
            refuse_mismatch(&rotation.store, rotator_name, &ids, args.concurrency, output).await
        {
            return exit;
        }
        let fleet = super::fleet::Fleet {
            filter,
            concurrency: usize::from(args.concurrency),
            rate: args.rate,
            rotator: name,
        };
        return fleet.run(rotation, entries, store_line, output).await;
    }
    let Some(secret_id) = args.secret_id.as_deref() else {
        output.note("error: name a secret, or use --all --filter");
        return Exit::Failure;
    };
    if let Err(exit) =
        refuse_mismatch(&rotation.store, rotator_name, &[secret_id.to_owned()], 1, output).await
    {
        return exit;
    }
    let rotator_name = name;
    output.line(format!(
        "rotating {secret_id} with {rotator_name} on {store_line}"
    ));
    let start = if args.resume { Start::Resume } else { Start::New };
    let run = rotation.run(secret_id, start).await;
    let situation = Situation {
        secret_id,
        rotator: &rotator_name,
        local: rotation.store.local().is_some(),
    };
    timeline::print(output, &run, situation);
    if let Err(failure) = &run.result {
        return failure.exit();
    }
    if args.show_secret
        && let Some(arn) = &run.arn
    {
        show_values(&rotation.store, arn, output).await;
    }
    Exit::Success
}

/// Refuses, before any write, a `--rotator` that does not match some secret's engine.
async fn refuse_mismatch(
    store: &Store,
    rotator: RotatorName,
    ids: &[String],
    concurrency: u16,
    output: Output,
) -> Result<(), Exit> {
    // An access failure is left to the rotation, which reports it in its own words.
    let Ok(engines) = read_engines(store, ids, usize::from(concurrency)).await else {
        return Ok(());
    };
    match mismatch(rotator, &engines) {
        Some(line) => {
            output.note(format!("error: {line}"));
            Err(Exit::Failure)
        }
        None => Ok(()),
    }
}

/// `--show-secret`: the values of AWSCURRENT and AWSPREVIOUS.
async fn show_values(store: &Store, arn: &str, output: Output) {
    for label in [StagingLabel::Current, StagingLabel::Previous] {
        match store.get_secret_value(arn, VersionSelector::stage(label)).await {
            Ok(version) => output.line(format!("{label} value: {}", version.value.expose())),
            Err(error) => output.line(format!("{label} value: unavailable ({error})")),
        }
    }
}

//! `rotor rotate <secret-id>`: one rotation with its timeline; `--all` hands over to the fleet.

use std::time::Duration;

use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{RotationSettings, Rotator, SecretsManager, StagingLabel};

use crate::advice::Situation;
use crate::backoff::Backoff;
use crate::cli::RotateArgs;
use crate::output::{Exit, Output};
use crate::rotation::{Rotation, Start};
use crate::store::{Filter, Store};
use crate::timeline;

/// Runs `rotor rotate`.
pub(crate) async fn run(store: Store, store_line: &str, args: RotateArgs, output: Output) -> Exit {
    let rotator = match args.rotator.build() {
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
    let rotator_name = args.rotator.as_str();
    if args.all {
        let filter = Filter::parse(args.filter.as_deref().unwrap_or_default());
        let fleet = super::fleet::Fleet {
            filter,
            concurrency: usize::from(args.concurrency),
            rate: args.rate,
            rotator: rotator_name,
        };
        return fleet.run(rotation, store_line, output).await;
    }
    let Some(secret_id) = args.secret_id.as_deref() else {
        output.note("error: name a secret, or use --all --filter");
        return Exit::Failure;
    };
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

/// `--show-secret`: the values of AWSCURRENT and AWSPREVIOUS.
async fn show_values(store: &Store, arn: &str, output: Output) {
    for label in [StagingLabel::Current, StagingLabel::Previous] {
        match store.get_secret_value(arn, VersionSelector::stage(label)).await {
            Ok(version) => output.line(format!("{label} value: {}", version.value.expose())),
            Err(error) => output.line(format!("{label} value: unavailable ({error})")),
        }
    }
}

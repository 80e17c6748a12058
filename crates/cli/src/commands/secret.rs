//! `rotor secret`: seed and inspect the local store, so rotation can be tried without AWS.

use std::io::Read;
use std::path::Path;

use rotor_core::{SecretValue, SecretsManager};

use crate::cli::{SecretCommand, Switch};
use crate::output::{Exit, Output};
use crate::store::{Filter, LocalStore, Store};
use crate::timeline;

/// Runs a `rotor secret` subcommand.
pub(crate) async fn run(store: &Store, command: SecretCommand, output: Output) -> Exit {
    match command {
        SecretCommand::List => list(store, output).await,
        SecretCommand::Create {
            name,
            value_file,
            value_stdin,
            tags,
        } => {
            let Some(local) = local_only(store, "create", output) else {
                return Exit::Failure;
            };
            let value = match read_value(value_file.as_deref(), value_stdin) {
                Ok(value) => value,
                Err(problem) => {
                    output.note(format!("error: {problem}"));
                    return Exit::Failure;
                }
            };
            create(local, &name, &value, &tags, output).await
        }
        SecretCommand::Rotation { secret_id, state } => {
            let Some(local) = local_only(store, "rotation", output) else {
                return Exit::Failure;
            };
            let enabled = state == Switch::On;
            let changed = local
                .model()
                .set_rotation_enabled(&secret_id, Some(enabled))
                .map_err(|error| error.to_string())
                .and_then(|()| local.save().map_err(|error| error.to_string()));
            match changed {
                Ok(()) => {
                    let word = if enabled { "on" } else { "off" };
                    output.line(format!("rotation of {secret_id} is {word}"));
                    Exit::Success
                }
                Err(error) => {
                    output.note(format!("error: {error}"));
                    Exit::Failure
                }
            }
        }
    }
}

fn local_only<'s>(store: &'s Store, command: &str, output: Output) -> Option<&'s LocalStore> {
    let local = store.local();
    if local.is_none() {
        output.note(format!(
            "error: `rotor secret {command}` works on the local store only, and this command uses AWS. \
             Add --store local, or manage AWS secrets with the aws CLI."
        ));
    }
    local
}

/// Reads the value from a file or stdin; one trailing newline is dropped (editors add it).
fn read_value(file: Option<&Path>, stdin: bool) -> Result<SecretValue, String> {
    let mut text = String::new();
    match (file, stdin) {
        (Some(path), _) => {
            text = std::fs::read_to_string(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        }
        (None, true) => {
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|error| format!("cannot read stdin: {error}"))?;
        }
        (None, false) => return Err("give the value with --value-file FILE or --value-stdin".to_owned()),
    }
    let trimmed = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    if trimmed.is_empty() {
        return Err("the value is empty".to_owned());
    }
    Ok(SecretValue::new(trimmed))
}

async fn create(
    store: &LocalStore,
    name: &str,
    value: &SecretValue,
    tags: &[String],
    output: Output,
) -> Exit {
    let mut parsed_tags = Vec::new();
    for tag in tags {
        let Some((key, tag_value)) = tag.split_once('=') else {
            output.note(format!("error: --tag {tag:?} is not KEY=VALUE"));
            return Exit::Failure;
        };
        parsed_tags.push((key, tag_value));
    }
    let arn = match store.model().create_secret(name, value) {
        Ok(arn) => arn,
        Err(error) => {
            output.note(format!("error: cannot create {name}: {error}"));
            return Exit::Failure;
        }
    };
    for (key, tag_value) in parsed_tags {
        if let Err(error) = store.model().tag_secret(&arn, key, tag_value) {
            output.note(format!("error: cannot tag {name}: {error}"));
            return Exit::Failure;
        }
    }
    if let Err(error) = store.save() {
        output.note(format!("error: {error}"));
        return Exit::Failure;
    }
    let labels = match store.model().describe_secret(&arn).await {
        Ok(description) => timeline::labels(&description.versions),
        Err(error) => error.to_string(),
    };
    output.line(format!("created {name} in {}", store.path().display()));
    output.line(format!("  arn     {arn}"));
    output.line(format!("  labels  {labels}"));
    Exit::Success
}

async fn list(store: &Store, output: Output) -> Exit {
    let entries = match store.list(&Filter::Any).await {
        Ok(entries) => entries,
        Err(error) => return store.report(output, "listing secrets", &error),
    };
    for entry in entries {
        let labels = match store.describe_secret(&entry.arn).await {
            Ok(description) => timeline::labels(&description.versions),
            Err(error) => format!("DescribeSecret failed: {error}"),
        };
        output.line(format!("{:<40} {labels}", entry.name));
    }
    Exit::Success
}

//! `rotor demo`: real rotations on this machine with no AWS account, and the proof that they
//! worked. Each demo uses a throwaway local store and the same code path as `rotor rotate`, and
//! checks the outcome a user cares about, never printing a secret.

mod hmac;
mod postgres;

use std::path::PathBuf;
use std::time::Duration;

use rotor_core::{RotationSettings, Rotator, SecretValue, SecretsManager};

use crate::advice::Situation;
use crate::backoff::Backoff;
use crate::cli::DemoSubject;
use crate::output::{Exit, Output};
use crate::rotation::{Labels, Rotation, RotationRun, Start};
use crate::rotators::RotatorName;
use crate::store::{LocalStore, Store};
use crate::timeline;

/// Runs the demo for `subject`.
pub(crate) async fn run(subject: DemoSubject, output: Output) -> Exit {
    match subject {
        DemoSubject::Postgres => postgres::run(output).await,
        DemoSubject::HmacKey => hmac::run(output).await,
    }
}

/// A directory removed when the demo ends, however it ends.
#[derive(Debug)]
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ignored = std::fs::remove_dir_all(&self.0);
    }
}

/// A throwaway local store.
#[derive(Debug)]
struct Demo {
    store: Store,
    // Declared last: the store's files go after the store.
    _scratch: Scratch,
}

impl Demo {
    /// A fresh store in a new temporary directory.
    fn start(output: Output) -> Option<Self> {
        let scratch = Scratch(std::env::temp_dir().join(format!("rotor-demo-{}", uuid::Uuid::new_v4())));
        match LocalStore::open(&scratch.0.join("store.json"), |_| {}) {
            Ok(store) => {
                output.line(format!(
                    "store: a throwaway local store in {}",
                    scratch.0.display()
                ));
                Some(Self {
                    store: Store::Local(store),
                    _scratch: scratch,
                })
            }
            Err(error) => {
                output.note(format!("error: cannot create the demo store: {error}"));
                None
            }
        }
    }

    fn store(&self) -> &Store {
        &self.store
    }

    /// Creates a secret (as `rotor secret create` does) and returns its ARN.
    fn seed(&self, name: &str, value: String, output: Output) -> Option<String> {
        let local = self.store.local()?;
        let seeded = local
            .model()
            .create_secret(name, &SecretValue::new(value))
            .map_err(|error| error.to_string())
            .and_then(|arn| local.save().map(|()| arn).map_err(|error| error.to_string()));
        match seeded {
            Ok(arn) => Some(arn),
            Err(error) => {
                output.note(format!("error: cannot seed {name}: {error}"));
                None
            }
        }
    }

    /// `rotor rotate <name> --rotator <rotator>`, with its timeline. `None` when it failed.
    async fn rotate(
        &self,
        arn: &str,
        name: &str,
        rotator: RotatorName,
        output: Output,
    ) -> Option<RotationRun> {
        let built = rotator
            .build()
            .map_err(|problem| output.note(format!("error: {problem}")))
            .ok()?;
        let settings = RotationSettings::from_env(built.default_exclude_characters())
            .map_err(|error| output.note(format!("error: password settings: {error}")))
            .ok()?;
        let rotation = Rotation {
            store: self.store.clone(),
            rotator: built,
            settings,
            step_timeout: Duration::from_secs(30),
            record_labels: true,
            backoff: Backoff::default(),
        };
        let rotator_name = rotator.as_str();
        output.line(format!("\n$ rotor rotate {name} --rotator {rotator_name}"));
        let run = rotation.run(arn, Start::New).await;
        let situation = Situation {
            secret_id: name,
            rotator: &rotator_name,
            local: true,
        };
        timeline::print(output, &run, situation);
        run.result.is_ok().then_some(run)
    }

    /// The labels of a secret now.
    async fn labels(&self, arn: &str) -> Labels {
        self.store
            .describe_secret(arn)
            .await
            .map(|description| description.versions)
            .unwrap_or_default()
    }
}

/// Claims, each checked and printed as `ok` or `FAIL`.
#[derive(Debug)]
struct Proof {
    output: Output,
    proven: bool,
}

impl Proof {
    fn new(output: Output) -> Self {
        output.line("proof:");
        Self { output, proven: true }
    }

    fn check(&mut self, holds: bool, claim: impl std::fmt::Display) {
        self.proven &= holds;
        self.output
            .line(format!("  {} {claim}", if holds { "ok  " } else { "FAIL" }));
    }

    fn exit(&self) -> Exit {
        if self.proven { Exit::Success } else { Exit::Failure }
    }
}

//! One scenario: a fresh fixture and the shared [`Harness`] (a secret in core's in-memory model
//! behind the fault-injecting port, and the rotation function that binds them). Plays Secrets
//! Manager, including its recovery from failed rotations.

use std::collections::BTreeMap;

use rotor_core::fault::FaultPoints;
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    InMemorySecretsManager, RotationError, RotationSettings, RotationToken, Rotator, SecretJson, SecretValue,
    SecretsManager, StagingLabel, Step, StepOutcome,
};

use super::leaks::{self, Needles};
use super::{Fixture, Report};
use crate::harness::{Harness, Store};

/// The log message that marks the start of a scenario.
pub(super) const SCENARIO_STARTED: &str = "conformance scenario started";

/// A field the suite adds to the initial value; every rotation must keep it.
pub(super) const MARKER_FIELD: &str = "rotor_conformance_marker";
const MARKER_VALUE: &str = "unknown fields survive rotation";

/// How many times Secrets Manager invokes a failing step (Lambda's two async retries).
const STEP_ATTEMPTS: usize = 3;
/// How many times RotateSecret re-attempts a rotation whose AWSPENDING is stuck.
const ROTATION_ATTEMPTS: usize = 2;

/// A secret, a rotator and the fixture behind it, in the state a test leaves them.
pub(super) struct Scenario<F: Fixture> {
    name: String,
    fixture: F,
    harness: Harness<F::Rotator>,
}

impl<F: Fixture> Scenario<F> {
    /// A fresh fixture and a secret holding its initial value plus [`MARKER_FIELD`]. Fails when
    /// the fixture is unusable: its initial value is not a JSON object or does not work.
    pub(super) async fn start(
        factory: &impl AsyncFn() -> F,
        name: impl Into<String>,
        report: &mut Report,
    ) -> Result<Self, String> {
        report.scenarios += 1;
        let name = name.into();
        // Lets the leak check name the scenario a leaking line came from.
        tracing::info!(scenario = %name, "{SCENARIO_STARTED}");
        let fixture = factory().await;
        let mut initial = SecretJson::parse(&SecretValue::new(fixture.initial_value()))
            .map_err(|problem| format!("Fixture::initial_value is unusable: {problem}"))?;
        initial.set(MARKER_FIELD, MARKER_VALUE);
        if !fixture.current_works(&initial).await {
            return Err(
                "Fixture::current_works rejects Fixture::initial_value: the fixture's \
                        external system must accept the initial secret"
                    .into(),
            );
        }
        let model = InMemorySecretsManager::new();
        for (other, value) in fixture.other_secrets() {
            model
                .create_secret(&other, &SecretValue::new(value))
                .map_err(|error| format!("creating Fixture::other_secrets {other:?} failed: {error}"))?;
        }
        let rotator = fixture.rotator();
        crate::capture::cap_targets(rotator.log_targets());
        let settings = RotationSettings::new(rotator.default_exclude_characters());
        let faults = fixture.fault_points().unwrap_or_else(FaultPoints::none);
        let harness = Harness::create(
            model,
            "conformance",
            &initial.to_secret_value(),
            settings,
            rotator,
            faults,
        )
        .map_err(|error| format!("CreateSecret in the in-memory model failed: {error}"))?
        .with_rotation_token(RotationToken::new(leaks::random_token("rotation-token")));
        Ok(Self {
            name,
            fixture,
            harness,
        })
    }

    /// The scenario's name, for findings.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// The fault-injecting port.
    pub(super) fn store(&self) -> &Store {
        self.harness.store()
    }

    /// The model behind the port; calls to it are neither recorded nor failed.
    pub(super) fn model(&self) -> &InMemorySecretsManager {
        self.harness.model()
    }

    /// The fixture of this scenario.
    pub(super) fn fixture(&self) -> &F {
        &self.fixture
    }

    /// The secret's ARN.
    pub(super) fn arn(&self) -> &str {
        &self.harness.arn
    }

    /// What RotateSecret does first: an empty AWSPENDING version. Returns its token.
    pub(super) fn start_rotation(&self) -> Result<String, String> {
        self.model()
            .start_rotation(self.arn())
            .map_err(|error| format!("RotateSecret refused to start a rotation: {error}"))
    }

    /// Resets the call log of the port and of the fixture's fault points.
    pub(super) fn count_calls(&self) {
        self.store().faults().clear_log();
        self.harness.faults.clear_log();
    }

    /// Secrets Manager calls since [`count_calls`](Self::count_calls).
    pub(super) fn calls(&self) -> Vec<String> {
        self.store().faults().log()
    }

    /// External operations the rotator logged since [`count_calls`](Self::count_calls).
    pub(super) fn external_operations(&self) -> Vec<String> {
        self.harness.faults.log()
    }

    /// One invocation, as Secrets Manager sends it (with a RotationToken).
    pub(super) async fn step(&self, token: &str, step: Step) -> Result<StepOutcome, RotationError> {
        self.harness.step(token, step).await
    }

    /// `VersionIdsToStages`.
    pub(super) async fn labels(&self) -> BTreeMap<String, Vec<String>> {
        self.harness.labels().await
    }

    /// The version carrying AWSCURRENT.
    pub(super) async fn current_version(&self) -> Option<String> {
        let labels = self.labels().await;
        holder(&labels, StagingLabel::Current)
    }

    /// The value of one version, `None` while it has none.
    pub(super) async fn value_of(&self, version_id: &str) -> Option<SecretValue> {
        self.model()
            .get_secret_value(self.arn(), VersionSelector::version(version_id))
            .await
            .ok()
            .map(|version| version.value)
    }

    /// The AWSCURRENT value, parsed.
    pub(super) async fn current_value(&self) -> Option<SecretJson> {
        self.harness
            .value(VersionSelector::stage(StagingLabel::Current))
            .await
    }

    /// Runs the four steps; Secrets Manager invokes a failing step up to [`STEP_ATTEMPTS`] times.
    /// Returns the error that made the rotation fail.
    pub(super) async fn run_steps(&self, token: &str, needles: &mut Needles) -> Result<(), String> {
        for step in Step::ALL {
            let mut last = String::new();
            let mut done = false;
            for _attempt in 0..STEP_ATTEMPTS {
                match self.step(token, step).await {
                    Ok(_) => {
                        done = true;
                        break;
                    }
                    Err(error) => {
                        needles.error(&error);
                        last = leaks::describe(&error);
                    }
                }
            }
            if !done {
                return Err(format!("{step} failed {STEP_ATTEMPTS} times, last: {last}"));
            }
        }
        Ok(())
    }

    /// Secrets Manager's recovery after a failure: re-attempt the rotation with the same token;
    /// when it stays stuck, cancel it (CancelRotateSecret, AWSPENDING removed) and start a new
    /// rotation.
    /// Returns the token that completed, or the history of failures.
    pub(super) async fn recover(&self, token: &str, needles: &mut Needles) -> Result<String, String> {
        let mut history = Vec::new();
        for attempt in 1..=ROTATION_ATTEMPTS {
            match self.run_steps(token, needles).await {
                Ok(()) => return Ok(token.to_owned()),
                Err(failure) => history.push(format!("attempt {attempt} with the same token: {failure}")),
            }
        }
        if let Err(error) = self.model().cancel_rotation(self.arn()) {
            history.push(format!("CancelRotateSecret failed: {error}"));
            return Err(history.join("; "));
        }
        let fresh = match self.start_rotation() {
            Ok(fresh) => fresh,
            Err(refused) => {
                history.push(refused);
                return Err(history.join("; "));
            }
        };
        match self.run_steps(&fresh, needles).await {
            Ok(()) => Ok(fresh),
            Err(failure) => {
                history.push(format!("a new rotation after cancelling: {failure}"));
                Err(history.join("; "))
            }
        }
    }

    /// Checks that `token` is AWSCURRENT and the old AWSCURRENT version is AWSPREVIOUS.
    pub(super) async fn expect_rotated(
        &self,
        token: &str,
        old_version: Option<&str>,
        check: &'static str,
        report: &mut Report,
    ) {
        let labels = self.labels().await;
        if holder(&labels, StagingLabel::Current).as_deref() != Some(token) {
            report.fail(
                check,
                &self.name,
                format!("AWSCURRENT is not on the new version {token}: {labels:?}"),
            );
        }
        if old_version.is_some() && holder(&labels, StagingLabel::Previous).as_deref() != old_version {
            report.fail(
                check,
                &self.name,
                format!("AWSPREVIOUS is not on the old AWSCURRENT version {old_version:?}: {labels:?}"),
            );
        }
        let old_value = match old_version {
            Some(version) => self.value_of(version).await,
            None => None,
        };
        if old_value.is_some() && old_value == self.value_of(token).await {
            report.fail(
                check,
                &self.name,
                "the new AWSCURRENT value equals the old one: nothing rotated",
            );
        }
    }

    /// Checks that AWSCURRENT still has every field of the initial value, the marker included.
    pub(super) async fn expect_fields_kept(&self, check: &'static str, report: &mut Report) {
        match self.current_value().await {
            Some(current) if current.get(MARKER_FIELD).is_some() => {}
            Some(_) => report.fail(
                check,
                &self.name,
                format!("the new value dropped the unknown field {MARKER_FIELD:?}: fields the rotator does not know must survive"),
            ),
            None => report.fail(check, &self.name, "AWSCURRENT has no JSON value"),
        }
    }

    /// Checks that AWSCURRENT is the live credential; a failure is a lockout. Returns whether it is.
    pub(super) async fn expect_current_works(&self, check: &'static str, report: &mut Report) -> bool {
        let works = match self.current_value().await {
            Some(current) => self.fixture.current_works(&current).await,
            None => false,
        };
        if !works {
            report.lockouts += 1;
            let labels = self.labels().await;
            report.fail(
                check,
                &self.name,
                format!("lockout: AWSCURRENT does not work against the external system (labels {labels:?})"),
            );
        }
        works
    }

    /// Checks that the finish hook's work is done for the rotation that completed last
    /// ([`Fixture::finish_hook_done`] with AWSCURRENT and AWSPREVIOUS).
    pub(super) async fn expect_finish_hook_done(&self, check: &'static str, report: &mut Report) {
        let Some(current) = self.current_value().await else {
            return report.fail(check, &self.name, "AWSCURRENT has no JSON value");
        };
        let previous = match self
            .model()
            .get_secret_value(self.arn(), VersionSelector::stage(StagingLabel::Previous))
            .await
        {
            Ok(version) => SecretJson::parse(&version.value).ok(),
            Err(_) => None,
        };
        if !self.fixture.finish_hook_done(&current, previous.as_ref()).await {
            let labels = self.labels().await;
            report.fail(
                check,
                &self.name,
                format!(
                    "the finish hook's work is not done after the rotation completed (labels {labels:?})"
                ),
            );
        }
    }

    /// Checks that no rotation is left in progress: AWSPENDING is absent or on AWSCURRENT.
    pub(super) async fn expect_settled(&self, check: &'static str, report: &mut Report) {
        let labels = self.labels().await;
        let pending = holder(&labels, StagingLabel::Pending);
        if pending.is_some() && pending != holder(&labels, StagingLabel::Current) {
            report.fail(
                check,
                &self.name,
                format!("AWSPENDING is stuck on a version that is not AWSCURRENT: {labels:?}"),
            );
        }
    }

    /// Adds every value this scenario stored (other secrets included), and its RotationToken, to
    /// the leak needles.
    pub(super) async fn collect(&self, needles: &mut Needles) {
        if let Some(token) = self.harness.rotation_token() {
            needles.token(token.expose());
        }
        for arn in self.model().secret_arns() {
            let versions = self
                .model()
                .list_secret_version_ids(&arn)
                .await
                .unwrap_or_default();
            for version in versions {
                let read = self
                    .model()
                    .get_secret_value(&arn, VersionSelector::version(&version.version_id))
                    .await;
                if let Ok(found) = read {
                    needles.value(&found.value, F::SECRET_FIELDS, &version.version_id);
                }
            }
        }
    }
}

/// The version carrying `label`.
pub(super) fn holder(labels: &BTreeMap<String, Vec<String>>, label: StagingLabel) -> Option<String> {
    labels
        .iter()
        .find(|(_, stages)| stages.iter().any(|stage| stage == label.as_str()))
        .map(|(id, _)| id.clone())
}

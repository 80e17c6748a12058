//! One rotation, as Secrets Manager runs it: RotateSecret's placeholder under a new token, then
//! createSecret, setSecret, testSecret and finishSecret, each timed and followed by the labels.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rotor_core::{
    BoxedRotator, Classify, Deadline, ErrorClass, RotationError, RotationEvent, RotationFunction,
    RotationSettings, SecretDescription, SecretsManager, SecretsManagerError, StagingLabel, Step,
};

use crate::backoff::Backoff;
use crate::output::Exit;
use crate::store::{AccessError, Store};

/// `VersionIdsToStages`.
pub(crate) type Labels = BTreeMap<String, Vec<String>>;

/// The name of the step that plays RotateSecret in the timeline.
pub(crate) const ROTATE_SECRET: &str = "RotateSecret";

/// The name of the DescribeSecret that precedes the steps, in the timeline.
pub(crate) const DESCRIBE_SECRET: &str = "DescribeSecret";

/// The CLI's own error types, for failures RotateSecret reports before any step runs.
pub(crate) mod error_type {
    /// AWSPENDING is on another version: a rotation is in progress or failed.
    pub(crate) const ROTATION_IN_PROGRESS: &str = "RotationInProgress";
    /// `--resume` found no rotation stuck in AWSPENDING.
    pub(crate) const NOTHING_TO_RESUME: &str = "NothingToResume";
    /// A fleet rotation task stopped without a result.
    pub(crate) const INTERNAL_ERROR: &str = "InternalError";
}

/// How a rotation gets its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// A new token and placeholder, as RotateSecret does.
    New,
    /// The token of the rotation stuck in AWSPENDING, as RotateSecret does when it re-attempts.
    Resume,
}

/// One line of the timeline.
#[derive(Debug, Clone)]
pub(crate) struct StepRecord {
    /// `RotateSecret` or a step's wire name.
    pub(crate) step: &'static str,
    /// What it did.
    pub(crate) outcome: String,
    /// How long it took, retries included.
    pub(crate) took: Duration,
    /// The labels right after it, when recorded.
    pub(crate) labels: Option<Labels>,
}

/// Why a rotation stopped. Holds no secret value: messages come from typed errors.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// The step that failed (`DescribeSecret` and `RotateSecret` for what precedes the steps).
    pub(crate) step: &'static str,
    /// The stable error name, as the Lambda `errorType`.
    pub(crate) error_type: &'static str,
    /// Its class, when it has one.
    pub(crate) class: Option<ErrorClass>,
    /// The message.
    pub(crate) message: String,
    /// The version left carrying AWSPENDING without AWSCURRENT, if any: a rotation to resume.
    pub(crate) stuck_version: Option<String>,
    /// When the failure is that AWS could not be used (credentials, access, the endpoint).
    pub(crate) access: Option<AccessError>,
}

/// Everything one rotation did.
#[derive(Debug, Clone)]
pub(crate) struct RotationRun {
    /// The secret as the user named it.
    pub(crate) secret_id: String,
    /// Its ARN, once known.
    pub(crate) arn: Option<String>,
    /// Its name, once known.
    pub(crate) name: Option<String>,
    /// The ClientRequestToken, once chosen.
    pub(crate) token: Option<String>,
    /// The labels before the rotation.
    pub(crate) labels_before: Option<Labels>,
    /// The timeline.
    pub(crate) steps: Vec<StepRecord>,
    /// Success, or where it stopped.
    pub(crate) result: Result<(), Failure>,
    /// Total time.
    pub(crate) took: Duration,
    /// Calls that were throttled and retried after a backoff.
    pub(crate) throttled: u32,
}

/// What every rotation of one command shares.
#[derive(Debug, Clone)]
pub(crate) struct Rotation {
    /// The store and its placeholders.
    pub(crate) store: Store,
    /// The rotator.
    pub(crate) rotator: BoxedRotator,
    /// Password settings.
    pub(crate) settings: RotationSettings,
    /// Time allowed per step.
    pub(crate) step_timeout: Duration,
    /// Whether to read the labels after each step (one DescribeSecret each).
    pub(crate) record_labels: bool,
    /// Retries of throttled calls.
    pub(crate) backoff: Backoff,
}

impl RotationRun {
    /// The secret's name when known, else the id it was given.
    pub(crate) fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.secret_id)
    }
}

impl Failure {
    fn port(step: &'static str, error: &SecretsManagerError, store: &Store) -> Self {
        Self {
            step,
            error_type: error.error_type(),
            class: Some(error.class()),
            message: error.to_string(),
            stuck_version: None,
            access: store.access_error(error),
        }
    }

    fn step(step: Step, error: &RotationError, store: &Store) -> Self {
        let access = match error {
            RotationError::SecretsManager { source, .. } => store.access_error(source),
            _ => None,
        };
        Self {
            step: step.as_str(),
            error_type: error.error_type(),
            class: Some(error.class()),
            message: error.to_string(),
            stuck_version: None,
            access,
        }
    }

    /// The exit code: an access failure's own, else 1.
    pub(crate) fn exit(&self) -> Exit {
        self.access.as_ref().map_or(Exit::Failure, AccessError::exit)
    }

    fn plain(step: &'static str, error_type: &'static str, message: String) -> Self {
        Self {
            step,
            error_type,
            class: None,
            message,
            stuck_version: None,
            access: None,
        }
    }
}

fn holder(labels: &Labels, label: StagingLabel) -> Option<&str> {
    labels
        .iter()
        .find(|(_, stages)| stages.iter().any(|stage| stage == label.as_str()))
        .map(|(id, _)| id.as_str())
}

/// The version AWSPENDING is stuck on: it carries AWSPENDING and not AWSCURRENT. (AWSPENDING on
/// the AWSCURRENT version is what a completed rotation leaves.)
pub(crate) fn stuck_pending(labels: &Labels) -> Option<&str> {
    let pending = holder(labels, StagingLabel::Pending)?;
    (Some(pending) != holder(labels, StagingLabel::Current)).then_some(pending)
}

impl Rotation {
    /// Rotates one secret. Never panics and never returns early without a [`RotationRun`].
    pub(crate) async fn run(&self, secret_id: &str, start: Start) -> RotationRun {
        let began = Instant::now();
        let mut run = RotationRun {
            secret_id: secret_id.to_owned(),
            arn: None,
            name: None,
            token: None,
            labels_before: None,
            steps: Vec::new(),
            result: Ok(()),
            took: Duration::ZERO,
            throttled: 0,
        };
        run.result = self.drive(&mut run, start).await;
        if let Some(arn) = run.arn.clone() {
            self.store.end_rotation(&arn);
            if run
                .result
                .as_ref()
                .is_err_and(|failure| failure.step != ROTATE_SECRET)
            {
                // Whether the failure left a rotation to resume: on AWS, a placeholder that
                // createSecret never filled leaves nothing behind.
                let left = self.describe(&arn, &mut run).await.ok();
                let stuck =
                    left.and_then(|description| stuck_pending(&description.versions).map(str::to_owned));
                if let Err(failure) = &mut run.result {
                    failure.stuck_version = stuck;
                }
            }
        }
        run.took = began.elapsed();
        run
    }

    async fn describe(&self, secret_id: &str, run: &mut RotationRun) -> Result<SecretDescription, Failure> {
        let described = self
            .backoff
            .retry(
                &mut run.throttled,
                || self.store.describe_secret(secret_id),
                SecretsManagerError::is_throttled,
            )
            .await;
        described.map_err(|error| Failure::port(DESCRIBE_SECRET, &error, &self.store))
    }

    async fn drive(&self, run: &mut RotationRun, start: Start) -> Result<(), Failure> {
        let description = self.describe(&run.secret_id.clone(), run).await?;
        let arn = description.arn.clone();
        run.arn = Some(arn.clone());
        run.name = Some(description.name.clone());
        run.labels_before = Some(description.versions.clone());
        if description.rotation_enabled == Some(false) {
            let message = format!(
                "secret {} is not enabled for rotation (RotationEnabled is false)",
                description.name
            );
            return Err(Failure::plain(
                ROTATE_SECRET,
                RotationError::ROTATION_DISABLED,
                message,
            ));
        }
        let stuck = stuck_pending(&description.versions).map(str::to_owned);
        let token = match (start, stuck) {
            (Start::Resume, Some(stuck)) => stuck,
            (Start::Resume, None) => {
                let message =
                    "no rotation to resume: AWSPENDING is absent or on the AWSCURRENT version".to_owned();
                return Err(Failure::plain(
                    ROTATE_SECRET,
                    error_type::NOTHING_TO_RESUME,
                    message,
                ));
            }
            (Start::New, Some(stuck)) => {
                let message = format!(
                    "AWSPENDING is on version {stuck}, which is not AWSCURRENT: a previous rotation is in progress or failed"
                );
                let mut failure = Failure::plain(ROTATE_SECRET, error_type::ROTATION_IN_PROGRESS, message);
                failure.stuck_version = Some(stuck);
                return Err(failure);
            }
            (Start::New, None) => self.place_holder(&arn, run).await?,
        };
        run.token = Some(token.clone());
        let function = self.store.with_service_ports(RotationFunction::new(
            self.rotator.clone(),
            self.store.clone(),
            self.settings.clone(),
        ));
        for step in Step::ALL {
            let began = Instant::now();
            let event = RotationEvent::new(&arn, &token, step);
            let invoked = self
                .backoff
                .retry(
                    &mut run.throttled,
                    || function.invoke(&event, Deadline::after(self.step_timeout)),
                    RotationError::is_throttled,
                )
                .await;
            let outcome = match invoked {
                Ok(outcome) => outcome.to_string(),
                Err(error) => return Err(Failure::step(step, &error, &self.store)),
            };
            let took = began.elapsed();
            let labels = self.labels_after(&arn, run).await;
            run.steps.push(StepRecord {
                step: step.as_str(),
                outcome,
                took,
                labels,
            });
        }
        Ok(())
    }

    /// RotateSecret's placeholder under a new token.
    async fn place_holder(&self, arn: &str, run: &mut RotationRun) -> Result<String, Failure> {
        let began = Instant::now();
        let token = uuid::Uuid::new_v4().to_string();
        self.store
            .begin_rotation(arn, &token)
            .map_err(|error| Failure::port(ROTATE_SECRET, &error, &self.store))?;
        let took = began.elapsed();
        let labels = self.labels_after(arn, run).await;
        run.steps.push(StepRecord {
            step: ROTATE_SECRET,
            outcome: "new token; AWSPENDING placeholder without a value".to_owned(),
            took,
            labels,
        });
        Ok(token)
    }

    async fn labels_after(&self, arn: &str, run: &mut RotationRun) -> Option<Labels> {
        if !self.record_labels {
            return None;
        }
        self.describe(arn, run)
            .await
            .ok()
            .map(|description| description.versions)
    }
}

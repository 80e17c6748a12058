//! The step-driving harness every rotor test shares: a secret in core's in-memory model behind
//! the fault-injecting port, a rotator with recording fault points, and the rotation function
//! that binds them. Engine tests, core's own tests and the conformance suite all drive the four
//! steps through it, as Secrets Manager would.

use std::collections::BTreeMap;
use std::time::Duration;

use rotor_core::fault::FaultPoints;
use rotor_core::secrets_manager::{UpdateVersionStage, VersionSelector};
use rotor_core::{
    Deadline, InMemorySecretsManager, RotationError, RotationEvent, RotationFunction, RotationSettings,
    RotationToken, Rotator, SecretJson, SecretValue, SecretsManager, SecretsManagerError, StagingLabel, Step,
    StepOutcome,
};

use crate::faults::FaultySecretsManager;

/// The in-memory Secrets Manager, wrapped to record and fail calls.
pub type Store = FaultySecretsManager<InMemorySecretsManager>;

/// The name of the rotated secret that [`Harness::new`] creates.
pub const SECRET_NAME: &str = "app-db";
/// The time one step may take.
const STEP_BUDGET: Duration = Duration::from_secs(30);

/// A rotated secret, its rotator and the function binding them. The panicking helpers are for
/// tests: a test that cannot be set up must fail loudly.
#[derive(Debug)]
pub struct Harness<R> {
    /// The rotated secret's ARN.
    pub arn: String,
    /// The rotator's fault points, recording every external operation.
    pub faults: FaultPoints,
    /// The rotation function.
    pub function: RotationFunction<R, Store>,
    rotation_token: Option<RotationToken>,
}

impl<R: Rotator> Harness<R> {
    /// Stores `secret` as AWSCURRENT of [`SECRET_NAME`] in `model` (which may already hold other
    /// secrets, e.g. a master) and builds the rotator with recording fault points.
    #[expect(
        clippy::expect_used,
        reason = "a harness that cannot be set up fails the test"
    )]
    pub fn new(
        model: InMemorySecretsManager,
        secret: &str,
        settings: RotationSettings,
        rotator: impl FnOnce(FaultPoints) -> R,
    ) -> Self {
        let faults = FaultPoints::recording();
        let rotator = rotator(faults.clone());
        Self::create(
            model,
            SECRET_NAME,
            &SecretValue::new(secret),
            settings,
            rotator,
            faults,
        )
        .expect("the secret is created")
    }

    /// Stores `secret` as AWSCURRENT of a new secret `name` in `model` and binds `rotator`, whose
    /// own fault points (if it has any) are `faults`; pass [`FaultPoints::none`] for a rotator
    /// without them.
    ///
    /// # Errors
    /// CreateSecret's error, e.g. when `model` already holds a secret called `name`.
    pub fn create(
        model: InMemorySecretsManager,
        name: &str,
        secret: &SecretValue,
        settings: RotationSettings,
        rotator: R,
        faults: FaultPoints,
    ) -> Result<Self, SecretsManagerError> {
        let arn = model.create_secret(name, secret)?;
        let function = RotationFunction::new(rotator, FaultySecretsManager::new(model), settings);
        Ok(Self {
            arn,
            faults,
            function,
            rotation_token: None,
        })
    }

    /// Sends `token` as the RotationToken of every event, as Secrets Manager does for a
    /// rotation in another account or through an assumed role.
    pub fn with_rotation_token(mut self, token: RotationToken) -> Self {
        self.rotation_token = Some(token);
        self
    }

    /// The RotationToken every event carries, if any.
    pub fn rotation_token(&self) -> Option<&RotationToken> {
        self.rotation_token.as_ref()
    }

    /// The in-memory model behind the fault-injecting port; calls to it are neither recorded
    /// nor failed.
    pub fn model(&self) -> &InMemorySecretsManager {
        self.function.secrets().inner()
    }

    /// The fault-injecting port the function calls.
    pub fn store(&self) -> &Store {
        self.function.secrets()
    }

    /// What RotateSecret does first: an empty AWSPENDING version. Returns its token.
    #[expect(
        clippy::expect_used,
        reason = "a harness that cannot start a rotation fails the test"
    )]
    pub fn start_rotation(&self) -> String {
        self.model().start_rotation(&self.arn).expect("a rotation starts")
    }

    /// CancelRotateSecret on the model ([`InMemorySecretsManager::cancel_rotation`]). Returns
    /// the version whose rotation was cancelled, if one was in progress.
    #[expect(
        clippy::expect_used,
        reason = "the harness's secret exists for as long as the harness"
    )]
    pub fn cancel_rotation(&self) -> Option<String> {
        self.model()
            .cancel_rotation(&self.arn)
            .expect("the harness's secret exists")
    }

    /// What RotateSecret with `RotateImmediately=false` does: a value-less AWSPENDING version,
    /// testSecret for it (the rotator's configuration test), then the label removed again, so
    /// the secret is as it was whatever the outcome.
    ///
    /// # Errors
    /// The configuration test's error.
    #[expect(
        clippy::expect_used,
        reason = "the harness's secret exists for as long as the harness"
    )]
    pub async fn test_configuration(&self) -> Result<StepOutcome, RotationError> {
        let token = self.start_rotation();
        let outcome = self.step(&token, Step::TestSecret).await;
        let removal = UpdateVersionStage {
            secret_id: &self.arn,
            stage: StagingLabel::Pending,
            move_to: None,
            remove_from: Some(&token),
        };
        self.model()
            .update_secret_version_stage(removal)
            .await
            .expect("the test version's AWSPENDING is removed");
        outcome
    }

    /// One invocation of `step` for `token`, as Secrets Manager sends it.
    pub async fn step(&self, token: &str, step: Step) -> Result<StepOutcome, RotationError> {
        let mut event = RotationEvent::new(&self.arn, token, step);
        event.rotation_token = self.rotation_token.clone();
        self.function.invoke(&event, Deadline::after(STEP_BUDGET)).await
    }

    /// The four steps for `token`, once each, stopping at the first that fails.
    ///
    /// # Errors
    /// The step that failed and its error.
    pub async fn run_steps(&self, token: &str) -> Result<(), (Step, RotationError)> {
        for step in Step::ALL {
            self.step(token, step).await.map_err(|error| (step, error))?;
        }
        Ok(())
    }

    /// A whole rotation: [`start_rotation`](Self::start_rotation), then
    /// [`run_steps`](Self::run_steps). Returns the rotation's token.
    ///
    /// # Errors
    /// The step that failed and its error.
    pub async fn rotate(&self) -> Result<String, (Step, RotationError)> {
        let token = self.start_rotation();
        self.run_steps(&token).await.map(|()| token)
    }

    /// `VersionIdsToStages` of the secret, read from the model.
    #[expect(
        clippy::expect_used,
        reason = "the harness's secret exists for as long as the harness"
    )]
    pub async fn labels(&self) -> BTreeMap<String, Vec<String>> {
        self.model()
            .describe_secret(&self.arn)
            .await
            .expect("the harness's secret exists")
            .versions
    }

    /// The value `selector` reads from the model, parsed; `None` when there is no such value or
    /// it is not a JSON object.
    pub async fn value(&self, selector: VersionSelector<'_>) -> Option<SecretJson> {
        let version = self.model().get_secret_value(&self.arn, selector).await.ok()?;
        SecretJson::parse(&version.value).ok()
    }
}

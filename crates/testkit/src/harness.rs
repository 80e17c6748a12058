//! A secret in core's in-memory model behind the fault-injecting port, a rotator with recording
//! fault points, and the rotation function that binds them: what engine tests drive step by step.

use std::time::Duration;

use rotor_core::fault::FaultPoints;
use rotor_core::{
    Deadline, InMemorySecretsManager, RotationError, RotationEvent, RotationFunction, RotationSettings,
    Rotator, SecretValue, Step, StepOutcome,
};

use crate::faults::FaultySecretsManager;

/// The in-memory Secrets Manager, wrapped to record and fail calls.
pub type Store = FaultySecretsManager<InMemorySecretsManager>;

/// The name of the rotated secret.
pub const SECRET_NAME: &str = "app-db";
/// The time one step may take.
const STEP_BUDGET: Duration = Duration::from_secs(30);

/// A rotated secret, its rotator and the function binding them. Panics on set-up failures: it is
/// a test harness, and a test that cannot be set up must fail loudly.
#[derive(Debug)]
pub struct Harness<R> {
    /// The rotated secret's ARN.
    pub arn: String,
    /// The rotator's fault points, recording every external operation.
    pub faults: FaultPoints,
    /// The rotation function.
    pub function: RotationFunction<R, Store>,
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
        let arn = model
            .create_secret(SECRET_NAME, &SecretValue::new(secret))
            .expect("the secret is created");
        let faults = FaultPoints::recording();
        let function = RotationFunction::new(
            rotator(faults.clone()),
            FaultySecretsManager::new(model),
            settings,
        );
        Self {
            arn,
            faults,
            function,
        }
    }

    /// The in-memory model behind the fault-injecting port.
    pub fn model(&self) -> &InMemorySecretsManager {
        self.function.secrets().inner()
    }

    /// The fault-injecting port.
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

    /// One invocation of `step` for `token`, as Secrets Manager sends it.
    pub async fn step(&self, token: &str, step: Step) -> Result<StepOutcome, RotationError> {
        let event = RotationEvent::new(&self.arn, token, step);
        self.function.invoke(&event, Deadline::after(STEP_BUDGET)).await
    }
}

//! A rotator over a fake credential service, and a harness that plays Secrets Manager.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rotor_core::SecretsManager;
use rotor_core::{
    Classify, Deadline, ErrorClass, InMemorySecretsManager, RotationError, RotationEvent, RotationFunction,
    RotationSettings, Rotator, RotatorError, SecretValue, Step, StepContext, StepOutcome,
};
use rotor_testkit::faults::FaultySecretsManager;
use secrecy::ExposeSecret;

/// The fake service refused a credential.
#[derive(Debug, thiserror::Error)]
#[error("the service refused the credential")]
pub struct Refused;

impl Classify for Refused {
    fn class(&self) -> ErrorClass {
        ErrorClass::AuthFailure
    }
    fn error_type(&self) -> &'static str {
        "ServiceRefused"
    }
}

/// A service that accepts exactly one password at a time.
#[derive(Debug)]
pub struct FakeService {
    pub active: Mutex<String>,
    pub changes: AtomicUsize,
    /// How long setSecret takes.
    pub latency: Mutex<Duration>,
}

/// A rotator that changes the service's password, logging in with AWSCURRENT first.
#[derive(Debug, Clone)]
pub struct ServiceRotator {
    pub service: Arc<FakeService>,
}

impl Rotator for ServiceRotator {
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = ctx
            .pending()
            .password()
            .map_err(|problem| ctx.malformed("AWSPENDING", problem))?;
        let current = ctx
            .current()
            .await?
            .password()
            .map_err(|problem| ctx.malformed("AWSCURRENT", problem))?;
        let latency = *self.service.latency.lock().unwrap();
        tokio::time::sleep(latency).await;
        let mut active = self.service.active.lock().unwrap();
        if *active == pending.expose_secret() {
            return Ok(());
        }
        if *active != current.expose_secret() {
            return Err(Refused.into());
        }
        *active = pending.expose_secret().to_owned();
        self.service.changes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = ctx
            .pending()
            .password()
            .map_err(|problem| ctx.malformed("AWSPENDING", problem))?;
        if *self.service.active.lock().unwrap() != pending.expose_secret() {
            return Err(Refused.into());
        }
        Ok(())
    }
}

pub const INITIAL: &str = r#"{"engine":"fake","host":"h","port":"5432","username":"app","password":"initial-pw","extra":{"n":[1,true]}}"#;

pub type Store = FaultySecretsManager<InMemorySecretsManager>;

/// A secret in the model, a rotator, and a function binding them.
pub struct Harness {
    pub arn: String,
    pub service: Arc<FakeService>,
    pub function: RotationFunction<ServiceRotator, Store>,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_settings(RotationSettings::new("/@\"'\\"))
    }

    pub fn with_settings(settings: RotationSettings) -> Self {
        let model = InMemorySecretsManager::new();
        let arn = model.create_secret("app-db", &SecretValue::new(INITIAL)).unwrap();
        let service = Arc::new(FakeService {
            active: Mutex::new("initial-pw".into()),
            changes: AtomicUsize::new(0),
            latency: Mutex::new(Duration::ZERO),
        });
        let function = RotationFunction::new(
            ServiceRotator {
                service: service.clone(),
            },
            FaultySecretsManager::new(model),
            settings,
        );
        Self {
            arn,
            service,
            function,
        }
    }

    pub fn model(&self) -> &InMemorySecretsManager {
        self.function.secrets().inner()
    }

    pub fn store(&self) -> &Store {
        self.function.secrets()
    }

    pub fn start_rotation(&self) -> String {
        self.model().start_rotation(&self.arn).unwrap()
    }

    pub async fn step(&self, token: &str, step: Step) -> Result<StepOutcome, RotationError> {
        self.function
            .invoke(
                &RotationEvent::new(&self.arn, token, step),
                Deadline::after(Duration::from_secs(10)),
            )
            .await
    }

    pub async fn labels(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        use rotor_core::SecretsManager;
        self.model().describe_secret(&self.arn).await.unwrap().versions
    }

    pub async fn value(
        &self,
        selector: rotor_core::secrets_manager::VersionSelector<'_>,
    ) -> rotor_core::SecretJson {
        use rotor_core::SecretsManager;
        let version = self.model().get_secret_value(&self.arn, selector).await.unwrap();
        rotor_core::SecretJson::parse(&version.value).unwrap()
    }
}

/// PutSecretValue of `value` under `token` with AWSPENDING, on any port.
pub async fn put_pending<S: SecretsManager>(
    secrets: &S,
    arn: &str,
    token: &str,
    value: &str,
) -> Result<(), rotor_core::SecretsManagerError> {
    let value = SecretValue::new(value);
    secrets
        .put_secret_value(rotor_core::secrets_manager::PutSecretValue {
            secret_id: arn,
            client_request_token: token,
            value: &value,
            stages: &[rotor_core::StagingLabel::Pending],
            rotation_token: None,
        })
        .await
}

//! A rotator over a fake credential service, bound to the test kit's harness that plays Secrets Manager.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rotor_core::SecretsManager;
use rotor_core::{
    Classify, ErrorClass, InMemorySecretsManager, RotationSettings, Rotator, RotatorError, SecretValue,
    StepContext,
};
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

/// A secret in the model and a [`ServiceRotator`] bound to a fresh [`FakeService`], on the
/// test kit's harness (which it dereferences to).
pub struct Harness {
    pub service: Arc<FakeService>,
    kit: rotor_testkit::harness::Harness<ServiceRotator>,
}

impl std::ops::Deref for Harness {
    type Target = rotor_testkit::harness::Harness<ServiceRotator>;

    fn deref(&self) -> &Self::Target {
        &self.kit
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with_settings(RotationSettings::new("/@\"'\\"))
    }

    pub fn with_settings(settings: RotationSettings) -> Self {
        let service = Arc::new(FakeService {
            active: Mutex::new("initial-pw".into()),
            changes: AtomicUsize::new(0),
            latency: Mutex::new(Duration::ZERO),
        });
        let rotator = ServiceRotator {
            service: service.clone(),
        };
        let kit =
            rotor_testkit::harness::Harness::new(InMemorySecretsManager::new(), INITIAL, settings, |_| {
                rotator
            });
        Self { service, kit }
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

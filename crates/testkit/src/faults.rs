//! Fault injection around any Secrets Manager port: fail the k-th call, before or after it
//! takes effect, and record every call.

use std::sync::{Mutex, MutexGuard, PoisonError};

use rotor_core::password::PasswordPolicy;
use rotor_core::secrets_manager::{
    PutSecretValue, SecretDescription, SecretVersion, SecretsManager, SecretsManagerError,
    UpdateVersionStage, VersionSelector, VersionSummary,
};
use secrecy::SecretString;

pub use rotor_core::fault::FaultTiming;

/// The Secrets Manager operations, as recorded by [`FaultySecretsManager::calls`].
pub const OPERATIONS: [&str; 6] = [
    "DescribeSecret",
    "GetSecretValue",
    "PutSecretValue",
    "UpdateSecretVersionStage",
    "ListSecretVersionIds",
    "GetRandomPassword",
];

#[derive(Debug, Default)]
struct Ledger {
    calls: Vec<&'static str>,
    fault: Option<(usize, FaultTiming)>,
}

/// A [`SecretsManager`] wrapper that records calls and fails one chosen call.
#[derive(Debug)]
pub struct FaultySecretsManager<S> {
    inner: S,
    ledger: Mutex<Ledger>,
}

impl<S> FaultySecretsManager<S> {
    /// Wraps a port; no fault is armed.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            ledger: Mutex::new(Ledger::default()),
        }
    }

    /// The wrapped port.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms one fault: the `k`-th call from now (1-based) fails. Also clears the call log.
    pub fn fail_call(&self, k: usize, timing: FaultTiming) {
        let mut ledger = self.ledger();
        ledger.calls.clear();
        ledger.fault = Some((k, timing));
    }

    /// Disarms any fault.
    pub fn disarm(&self) {
        self.ledger().fault = None;
    }

    /// Whether the armed fault has not fired yet.
    pub fn fault_pending(&self) -> bool {
        self.ledger().fault.is_some()
    }

    /// The operations called since the last reset, in order.
    pub fn calls(&self) -> Vec<&'static str> {
        self.ledger().calls.clone()
    }

    /// Clears the call log.
    pub fn reset_calls(&self) {
        self.ledger().calls.clear();
    }

    /// Records a call; returns the timing if this call is the one to fail.
    fn record(&self, operation: &'static str) -> Option<FaultTiming> {
        let mut ledger = self.ledger();
        ledger.calls.push(operation);
        let count = ledger.calls.len();
        match ledger.fault {
            Some((k, timing)) if k == count => {
                ledger.fault = None;
                Some(timing)
            }
            _ => None,
        }
    }

    async fn call<T>(
        &self,
        operation: &'static str,
        apply: impl Future<Output = Result<T, SecretsManagerError>>,
    ) -> Result<T, SecretsManagerError> {
        let fault = self.record(operation);
        // A real call waits on the network; yielding lets concurrent invocations interleave.
        tokio::task::yield_now().await;
        if fault == Some(FaultTiming::BeforeApply) {
            return Err(SecretsManagerError::Transport(format!(
                "injected fault before {operation}"
            )));
        }
        let result = apply.await;
        if fault == Some(FaultTiming::AfterApply) {
            return Err(SecretsManagerError::Transport(format!(
                "injected fault after {operation}"
            )));
        }
        result
    }
}

impl<S: SecretsManager> SecretsManager for FaultySecretsManager<S> {
    async fn describe_secret(&self, secret_id: &str) -> Result<SecretDescription, SecretsManagerError> {
        self.call("DescribeSecret", self.inner.describe_secret(secret_id))
            .await
    }

    async fn get_secret_value(
        &self,
        secret_id: &str,
        selector: VersionSelector<'_>,
    ) -> Result<SecretVersion, SecretsManagerError> {
        self.call("GetSecretValue", self.inner.get_secret_value(secret_id, selector))
            .await
    }

    async fn put_secret_value(&self, request: PutSecretValue<'_>) -> Result<(), SecretsManagerError> {
        self.call("PutSecretValue", self.inner.put_secret_value(request))
            .await
    }

    async fn update_secret_version_stage(
        &self,
        request: UpdateVersionStage<'_>,
    ) -> Result<(), SecretsManagerError> {
        self.call(
            "UpdateSecretVersionStage",
            self.inner.update_secret_version_stage(request),
        )
        .await
    }

    async fn list_secret_version_ids(
        &self,
        secret_id: &str,
    ) -> Result<Vec<VersionSummary>, SecretsManagerError> {
        self.call(
            "ListSecretVersionIds",
            self.inner.list_secret_version_ids(secret_id),
        )
        .await
    }

    async fn get_random_password(
        &self,
        policy: &PasswordPolicy,
    ) -> Result<SecretString, SecretsManagerError> {
        self.call("GetRandomPassword", self.inner.get_random_password(policy))
            .await
    }
}

//! Fault injection around any Secrets Manager port, built on core's [`FaultPoints`]: every call
//! is an operation labelled with its API name, so a test arms "fail the k-th call, before or
//! after it takes effect" and reads the call log with the same methods it uses on a rotator's
//! fault points ([`FaultPoints::arm`], [`disarm`](FaultPoints::disarm),
//! [`armed`](FaultPoints::armed), [`log`](FaultPoints::log),
//! [`clear_log`](FaultPoints::clear_log)).

use rotor_core::fault::{FaultPoints, InjectedFault};
use rotor_core::password::PasswordPolicy;
use rotor_core::secrets_manager::{
    PutSecretValue, SecretDescription, SecretVersion, SecretsManager, SecretsManagerError,
    UpdateVersionStage, VersionSelector, VersionSummary,
};
use secrecy::SecretString;

pub use rotor_core::fault::FaultTiming;

/// A [`SecretsManager`] wrapper whose every call goes through recording [`FaultPoints`].
///
/// An injected fault is a [`SecretsManagerError::Transport`] error, as a lost connection or a
/// crash would be: before the call nothing changes, after it the call has taken effect.
#[derive(Debug)]
pub struct FaultySecretsManager<S> {
    inner: S,
    faults: FaultPoints,
}

impl<S> FaultySecretsManager<S> {
    /// Wraps a port; it records every call and no fault is armed.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            faults: FaultPoints::recording(),
        }
    }

    /// The wrapped port.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The fault points every call goes through; their log holds the operations' API names
    /// (`DescribeSecret`, `GetSecretValue`, …) in call order.
    pub fn faults(&self) -> &FaultPoints {
        &self.faults
    }

    async fn call<T>(
        &self,
        operation: &'static str,
        apply: impl Future<Output = Result<T, SecretsManagerError>>,
    ) -> Result<T, SecretsManagerError> {
        let ticket = self.faults.before(operation);
        // A real call waits on the network; yielding lets concurrent invocations interleave.
        tokio::task::yield_now().await;
        let ticket = ticket.map_err(|fault| injected(&fault))?;
        let result = apply.await;
        ticket.after().map_err(|fault| injected(&fault))?;
        result
    }
}

fn injected(fault: &InjectedFault) -> SecretsManagerError {
    SecretsManagerError::Transport(fault.to_string())
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

#[cfg(test)]
mod tests {
    use rotor_core::{InMemorySecretsManager, SecretValue, StagingLabel};

    use super::*;

    async fn put(store: &FaultySecretsManager<InMemorySecretsManager>, arn: &str, token: &str) -> bool {
        let value = SecretValue::new(format!("value of {token}"));
        let request = PutSecretValue {
            secret_id: arn,
            client_request_token: token,
            value: &value,
            stages: &[StagingLabel::Pending],
            rotation_token: None,
        };
        store.put_secret_value(request).await.is_ok()
    }

    async fn stored(store: &FaultySecretsManager<InMemorySecretsManager>, arn: &str, token: &str) -> bool {
        let version = VersionSelector::version(token);
        store.inner().get_secret_value(arn, version).await.is_ok()
    }

    #[tokio::test]
    async fn the_kth_call_fails_before_or_after_it_takes_effect_and_every_call_is_logged() {
        let model = InMemorySecretsManager::new();
        let arn = model.create_secret("s", &SecretValue::new("v1")).unwrap();
        let store = FaultySecretsManager::new(model);

        store.faults().arm(2, FaultTiming::BeforeApply);
        assert!(store.describe_secret(&arn).await.is_ok());
        assert!(!put(&store, &arn, "t1").await);
        assert!(
            !stored(&store, &arn, "t1").await,
            "a fault before the call changes nothing"
        );
        assert!(!store.faults().armed());

        store.faults().arm(1, FaultTiming::AfterApply);
        assert!(!put(&store, &arn, "t2").await);
        assert!(
            stored(&store, &arn, "t2").await,
            "a fault after the call lets it take effect"
        );
        assert!(put(&store, &arn, "t3").await, "a fault fires once");
        assert_eq!(store.faults().log(), ["PutSecretValue", "PutSecretValue"]);
    }
}

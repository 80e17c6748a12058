//! A type-erased rotator: any [`Rotator`] behind one type, for programs that pick the rotator at
//! run time (the `rotor` CLI's `--rotator`, a binary serving several kinds of secret).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::context::{CreateContext, SecretContext, StepContext};
use crate::error::RotatorError;
use crate::finish_context::FinishContext;
use crate::rotator::Rotator;
use crate::secret::SecretJson;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`Rotator`] with its futures boxed, so that it can be a trait object.
trait ErasedRotator: Send + Sync {
    fn create_pending<'a>(
        &'a self,
        ctx: &'a CreateContext<'_>,
    ) -> BoxFuture<'a, Result<SecretJson, RotatorError>>;
    fn set_secret<'a>(&'a self, ctx: &'a StepContext<'_>) -> BoxFuture<'a, Result<(), RotatorError>>;
    fn test_secret<'a>(&'a self, ctx: &'a StepContext<'_>) -> BoxFuture<'a, Result<(), RotatorError>>;
    fn test_configuration<'a>(
        &'a self,
        ctx: &'a SecretContext<'_>,
    ) -> BoxFuture<'a, Result<(), RotatorError>>;
    fn after_finish<'a>(&'a self, ctx: &'a FinishContext<'_>) -> BoxFuture<'a, Result<(), RotatorError>>;
    fn default_exclude_characters(&self) -> &'static str;
    fn log_targets(&self) -> &'static [&'static str];
    fn name(&self) -> &'static str;
}

impl<R: Rotator> ErasedRotator for R {
    fn create_pending<'a>(
        &'a self,
        ctx: &'a CreateContext<'_>,
    ) -> BoxFuture<'a, Result<SecretJson, RotatorError>> {
        Box::pin(Rotator::create_pending(self, ctx))
    }

    fn set_secret<'a>(&'a self, ctx: &'a StepContext<'_>) -> BoxFuture<'a, Result<(), RotatorError>> {
        Box::pin(Rotator::set_secret(self, ctx))
    }

    fn test_secret<'a>(&'a self, ctx: &'a StepContext<'_>) -> BoxFuture<'a, Result<(), RotatorError>> {
        Box::pin(Rotator::test_secret(self, ctx))
    }

    fn test_configuration<'a>(
        &'a self,
        ctx: &'a SecretContext<'_>,
    ) -> BoxFuture<'a, Result<(), RotatorError>> {
        Box::pin(Rotator::test_configuration(self, ctx))
    }

    fn after_finish<'a>(&'a self, ctx: &'a FinishContext<'_>) -> BoxFuture<'a, Result<(), RotatorError>> {
        Box::pin(Rotator::after_finish(self, ctx))
    }

    fn default_exclude_characters(&self) -> &'static str {
        Rotator::default_exclude_characters(self)
    }

    fn log_targets(&self) -> &'static [&'static str] {
        Rotator::log_targets(self)
    }

    fn name(&self) -> &'static str {
        Rotator::name(self)
    }
}

/// Any rotator, cheap to clone. Every method, including its password policy
/// ([`Rotator::default_exclude_characters`]), its name and its finish hook, is the wrapped
/// rotator's own.
#[derive(Clone)]
pub struct BoxedRotator {
    inner: Arc<dyn ErasedRotator>,
}

impl std::fmt::Debug for BoxedRotator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoxedRotator").finish_non_exhaustive()
    }
}

impl BoxedRotator {
    /// Erases `rotator`'s type.
    pub fn new<R: Rotator + 'static>(rotator: R) -> Self {
        Self {
            inner: Arc::new(rotator),
        }
    }
}

impl Rotator for BoxedRotator {
    fn default_exclude_characters(&self) -> &'static str {
        self.inner.default_exclude_characters()
    }

    fn log_targets(&self) -> &'static [&'static str] {
        self.inner.log_targets()
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn after_finish(&self, ctx: &FinishContext<'_>) -> Result<(), RotatorError> {
        self.inner.after_finish(ctx).await
    }

    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        self.inner.create_pending(ctx).await
    }

    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        self.inner.set_secret(ctx).await
    }

    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        self.inner.test_secret(ctx).await
    }

    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        self.inner.test_configuration(ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Colons;

    impl Rotator for Colons {
        fn default_exclude_characters(&self) -> &'static str {
            ":"
        }

        fn log_targets(&self) -> &'static [&'static str] {
            &["colon_driver"]
        }

        async fn set_secret(&self, _: &StepContext<'_>) -> Result<(), RotatorError> {
            Ok(())
        }

        async fn test_secret(&self, _: &StepContext<'_>) -> Result<(), RotatorError> {
            Ok(())
        }
    }

    /// Counts its finish hooks.
    #[derive(Default)]
    struct Hooked(std::sync::atomic::AtomicUsize);

    impl Rotator for Hooked {
        async fn set_secret(&self, _: &StepContext<'_>) -> Result<(), RotatorError> {
            Ok(())
        }

        async fn test_secret(&self, _: &StepContext<'_>) -> Result<(), RotatorError> {
            Ok(())
        }

        async fn after_finish(&self, _: &FinishContext<'_>) -> Result<(), RotatorError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_boxed_rotator_runs_the_rotators_own_finish_hook() {
        use crate::{
            Deadline, InMemorySecretsManager, RotationEvent, RotationFunction, RotationSettings, SecretValue,
            Step,
        };

        let hooked = Arc::new(Hooked::default());
        let store = InMemorySecretsManager::new();
        let arn = store
            .create_secret("s", &SecretValue::new(r#"{"password":"p"}"#))
            .unwrap();
        let token = store.start_rotation(&arn).unwrap();
        let function = RotationFunction::new(
            BoxedRotator::new(Shared(Arc::clone(&hooked))),
            store,
            RotationSettings::new(""),
        );
        for step in Step::ALL {
            let event = RotationEvent::new(&arn, &token, step);
            function
                .invoke(&event, Deadline::after(std::time::Duration::from_secs(5)))
                .await
                .unwrap();
        }
        assert_eq!(hooked.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// A rotator shared with the test, so the test can read what it counted.
    struct Shared(Arc<Hooked>);

    impl Rotator for Shared {
        async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
            Rotator::set_secret(self.0.as_ref(), ctx).await
        }

        async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
            Rotator::test_secret(self.0.as_ref(), ctx).await
        }

        async fn after_finish(&self, ctx: &FinishContext<'_>) -> Result<(), RotatorError> {
            Rotator::after_finish(self.0.as_ref(), ctx).await
        }
    }

    #[test]
    fn a_boxed_rotator_keeps_the_rotators_own_name_and_policy() {
        assert_eq!(Rotator::name(&BoxedRotator::new(Colons)), "rotor_core::Colons");
        assert_eq!(
            Rotator::default_exclude_characters(&BoxedRotator::new(Colons)),
            ":"
        );
        assert_eq!(
            Rotator::default_exclude_characters(&BoxedRotator::new(BoxedRotator::new(Colons))),
            ":",
            "boxing twice changes nothing"
        );
        assert_eq!(
            Rotator::log_targets(&BoxedRotator::new(BoxedRotator::new(Colons))),
            ["colon_driver"],
            "the driver targets are the rotator's own"
        );
    }
}

//! The extension point: what a user implements to rotate their own kind of secret.

use std::future::Future;

use crate::context::{CreateContext, SecretContext, StepContext};
use crate::error::RotatorError;
use crate::finish_context::FinishContext;
use crate::password::DEFAULT_EXCLUDE_CHARACTERS;
use crate::secret::SecretJson;

/// Rotates one kind of secret. The protocol (preamble, labels, idempotency, retries) is core's;
/// a rotator only says how to make a new value, how to apply it, and how to test it.
///
/// Methods may be written as `async fn` in the `impl`. Every method may run more than once for
/// the same rotation (Secrets Manager retries, duplicate invocations, crashes), so each must
/// converge: doing it again after it succeeded must succeed without changing anything.
pub trait Rotator: Send + Sync {
    /// The default for `EXCLUDE_CHARACTERS` when the variable is unset: characters this kind of
    /// secret cannot hold. AWS's generic default unless the rotator says otherwise.
    fn default_exclude_characters(&self) -> &'static str {
        DEFAULT_EXCLUDE_CHARACTERS
    }

    /// Builds the AWSPENDING value during createSecret.
    ///
    /// Called only when the pending version has no value yet. The default copies AWSCURRENT's
    /// JSON verbatim (unknown keys and value types kept) with a new `password`.
    fn create_pending(
        &self,
        ctx: &CreateContext<'_>,
    ) -> impl Future<Output = Result<SecretJson, RotatorError>> + Send {
        async move {
            let mut pending = ctx.current().clone();
            pending.set_password(&ctx.new_password().await?);
            Ok(pending)
        }
    }

    /// setSecret: make the external system accept the pending value.
    ///
    /// Must be a no-op when the pending value is already in effect.
    fn set_secret(&self, ctx: &StepContext<'_>) -> impl Future<Output = Result<(), RotatorError>> + Send;

    /// testSecret: prove the pending value works. Must not change anything.
    fn test_secret(&self, ctx: &StepContext<'_>) -> impl Future<Output = Result<(), RotatorError>> + Send;

    /// testSecret when AWSPENDING has no value.
    ///
    /// Secrets Manager does this to check a rotation configuration (RotateSecret with
    /// `RotateImmediately=false`): it creates an empty AWSPENDING version, runs only testSecret,
    /// then removes the version. There is no new value to test, so the default succeeds after
    /// core has read AWSCURRENT; engines override it to check that AWSCURRENT can log in.
    fn test_configuration(
        &self,
        ctx: &SecretContext<'_>,
    ) -> impl Future<Output = Result<(), RotatorError>> + Send {
        async move {
            ctx.current().await?;
            Ok(())
        }
    }

    /// The finish hook: runs during finishSecret once AWSCURRENT is on the new version, for
    /// example to revoke or deactivate the previous credential
    /// ([`FinishContext::previous_value`]). The default does nothing.
    ///
    /// It may run more than once, so it must be idempotent: finishSecret runs it after moving
    /// the label, and again on every finishSecret whose token is already AWSCURRENT (a retry, a
    /// duplicate invocation, or any later finishSecret of a completed rotation). That is how a
    /// hook that failed or crashed after the label moved is completed by the next retry.
    /// Revoking a credential that is already revoked must succeed. A failure fails finishSecret
    /// with the hook's error; AWSCURRENT stays on the new version either way.
    fn after_finish(&self, ctx: &FinishContext<'_>) -> impl Future<Output = Result<(), RotatorError>> + Send {
        let _unused = ctx;
        async { Ok(()) }
    }

    /// The tracing targets of the drivers this rotator uses (crates, with all their modules),
    /// whose events can carry SQL or protocol messages: every subscriber rotor installs caps
    /// them at INFO (see [`logging`](crate::logging)). A database rotator returns its engine's
    /// [`Engine::LOG_TARGETS`](crate::database::Engine::LOG_TARGETS); none by default.
    fn log_targets(&self) -> &'static [&'static str] {
        &[]
    }

    /// The rotator's name in metrics and notifications (the `Rotator` dimension). The default is
    /// the type's crate and name, without modules or generic parameters
    /// (`rotor_postgres::SingleUser`); override it for a shorter, stable name.
    fn name(&self) -> &'static str {
        crate::type_name::short_type_name(std::any::type_name::<Self>())
    }
}

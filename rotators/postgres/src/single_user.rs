//! Single user: the user changes its own password.

use rotor_core::database::{CredentialSource, Engine, EngineKit, HostOverrides, SingleUserLogin};
use rotor_core::fault::FaultPoints;
use rotor_core::{CreateContext, Rotator, RotatorError, SecretContext, SecretJson, StepContext};

use crate::connect::Session;
use crate::engine::Postgres;
use crate::error::PgError;
use crate::secret::POSTGRES_EXCLUDE_CHARACTERS;
use crate::sql::{PasswordEncryption, Verifier, alter_password};

/// `ALTER ROLE user PASSWORD '<verifier>'` in the user's own session, with the verifier of the
/// kind that session stores (`password_encryption`, which a role-level setting can change).
async fn change_own_password(
    session: &Session,
    user: &str,
    password: &secrecy::SecretString,
) -> Result<PasswordEncryption, PgError> {
    let encryption = PasswordEncryption::of_session(session).await?;
    let statement = alter_password(user, &Verifier::for_role(encryption, user, password));
    session.execute_secret("ALTER ROLE PASSWORD", &statement).await?;
    Ok(encryption)
}

/// Rotates the password of the user the secret names, logged in as that user.
///
/// setSecret logs in with AWSCURRENT first, so a healthy rotation never fails a login. If
/// AWSCURRENT is refused, AWSPENDING is tried (success means a previous run already set it),
/// then AWSPREVIOUS, then the newest unlabelled versions (a password set by a rotation that was
/// later cancelled). The new password is sent as a client-computed verifier: md5 when the
/// session's `password_encryption` is md5, SCRAM-SHA-256 otherwise.
#[derive(Debug, Clone, Default)]
pub struct SingleUser {
    kit: EngineKit<Postgres>,
}

impl SingleUser {
    /// A rotator with no fault points, as the Lambda function runs it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes every connection and statement through `faults`, so tests can crash at each one.
    #[must_use]
    pub fn with_fault_points(mut self, faults: FaultPoints) -> Self {
        self.kit = self.kit.with_fault_points(faults);
        self
    }

    /// Connects to overriding addresses for some host names, verifying TLS against the names
    /// (tests only: see [`HostOverrides`]).
    #[must_use]
    pub fn with_host_overrides(mut self, hosts: HostOverrides) -> Self {
        self.kit = self.kit.with_host_overrides(hosts);
        self
    }
}

impl Rotator for SingleUser {
    /// The function's name, as in the template and the metrics' `Rotator` dimension.
    fn name(&self) -> &'static str {
        "postgres-single-user"
    }

    fn default_exclude_characters(&self) -> &'static str {
        POSTGRES_EXCLUDE_CHARACTERS
    }

    fn log_targets(&self) -> &'static [&'static str] {
        Postgres::LOG_TARGETS
    }

    /// createSecret: AWSCURRENT with a new password, after checking that AWSCURRENT is a valid
    /// PostgreSQL secret (so a malformed secret fails here and nothing is stored).
    ///
    /// Second run: core finds the pending value and does not call this.
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        self.kit.single_user_pending(ctx).await
    }

    /// setSecret: validates AWSPENDING against AWSCURRENT, logs in (current → pending → previous
    /// → recent versions), reads `password_encryption` and sets the pending password with
    /// `ALTER ROLE … PASSWORD '<verifier>'`.
    ///
    /// Second run: AWSCURRENT is refused (one failed login, inherent to single-user), AWSPENDING
    /// logs in, and nothing is changed.
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let SingleUserLogin {
            pending,
            source,
            session,
            ..
        } = self.kit.single_user_login(ctx).await?;
        if source == CredentialSource::Pending {
            session.close().await;
            return Ok(());
        }
        let changed = change_own_password(&session, &pending.username, &pending.password).await;
        session.close().await;
        let encryption = changed?;
        tracing::info!(
            secret_id = ctx.secret_id(),
            password_encryption = encryption.as_str(),
            "password changed with a client-side verifier"
        );
        Ok(())
    }

    /// testSecret: logs in with AWSPENDING over verified TLS (unless explicitly disabled) and
    /// checks `session_user`. Reads nothing but AWSPENDING.
    ///
    /// Second run: the same checks; nothing changes.
    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        self.kit.test_pending(ctx).await
    }

    /// testSecret without a pending value: AWSCURRENT must log in with the same checks.
    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        self.kit.test_current(ctx).await
    }
}

//! Single user: the user changes its own password.

use rotor_core::database::{CredentialSource, login_with_fallback};
use rotor_core::fault::FaultPoints;
use rotor_core::password::POSTGRES_EXCLUDE_CHARACTERS;
use rotor_core::{CreateContext, Deadline, Rotator, RotatorError, SecretContext, SecretJson, StepContext};

use crate::connect::{Login, Session, connect};
use crate::error::PgError;
use crate::identity::verify_login;
use crate::secret::{PgSecret, check_single_user, parse};
use crate::sql::{Verifier, alter_password};

/// Rotates the password of the user the secret names, logged in as that user.
///
/// setSecret logs in with AWSCURRENT first, so a healthy rotation never fails a login. If
/// AWSCURRENT is refused, AWSPENDING is tried (success means a previous run already set it),
/// then AWSPREVIOUS, then the newest unlabelled versions (a password set by a rotation that was
/// later cancelled). The new password is sent as a client-computed SCRAM verifier.
#[derive(Debug, Clone, Default)]
pub struct SingleUser {
    faults: FaultPoints,
}

impl SingleUser {
    /// A rotator with no fault points, as the Lambda function runs it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes every connection and statement through `faults`, so tests can crash at each one.
    #[must_use]
    pub fn with_fault_points(mut self, faults: FaultPoints) -> Self {
        self.faults = faults;
        self
    }
}

/// The name a credential source goes by in logs and fault labels.
fn label(source: &CredentialSource) -> &'static str {
    match source {
        CredentialSource::Current => "current",
        CredentialSource::Pending => "pending",
        CredentialSource::Previous => "previous",
        CredentialSource::Recent(_) => "recent",
    }
}

/// Logs in to the pending target with a stored version's password. A version that names another
/// user, or is not a usable secret, is skipped without a login attempt.
async fn login_candidate(
    target: &PgSecret,
    source: &CredentialSource,
    json: &SecretJson,
    deadline: Deadline,
    faults: &FaultPoints,
) -> Result<Session, PgError> {
    let label = label(source);
    let skipped = |reason: String| PgError::CredentialSkipped {
        login: label.to_owned(),
        reason,
    };
    let candidate = PgSecret::parse(json).map_err(|problem| skipped(problem.to_string()))?;
    if candidate.username != target.username {
        return Err(skipped("it names another user".to_owned()));
    }
    let login = Login {
        password: &candidate.password,
        ..Login::of(target, label)
    };
    connect(&login, deadline, faults).await
}

impl Rotator for SingleUser {
    const DEFAULT_EXCLUDE_CHARACTERS: &'static str = POSTGRES_EXCLUDE_CHARACTERS;

    /// createSecret: AWSCURRENT with a new password, after checking that AWSCURRENT is a valid
    /// PostgreSQL secret (so a malformed secret fails here and nothing is stored).
    ///
    /// Second run: core finds the pending value and does not call this.
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        parse(ctx, ctx.current(), "AWSCURRENT")?;
        let mut pending = ctx.current().clone();
        pending.set_password(&ctx.new_password().await?);
        Ok(pending)
    }

    /// setSecret: validates AWSPENDING against AWSCURRENT, logs in (current → pending → previous
    /// → recent versions) and sets the pending password with `ALTER ROLE … PASSWORD '<verifier>'`.
    ///
    /// Second run: AWSCURRENT is refused (one failed login, inherent to single-user), AWSPENDING
    /// logs in, and nothing is changed.
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = parse(ctx, ctx.pending(), "AWSPENDING")?;
        let current = parse(ctx, ctx.current().await?, "AWSCURRENT")?;
        check_single_user(&current, &pending)?;
        let (target, faults, deadline) = (&pending, &self.faults, ctx.deadline());
        let (source, session) = login_with_fallback(ctx, move |source, json| async move {
            login_candidate(target, &source, &json, deadline, faults)
                .await
                .map_err(RotatorError::from)
        })
        .await?;
        match &source {
            CredentialSource::Pending => {
                tracing::info!(
                    secret_id = ctx.secret_id(),
                    "AWSPENDING already logs in: the password is already set"
                );
                session.close().await;
                return Ok(());
            }
            CredentialSource::Current => {}
            older => tracing::warn!(
                secret_id = ctx.secret_id(),
                source = %older,
                "recovered access with an older version; replacing its password with AWSPENDING's"
            ),
        }
        let statement = alter_password(&pending.username, &Verifier::of(&pending.password));
        let changed = session.execute_secret("ALTER ROLE PASSWORD", &statement).await;
        session.close().await;
        changed?;
        tracing::info!(
            secret_id = ctx.secret_id(),
            "password changed with a client-side SCRAM verifier"
        );
        Ok(())
    }

    /// testSecret: logs in with AWSPENDING, checks `current_user` and, unless TLS was explicitly
    /// disabled, that the session is encrypted. Reads nothing but AWSPENDING.
    ///
    /// Second run: the same checks; nothing changes.
    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = parse(ctx, ctx.pending(), "AWSPENDING")?;
        verify_login(&pending, "pending", ctx.deadline(), &self.faults).await?;
        Ok(())
    }

    /// testSecret without a pending value: AWSCURRENT must log in with the same checks.
    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        let current = parse(ctx, ctx.current().await?, "AWSCURRENT")?;
        verify_login(&current, "current", ctx.deadline(), &self.faults).await?;
        Ok(())
    }
}

//! Alternating users: a master user sets the password of whichever of `user` / `user_clone` is
//! not in use, so the credential applications hold keeps working throughout the rotation.

use rotor_core::database::{
    DatabaseSecret, HostOverrides, VerifiedMaster, alternating_pending, check_alternating, master_login,
    verify_master,
};
use rotor_core::fault::FaultPoints;
use rotor_core::{
    CreateContext, Deadline, FieldError, Rotator, RotatorError, SecretContext, SecretJson, StepContext,
};

use crate::connect::{Login, Session, connect};
use crate::error::PgError;
use crate::identity::verify_login;
use crate::roles::set_alternate_password;
use crate::secret::POSTGRES_EXCLUDE_CHARACTERS;
use crate::secret::{MAX_IDENTIFIER_BYTES, POSTGRES};

/// Rotates between two users, `name` and `name_clone`, with the master secret named by
/// `masterarn`. The clone is created on the first rotation; see the crate documentation for
/// what it copies from the original.
#[derive(Debug, Clone, Default)]
pub struct AlternatingUsers {
    faults: FaultPoints,
    hosts: HostOverrides,
}

impl AlternatingUsers {
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

    /// Connects to overriding addresses for some host names, verifying TLS against the names
    /// (tests only: see [`HostOverrides`]).
    #[must_use]
    pub fn with_host_overrides(mut self, hosts: HostOverrides) -> Self {
        self.hosts = hosts;
        self
    }

    /// Proves that AWSCURRENT logs in. Without this, anyone who can write this secret could name
    /// any role (say `postgres_clone`) and have the master create or reset a role for them.
    async fn prove_current(&self, current: &DatabaseSecret, deadline: Deadline) -> Result<(), PgError> {
        match connect(
            &Login::of(current, "current").via(&self.hosts),
            deadline,
            &self.faults,
        )
        .await
        {
            Ok(session) => {
                session.close().await;
                Ok(())
            }
            Err(error) if error.is_auth_failure() => Err(PgError::CurrentRefused),
            Err(error) => Err(error),
        }
    }

    /// A session as the master user (see [`master_login`]) on the master's own database.
    async fn master_session(
        &self,
        ctx: &StepContext<'_>,
        master: &VerifiedMaster,
    ) -> Result<Session, RotatorError> {
        let (faults, hosts, deadline) = (&self.faults, &self.hosts, ctx.deadline());
        master_login(ctx, master, move |label, master| async move {
            connect(&Login::of(&master, label).via(hosts), deadline, faults)
                .await
                .map_err(RotatorError::from)
        })
        .await
    }
}

impl Rotator for AlternatingUsers {
    /// The function's name, as in the template and the metrics' `Rotator` dimension.
    fn name(&self) -> &'static str {
        "postgres-multi-user"
    }

    fn default_exclude_characters(&self) -> &'static str {
        POSTGRES_EXCLUDE_CHARACTERS
    }

    /// createSecret: AWSCURRENT with `username` toggled (`name` ↔ `name_clone`) and a new
    /// password. AWSCURRENT must be a valid secret with a `masterarn`; a clone name over 63 bytes
    /// is a typed error and nothing is stored.
    ///
    /// Second run: core finds the pending value and does not call this.
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        let current = DatabaseSecret::current(ctx, &POSTGRES).await?;
        if current.master_arn.is_none() {
            return Err(ctx
                .malformed("AWSCURRENT", FieldError::Missing("masterarn".into()))
                .into());
        }
        alternating_pending(ctx, MAX_IDENTIFIER_BYTES).await
    }

    /// setSecret: validates the pair and the master secret, proves AWSCURRENT logs in, then as the master (in one
    /// transaction) checks the master's privileges, creates the clone if it is missing, or checks
    /// that the existing role is the clone, and applies the pending password as a verifier of
    /// the kind the server stores (SCRAM-SHA-256, or md5 where `password_encryption` is md5).
    /// There is no probe login with AWSPENDING, so a rotation never fails a login.
    ///
    /// Second run: the role exists and is the clone, so the same password is applied again
    /// under a fresh salt, which changes nothing a login can observe.
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = DatabaseSecret::pending(ctx, &POSTGRES)?;
        let current = DatabaseSecret::current(ctx, &POSTGRES).await?;
        let pair = check_alternating(&current, &pending)?;
        if current.master_arn.is_none() {
            return Err(ctx
                .malformed("AWSCURRENT", FieldError::Missing("masterarn".into()))
                .into());
        }
        let master_secret = verify_master(ctx, &POSTGRES, &current).await?;
        self.prove_current(&current, ctx.deadline()).await?;
        let session = self.master_session(ctx, &master_secret).await?;
        let result = set_alternate_password(&session, &pair, &pending.username, &pending.password).await;
        session.close().await;
        result?;
        tracing::info!(
            secret_id = ctx.secret_id(),
            "pending user's password set with a client-side verifier"
        );
        Ok(())
    }

    /// testSecret: logs in with AWSPENDING over verified TLS (unless explicitly disabled) and
    /// checks `session_user`.
    ///
    /// Second run: the same checks; nothing changes.
    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = DatabaseSecret::pending(ctx, &POSTGRES)?;
        verify_login(&pending, "pending", ctx.deadline(), &self.faults, &self.hosts).await?;
        Ok(())
    }

    /// testSecret without a pending value: AWSCURRENT must log in with the same checks.
    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        let current = DatabaseSecret::current(ctx, &POSTGRES).await?;
        verify_login(&current, "current", ctx.deadline(), &self.faults, &self.hosts).await?;
        Ok(())
    }
}

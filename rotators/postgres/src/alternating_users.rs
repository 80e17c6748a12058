//! Alternating users: a master user sets the password of whichever of `user` / `user_clone` is
//! not in use, so the credential applications hold keeps working throughout the rotation.

use rotor_core::database::{
    AlternatingLogin, Engine, EngineKit, HostOverrides, InvalidUsernameLimit, UsernameSetting,
};
use rotor_core::fault::FaultPoints;
use rotor_core::{CreateContext, Rotator, RotatorError, SecretContext, SecretJson, StepContext};

use crate::engine::Postgres;
use crate::roles::set_alternate_password;
use crate::secret::POSTGRES_EXCLUDE_CHARACTERS;

/// Rotates between two users, `name` and `name_clone`, with the master secret named by
/// `masterarn`. The clone is created on the first rotation; see the crate documentation for
/// what it copies from the original.
#[derive(Debug, Clone, Default)]
pub struct AlternatingUsers {
    kit: EngineKit<Postgres>,
    username_setting: Option<UsernameSetting>,
}

impl AlternatingUsers {
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

    /// Caps the clone's name at `limit` characters (AWS's `USERNAME_CHARACTER_LIMIT`), below
    /// PostgreSQL's own 63 bytes.
    #[must_use]
    pub fn username_limit(mut self, limit: Option<usize>) -> Self {
        self.username_setting = limit.map(UsernameSetting);
        self
    }

    /// The rotator the Lambda binary runs: `USERNAME_CHARACTER_LIMIT` from the environment.
    pub fn from_env() -> Result<Self, InvalidUsernameLimit> {
        let mut rotator = Self::new();
        rotator.username_setting = UsernameSetting::from_env()?;
        Ok(rotator)
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

    fn log_targets(&self) -> &'static [&'static str] {
        Postgres::LOG_TARGETS
    }

    /// createSecret: AWSCURRENT with `username` toggled (`name` ↔ `name_clone`) and a new
    /// password. AWSCURRENT must be a valid secret with a `masterarn`; a clone name over 63 bytes
    /// is a typed error and nothing is stored.
    ///
    /// Second run: core finds the pending value and does not call this.
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        self.kit.alternating_pending(ctx, self.username_setting).await
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
        let AlternatingLogin {
            pending,
            pair,
            master,
            ..
        } = self.kit.alternating_login(ctx, |_| ()).await?;
        let result = set_alternate_password(&master, &pair, &pending.username, &pending.password).await;
        master.close().await;
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
        self.kit.test_pending(ctx).await
    }

    /// testSecret without a pending value: AWSCURRENT logs in with the same checks, and the
    /// master secret is valid for this child and logs in.
    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        self.kit.test_current_and_master(ctx).await
    }
}

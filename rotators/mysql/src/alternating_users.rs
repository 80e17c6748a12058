//! Alternating users: the master sets the password of whichever of `name` / `name_clone` applications are
//! not using, and keeps the clone's grants equal to the original's.

use rotor_core::database::{
    AlternatingLogin, DatabaseSecret, Engine, EngineKit, HostOverrides, USERNAME_CHARACTER_LIMIT, UserPair,
    UsernameLimit, UsernameSetting,
};
use rotor_core::fault::FaultPoints;
use rotor_core::{CreateContext, Rotator, RotatorError, SecretContext, SecretJson, StepContext};

use crate::account::Account;
use crate::account_options::{StoredAccount, account_statement, read_accounts};
use crate::connect::{Session, Statement};
use crate::engine::MySql;
use crate::error::{MySqlError, MySqlFailure};
use crate::grant_sync::sync_statements;
use crate::grants::read_grants;
use crate::ownership::Ownership;
use crate::pair_checks::{master_outside_pair, single_host};

/// The environment variable that lets rotor adopt an existing clone it cannot prove to be its own.
pub const ADOPT_EXISTING_CLONE: &str = "ROTOR_MYSQL_ADOPT_EXISTING_CLONE";

/// Rotates a pair of users, `name` and `name_clone`, through the master user named by `masterarn`.
///
/// The original (`name`) is the source of truth: every rotation makes the clone's grants, default roles,
/// TLS requirement, resource limits and authentication plugin equal to the original's, at the original's
/// exact host, and revokes from the clone whatever the original no longer holds. The pending user's password
/// is (re)applied by the master, which is idempotent, so the pending user never has to prove anything with a
/// login that could fail. Before the master acts, AWSCURRENT must log in: only a holder of a working
/// credential of the pair can have the master create or change an account.
///
/// The master changes an existing account only with evidence that it belongs to this secret, evidence that
/// writing the secret cannot forge: it accepts a password this secret stores for that user (AWSPENDING, after
/// a crash; AWSPREVIOUS, in the steady state; or a recent version), taken only from versions that connect
/// exactly as AWSPENDING does (compared as `mysql_native_password` hashes without a login, or by a login on
/// that connection for other plugins). AWSCURRENT's login is the evidence for the other user of the pair. A
/// clone that does not exist yet is created, and from then on holds AWSPENDING's password, so a retry after a
/// crash converges. Without evidence the error is [`NotOurAlternate`](rotor_core::database::DatabaseError::NotOurAlternate) (the clone) or
/// [`MySqlFailure::NotOurOriginal`] (the original), before any statement that changes anything.
/// [`ADOPT_EXISTING_CLONE`] waives the proof for an existing clone, never for the original.
///
/// Each user of the pair must have exactly one host row, at the host AWSCURRENT's login matched; another row
/// (`'app'@'10.1.%'` next to `'app'@'%'`) is refused with [`MySqlFailure::OtherHostRow`] before anything
/// changes, because a password or a clone at one row would not work for the clients that match the other.
/// The master session must not be a user of the pair ([`MySqlFailure::MasterInPair`]).
#[derive(Debug, Clone, Default)]
pub struct AlternatingUsers {
    kit: EngineKit<MySql>,
    username_setting: Option<UsernameSetting>,
    adopt_existing_clone: bool,
}

impl AlternatingUsers {
    /// A rotator with no fault points and the flavour's user name limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// The rotator the Lambda binary runs: `USERNAME_CHARACTER_LIMIT` and `ROTOR_MYSQL_ADOPT_EXISTING_CLONE`
    /// (`true` to adopt an existing, unproven clone) from the environment.
    pub fn from_env() -> Result<Self, MySqlError> {
        let setting = UsernameSetting::from_env().map_err(|_| MySqlFailure::InvalidSetting {
            variable: USERNAME_CHARACTER_LIMIT,
            expected: "a positive whole number",
        })?;
        let adopt =
            std::env::var(ADOPT_EXISTING_CLONE).is_ok_and(|value| value.trim().eq_ignore_ascii_case("true"));
        Ok(Self {
            kit: EngineKit::new(),
            username_setting: setting,
            adopt_existing_clone: adopt,
        })
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

    /// Caps user names at `limit` characters (AWS's `USERNAME_CHARACTER_LIMIT`), below the flavour's own
    /// limit (MySQL 32, MariaDB 80).
    #[must_use]
    pub fn username_limit(mut self, limit: Option<usize>) -> Self {
        self.username_setting = limit.map(UsernameSetting);
        self
    }

    /// Adopts an existing account with the clone's name even when it cannot be proven to be this secret's
    /// (`ROTOR_MYSQL_ADOPT_EXISTING_CLONE=true`). For an operator who vouches that no foreign account is named
    /// like a clone of a user this function rotates; it never applies to the original.
    #[must_use]
    pub fn adopt_existing_clone(mut self, adopt: bool) -> Self {
        self.adopt_existing_clone = adopt;
        self
    }
}

impl Rotator for AlternatingUsers {
    /// The function's name, as in the template and the metrics' `Rotator` dimension.
    fn name(&self) -> &'static str {
        "mysql-multi-user"
    }

    fn log_targets(&self) -> &'static [&'static str] {
        MySql::LOG_TARGETS
    }

    /// createSecret: AWSCURRENT with `username` toggled (`name` ↔ `name_clone`) and a new password, after
    /// checking AWSCURRENT and the length of the new name.
    ///
    /// Second run: core finds the pending value and does not call this.
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        self.kit.alternating_pending(ctx, self.username_setting).await
    }

    /// setSecret: validates the pair, checks that AWSCURRENT logs in (and learns the pair's host from
    /// `CURRENT_USER()`), then as the master creates or updates the pending account and mirrors the
    /// original's grants onto the clone.
    ///
    /// Second run: the pending account already has the password, plugin, TLS requirement and limits, and
    /// the grants already match, so only reads are sent.
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let AlternatingLogin {
            pending,
            pair,
            current: host,
            mut master,
            ..
        } = self
            .kit
            .alternating_login(ctx, |current| current.account().host.clone())
            .await?;
        let result = self.apply(ctx, &mut master, &pending, &pair, &host).await;
        master.close().await;
        result
    }

    /// testSecret: logs in with AWSPENDING as the user it names, over verified TLS unless the secret disables
    /// it.
    ///
    /// Second run: the same checks; nothing changes.
    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        self.kit.test_pending(ctx).await
    }

    /// testSecret without a pending value: AWSCURRENT and the master must log in.
    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        self.kit.test_current_and_master(ctx).await
    }
}

impl AlternatingUsers {
    /// Refuses to give the pending password to an existing account this secret cannot prove to be its own
    /// (see [`Ownership`]). `existing` is the pending user's row, `None` when the clone is still to be created.
    /// [`ADOPT_EXISTING_CLONE`] waives the proof for the clone only: the original is changed only with proof.
    async fn check_ownership(
        &self,
        ctx: &StepContext<'_>,
        pending: &DatabaseSecret,
        pending_is_clone: bool,
        existing: Option<&StoredAccount>,
    ) -> Result<(), RotatorError> {
        let Some(existing) = existing else {
            return Ok(());
        };
        if pending_is_clone && self.adopt_existing_clone {
            tracing::warn!(
                secret_id = ctx.secret_id(),
                account = %existing.account,
                "adopting the existing clone without proof, as ROTOR_MYSQL_ADOPT_EXISTING_CLONE allows"
            );
            return Ok(());
        }
        let ownership = Ownership { kit: &self.kit };
        if ownership.proven(ctx, existing, pending).await? {
            return Ok(());
        }
        let account = existing.account.to_string();
        Err(if pending_is_clone {
            MySqlError::NotOurAlternate {
                account: format!("account {account}"),
                reason: "it accepts no stored credential of this secret",
            }
        } else {
            MySqlFailure::NotOurOriginal { account }.into()
        }
        .into())
    }

    /// The master's part of setSecret: every check first, then the changes.
    async fn apply(
        &self,
        ctx: &StepContext<'_>,
        master: &mut Session,
        pending: &DatabaseSecret,
        pair: &UserPair,
        host: &str,
    ) -> Result<(), RotatorError> {
        master_outside_pair(master.account(), pair)?;
        let version = *master.version();
        if !version.supports_alter_user() {
            return Err(MySqlError::from(MySqlFailure::UnsupportedServer {
                version: version.to_string(),
                reason: "no ALTER USER",
            })
            .into());
        }
        let limit = UsernameLimit::characters(version.max_username_chars());
        if !limit.fits(&pending.username) {
            return Err(MySqlError::UsernameTooLong {
                username: pending.username.clone(),
                limit,
            }
            .into());
        }
        let original = Account::new(&pair.original, host);
        let clone = original.with_user(&pair.clone);
        let stored = read_accounts(master, &[&original.user, &clone.user]).await?;
        single_host(&stored, host)?;
        let find = |account: &Account| stored.iter().find(|row| row.account == *account);
        let model = find(&original).ok_or_else(|| {
            MySqlError::from(MySqlFailure::AccountMissing {
                account: original.to_string(),
            })
        })?;
        let quoting = master.quoting();
        let pending_is_clone = pending.username == clone.user;
        let clone_row = find(&clone);
        let pending_row = if pending_is_clone { clone_row } else { Some(model) };
        self.check_ownership(ctx, pending, pending_is_clone, pending_row)
            .await?;

        if pending_is_clone {
            if let Some(statement) =
                account_statement(&version, quoting, &clone, clone_row, model, &pending.password)?
            {
                master.execute(&statement).await?;
            }
        } else {
            // AWSCURRENT logged in as the clone, so it exists unless it was dropped since.
            let Some(existing_clone) = clone_row else {
                return Err(MySqlError::from(MySqlFailure::AccountMissing {
                    account: clone.to_string(),
                })
                .into());
            };
            if let Some(statement) = account_statement(
                &version,
                quoting,
                &original,
                Some(model),
                model,
                &pending.password,
            )? {
                master.execute(&statement).await?;
            }
            if !existing_clone.same_requirements(model) {
                let options = format!("{} {}", model.tls.clause(quoting), model.limits.clause());
                let statement = Statement::new(
                    "ALTER USER options",
                    format!("ALTER USER {} {options}", quoting.account(&clone)),
                );
                master.execute(&statement).await?;
            }
        }

        let wanted = read_grants(master, &original).await?;
        let held = read_grants(master, &clone).await?;
        let statements = sync_statements(&wanted, &held, &clone, &version, quoting);
        let changes = statements.len();
        for statement in &statements {
            master.execute(statement).await?;
        }
        tracing::info!(
            secret_id = ctx.secret_id(),
            account = %Account::new(&pending.username, host),
            %version,
            grant_changes = changes,
            "pending user's password set and the clone's grants mirror the original's"
        );
        Ok(())
    }
}

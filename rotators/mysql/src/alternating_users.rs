//! Alternating users: the master sets the password of whichever of `name` / `name_clone` applications are
//! not using, and keeps the clone's grants equal to the original's.

use rotor_core::database::{
    DatabaseSecret, UserPair, VerifiedMaster, alternate_username, check_alternating, master_login,
    verify_master,
};
use rotor_core::fault::FaultPoints;
use rotor_core::{CreateContext, Rotator, RotatorError, SecretContext, SecretJson, StepContext};

use crate::account::Account;
use crate::account_options::{StoredAccount, account_statement, read_accounts};
use crate::connect::{Session, Statement, Target};
use crate::error::MySqlError;
use crate::grant_sync::sync_statements;
use crate::grants::read_grants;
use crate::ownership::Ownership;
use crate::pair_checks::{master_outside_pair, single_host};
use crate::secret::MYSQL;
use crate::session_checks::verify_login;

/// The environment variable AWS's MySQL function reads for the longest allowed user name.
pub const USERNAME_CHARACTER_LIMIT: &str = "USERNAME_CHARACTER_LIMIT";
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
/// crash converges. Without evidence the error is [`MySqlError::NotOurAlternate`] (the clone) or
/// [`MySqlError::NotOurOriginal`] (the original), before any statement that changes anything.
/// [`ADOPT_EXISTING_CLONE`] waives the proof for an existing clone, never for the original.
///
/// Each user of the pair must have exactly one host row, at the host AWSCURRENT's login matched; another row
/// (`'app'@'10.1.%'` next to `'app'@'%'`) is refused with [`MySqlError::OtherHostRow`] before anything
/// changes, because a password or a clone at one row would not work for the clients that match the other.
/// The master session must not be a user of the pair ([`MySqlError::MasterInPair`]).
#[derive(Debug, Clone, Default)]
pub struct AlternatingUsers {
    faults: FaultPoints,
    username_limit: Option<usize>,
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
        let limit = match std::env::var(USERNAME_CHARACTER_LIMIT) {
            Ok(value) => Some(value.trim().parse().ok().filter(|limit| *limit > 0).ok_or(
                MySqlError::InvalidSetting {
                    variable: USERNAME_CHARACTER_LIMIT,
                    expected: "a positive whole number",
                },
            )?),
            Err(_) => None,
        };
        let adopt =
            std::env::var(ADOPT_EXISTING_CLONE).is_ok_and(|value| value.trim().eq_ignore_ascii_case("true"));
        Ok(Self {
            faults: FaultPoints::none(),
            username_limit: limit,
            adopt_existing_clone: adopt,
        })
    }

    /// Routes every connection and statement through `faults`, so tests can crash at each one.
    #[must_use]
    pub fn with_fault_points(mut self, faults: FaultPoints) -> Self {
        self.faults = faults;
        self
    }

    /// Caps user names at `limit` characters (AWS's `USERNAME_CHARACTER_LIMIT`), below the flavour's own
    /// limit (MySQL 32, MariaDB 80).
    #[must_use]
    pub fn username_limit(mut self, limit: Option<usize>) -> Self {
        self.username_limit = limit;
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

    /// The limit for a secret's engine, before the server is known.
    fn limit_for_engine(&self, engine: &str) -> usize {
        let flavour_limit = if engine == "mariadb" { 80 } else { 32 };
        self.username_limit
            .map_or(flavour_limit, |limit| limit.min(flavour_limit))
    }

    /// Logs in as the master (see [`master_login`]) to the master's own server and database.
    async fn master_session(
        &self,
        ctx: &SecretContext<'_>,
        master: &VerifiedMaster,
    ) -> Result<Session, RotatorError> {
        let (faults, deadline) = (&self.faults, ctx.deadline());
        master_login(ctx, master, move |label, master| async move {
            Session::open(
                &Target::of(&master),
                &master.username,
                &master.password,
                label,
                faults,
                deadline,
            )
            .await
            .map_err(RotatorError::from)
        })
        .await
    }
}

impl Rotator for AlternatingUsers {
    /// The function's name, as in the template and the metrics' `Rotator` dimension.
    fn name(&self) -> &'static str {
        "mysql-multi-user"
    }

    /// createSecret: AWSCURRENT with `username` toggled (`name` ↔ `name_clone`) and a new password, after
    /// checking AWSCURRENT and the length of the new name.
    ///
    /// Second run: core finds the pending value and does not call this.
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        let current = DatabaseSecret::current(ctx, &MYSQL).await?;
        let limit = self.limit_for_engine(&current.engine);
        let alternate = alternate_username(&current.username, usize::MAX)
            .filter(|name| name.chars().count() <= limit)
            .ok_or_else(|| MySqlError::UsernameTooLong {
                username: format!("{}_clone", current.username),
                limit,
            })?;
        let mut pending = ctx.current().clone();
        pending.set("username", alternate);
        pending.set_password(&ctx.new_password().await?);
        Ok(pending)
    }

    /// setSecret: validates the pair, checks that AWSCURRENT logs in (and learns the pair's host from
    /// `CURRENT_USER()`), then as the master creates or updates the pending account and mirrors the
    /// original's grants onto the clone.
    ///
    /// Second run: the pending account already has the password, plugin, TLS requirement and limits, and
    /// the grants already match, so only reads are sent.
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = DatabaseSecret::pending(ctx, &MYSQL)?;
        let current = DatabaseSecret::current(ctx, &MYSQL).await?;
        let pair = check_alternating(&current, &pending)?;
        let master_secret = verify_master(ctx, &MYSQL, &current).await?;
        let deadline = ctx.deadline();
        let current_session = Session::open(
            &Target::of(&current),
            &current.username,
            &current.password,
            "current",
            &self.faults,
            deadline,
        )
        .await
        .map_err(|error| {
            if error.is_auth_failure() {
                MySqlError::CurrentRefused
            } else {
                error
            }
        })?;
        let host = current_session.account().host.clone();
        current_session.close().await;

        let mut master = self.master_session(ctx, &master_secret).await?;
        let result = self.apply(ctx, &mut master, &pending, &pair, &host).await;
        master.close().await;
        result
    }

    /// testSecret: logs in with AWSPENDING as the user it names, over verified TLS unless the secret disables
    /// it.
    ///
    /// Second run: the same checks; nothing changes.
    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = DatabaseSecret::pending(ctx, &MYSQL)?;
        verify_login(&pending, "pending", ctx.deadline(), &self.faults).await?;
        Ok(())
    }

    /// testSecret without a pending value: AWSCURRENT and the master must log in.
    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        let current = DatabaseSecret::current(ctx, &MYSQL).await?;
        verify_login(&current, "current", ctx.deadline(), &self.faults).await?;
        let master = verify_master(ctx, &MYSQL, &current).await?;
        self.master_session(ctx, &master).await?.close().await;
        Ok(())
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
        let ownership = Ownership { faults: &self.faults };
        if ownership.proven(ctx, existing, pending).await? {
            return Ok(());
        }
        let account = existing.account.to_string();
        Err(if pending_is_clone {
            MySqlError::NotOurAlternate { account }
        } else {
            MySqlError::NotOurOriginal { account }
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
            return Err(MySqlError::UnsupportedServer {
                version: version.to_string(),
                reason: "no ALTER USER",
            }
            .into());
        }
        let limit = version.max_username_chars();
        if pending.username.chars().count() > limit {
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
        let model = find(&original).ok_or_else(|| MySqlError::AccountMissing {
            account: original.to_string(),
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
                return Err(MySqlError::AccountMissing {
                    account: clone.to_string(),
                }
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

//! Alternating users: the master sets the password of whichever of `name` / `name_clone` applications are
//! not using, and keeps the clone's grants equal to the original's.

use rotor_core::database::{AlternatePassword, DatabaseSecret, EngineKit, UserPair, UsernameLimit};
use rotor_core::{InvalidSetting, RotatorError, StepContext};

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

/// Rotates a pair of users, `name` and `name_clone`, through the master user named by `masterarn`
/// (`mysql-multi-user`): rotor-core's [`AlternatingUsers`](rotor_core::database::AlternatingUsers) with
/// MySQL's statements.
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
pub type AlternatingUsers = rotor_core::database::AlternatingUsers<MySqlAlternatePassword>;

/// MySQL's part of an alternating-users rotation: the master's account and grant statements, and whether an
/// existing clone that cannot be proven to be this secret's is adopted.
#[derive(Debug, Clone, Copy, Default)]
pub struct MySqlAlternatePassword {
    adopt_existing_clone: bool,
}

impl MySqlAlternatePassword {
    /// Proves every existing account before it is changed.
    pub fn new() -> Self {
        Self::default()
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

impl AlternatePassword for MySqlAlternatePassword {
    type Engine = MySql;
    /// The host AWSCURRENT's login matched (`CURRENT_USER()`): the pair's host row.
    type Current = String;
    const FUNCTION: &'static str = "mysql-multi-user";
    const EXCLUDE_CHARACTERS: &'static str = rotor_core::password::DEFAULT_EXCLUDE_CHARACTERS;

    /// `ROTOR_MYSQL_ADOPT_EXISTING_CLONE` (`true` to adopt an existing, unproven clone).
    fn from_env() -> Result<Self, InvalidSetting> {
        let adopt =
            std::env::var(ADOPT_EXISTING_CLONE).is_ok_and(|value| value.trim().eq_ignore_ascii_case("true"));
        Ok(Self::new().adopt_existing_clone(adopt))
    }

    fn inspect_current(session: &Session) -> String {
        session.account().host.clone()
    }

    /// As the master, at the host AWSCURRENT's login matched: creates or updates the pending account and
    /// mirrors the original's grants onto the clone. Run again, the pending account already has the password,
    /// plugin, TLS requirement and limits, and the grants already match, so only reads are sent.
    async fn set_alternate_password(
        &self,
        ctx: &StepContext<'_>,
        kit: &EngineKit<MySql>,
        master: &mut Session,
        pending: &DatabaseSecret,
        pair: &UserPair,
        host: &String,
    ) -> Result<(), RotatorError> {
        let host = host.as_str();
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
        self.check_ownership(ctx, kit, pending, pending_is_clone, pending_row)
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

impl MySqlAlternatePassword {
    /// Refuses to give the pending password to an existing account this secret cannot prove to be its own
    /// (see [`Ownership`]). `existing` is the pending user's row, `None` when the clone is still to be created.
    /// [`ADOPT_EXISTING_CLONE`] waives the proof for the clone only: the original is changed only with proof.
    async fn check_ownership(
        &self,
        ctx: &StepContext<'_>,
        kit: &EngineKit<MySql>,
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
        let ownership = Ownership { kit };
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
}

//! Single user: the user changes its own password.

use rotor_core::database::{CredentialSource, Engine, EngineKit, HostOverrides, SingleUserLogin};
use rotor_core::fault::FaultPoints;
use rotor_core::{CreateContext, Rotator, RotatorError, SecretContext, SecretJson, StepContext};
use secrecy::{ExposeSecret, SecretString};

use crate::account::{Account, Quoting};
use crate::connect::{Session, Statement};
use crate::engine::MySql;
use crate::error::{MySqlError, MySqlFailure};
use crate::flavour::{Flavour, ServerVersion};
use crate::password_hash::native_password_hash;

/// What happens to the password being replaced. The dual modes need MySQL 8.0.14 or later.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordRetention {
    /// The new password replaces the old one at setSecret, as AWS's function does: until finishSecret moves
    /// AWSCURRENT, applications that read AWSCURRENT hold a password the server no longer accepts.
    #[default]
    Replace,
    /// Dual passwords: `ALTER USER … IDENTIFIED BY '<new>' RETAIN CURRENT PASSWORD`. The old password keeps
    /// working as the secondary password until the next rotation retains the then-current one in its place,
    /// so both AWSCURRENT and AWSPENDING (later AWSPREVIOUS) log in and rotation causes no outage. Needs the
    /// `APPLICATION_PASSWORD_ADMIN` privilege. Costs one refused login on the first setSecret: with two
    /// valid passwords, "AWSCURRENT logs in" no longer proves that AWSPENDING is not set yet, so AWSPENDING
    /// is tried as well.
    RetainCurrent,
    /// Like [`Replace`](Self::Replace), then `ALTER USER … DISCARD OLD PASSWORD`, so that a secondary
    /// password retained earlier stops working too. For leaving dual-password mode; needs
    /// `APPLICATION_PASSWORD_ADMIN`.
    DiscardOld,
}

impl PasswordRetention {
    /// The environment variable the Lambda binary reads: `replace` (default), `retain` or `discard`.
    pub const VARIABLE: &'static str = "ROTOR_MYSQL_PASSWORD_RETENTION";

    /// Parses the variable's value.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "replace" => Some(Self::Replace),
            "retain" | "retain-current" | "dual" => Some(Self::RetainCurrent),
            "discard" | "discard-old" => Some(Self::DiscardOld),
            _ => None,
        }
    }
}

/// Rotates the password of the user the secret names, logged in as that user.
///
/// setSecret logs in with AWSCURRENT first, so a healthy rotation never fails a login. If AWSCURRENT is
/// refused, AWSPENDING is tried (success means a previous run already set it), then AWSPREVIOUS, then the
/// newest unlabelled versions (a password set by a rotation that was later cancelled). The account changed is
/// the one the login matched (`CURRENT_USER()`), never an assumed `'user'@'%'`. On MariaDB the new password
/// travels as a client-computed hash; on MySQL as `ALTER USER … IDENTIFIED BY`, which the server masks in its
/// logs (see the crate documentation).
#[derive(Debug, Clone, Default)]
pub struct SingleUser {
    kit: EngineKit<MySql>,
    retention: PasswordRetention,
}

impl SingleUser {
    /// A rotator with no fault points that replaces the password, as AWS's function does.
    pub fn new() -> Self {
        Self::default()
    }

    /// The rotator the Lambda binary runs: [`PasswordRetention`] from `ROTOR_MYSQL_PASSWORD_RETENTION`.
    pub fn from_env() -> Result<Self, MySqlError> {
        let value = std::env::var(PasswordRetention::VARIABLE).unwrap_or_default();
        let retention = PasswordRetention::parse(&value).ok_or(MySqlFailure::InvalidSetting {
            variable: PasswordRetention::VARIABLE,
            expected: "replace, retain or discard",
        })?;
        Ok(Self::new().password_retention(retention))
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

    /// Chooses what happens to the replaced password.
    #[must_use]
    pub fn password_retention(mut self, retention: PasswordRetention) -> Self {
        self.retention = retention;
        self
    }
}

/// The statements that change `account`'s own password from `old` to `new`.
///
/// - MariaDB: `SET PASSWORD FOR 'user'@'host' = '*<hash>'`. Any account may set its own password this way
///   (`ALTER USER` would need the `CREATE USER` privilege). A login by this client proves the account uses
///   `mysql_native_password`: it is the only password plugin of MariaDB the client speaks.
/// - MySQL 5.7.6+: `ALTER USER 'user'@'host' IDENTIFIED BY '<new>'`, which keeps the account's plugin, with
///   `REPLACE '<old>'` from 8.0.13 (required by `PASSWORD REQUIRE CURRENT` accounts, checked by all) and
///   `RETAIN CURRENT PASSWORD` / `DISCARD OLD PASSWORD` for the dual modes.
pub(crate) fn password_statements(
    version: &ServerVersion,
    account: &Account,
    new: &SecretString,
    old: &SecretString,
    retention: PasswordRetention,
    quoting: Quoting,
) -> Result<Vec<Statement>, MySqlError> {
    if retention != PasswordRetention::Replace && !version.supports_dual_password() {
        return Err(MySqlFailure::DualPasswordUnsupported {
            version: version.to_string(),
        }
        .into());
    }
    let target = quoting.account(account);
    match version.flavour {
        Flavour::MariaDb => {
            let hash = native_password_hash(new);
            Ok(vec![Statement::new(
                "SET PASSWORD",
                format!(
                    "SET PASSWORD FOR {target} = {}",
                    quoting.literal(hash.expose_secret())
                ),
            )])
        }
        Flavour::MySql if !version.supports_alter_user() => Err(MySqlFailure::UnsupportedServer {
            version: version.to_string(),
            reason: "MySQL before 5.7.6 has no ALTER USER … IDENTIFIED BY",
        }
        .into()),
        Flavour::MySql => {
            let mut text = format!(
                "ALTER USER {target} IDENTIFIED BY {}",
                quoting.literal(new.expose_secret())
            );
            if version.supports_replace_clause() {
                text.push_str(&format!(" REPLACE {}", quoting.literal(old.expose_secret())));
            }
            if retention == PasswordRetention::RetainCurrent {
                text.push_str(" RETAIN CURRENT PASSWORD");
            }
            let mut statements = vec![Statement::new("ALTER USER PASSWORD", text)];
            if retention == PasswordRetention::DiscardOld {
                statements.push(Statement::new(
                    "ALTER USER DISCARD OLD PASSWORD",
                    format!("ALTER USER {target} DISCARD OLD PASSWORD"),
                ));
            }
            Ok(statements)
        }
    }
}

/// Sends [`password_statements`] for the session's own account.
async fn change_password(
    session: &mut Session,
    new: &SecretString,
    old: &SecretString,
    retention: PasswordRetention,
) -> Result<(), MySqlError> {
    let statements = password_statements(
        session.version(),
        session.account(),
        new,
        old,
        retention,
        session.quoting(),
    )?;
    for statement in &statements {
        session.execute(statement).await?;
    }
    Ok(())
}

impl Rotator for SingleUser {
    /// The function's name, as in the template and the metrics' `Rotator` dimension.
    fn name(&self) -> &'static str {
        "mysql-single-user"
    }

    fn log_targets(&self) -> &'static [&'static str] {
        MySql::LOG_TARGETS
    }

    /// createSecret: AWSCURRENT with a new password, after checking that AWSCURRENT is a valid MySQL secret
    /// (so a malformed secret fails here and nothing is stored).
    ///
    /// Second run: core finds the pending value and does not call this.
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        self.kit.single_user_pending(ctx).await
    }

    /// setSecret: validates AWSPENDING against AWSCURRENT, logs in (current → pending → previous → recent
    /// versions) and sets the pending password on the account the login matched.
    ///
    /// Second run: AWSCURRENT is refused (one failed login, inherent to single-password rotation),
    /// AWSPENDING logs in, and nothing is changed. With [`PasswordRetention::RetainCurrent`], AWSCURRENT still
    /// logs in, AWSPENDING is tried next and logs in, and nothing is changed.
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let SingleUserLogin {
            pending,
            source,
            password: old_password,
            mut session,
            ..
        } = self.kit.single_user_login(ctx).await?;
        if source == CredentialSource::Pending {
            session.close().await;
            return Ok(());
        }
        if self.retention == PasswordRetention::RetainCurrent && session.version().supports_dual_password() {
            match self.kit.open(&pending, "pending", ctx.deadline()).await {
                Ok(probe) => {
                    tracing::info!(
                        secret_id = ctx.secret_id(),
                        "AWSPENDING already logs in: the password is already set"
                    );
                    probe.close().await;
                    session.close().await;
                    return Ok(());
                }
                Err(error) if error.is_auth_failure() => {}
                Err(error) => return Err(error.into()),
            }
        }
        let changed = change_password(&mut session, &pending.password, &old_password, self.retention).await;
        let (account, version) = (session.account().clone(), *session.version());
        session.close().await;
        changed?;
        tracing::info!(secret_id = ctx.secret_id(), %account, %version, retention = ?self.retention, "password changed");
        Ok(())
    }

    /// testSecret: logs in with AWSPENDING as the user the secret names, over verified TLS unless the secret
    /// disables it. Reads nothing but AWSPENDING. The TLS guarantee is the client's verified handshake, not
    /// the server's view, which a TLS-terminating proxy changes: a password changed by setSecret is never
    /// stranded by a check that a retry cannot pass.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(version: &str, retention: PasswordRetention) -> Result<Vec<String>, MySqlError> {
        let version = ServerVersion::parse(version).unwrap();
        let account = Account::new("app", "10.%");
        let (new, old) = (SecretString::from("n'ew\\pw"), SecretString::from("old-pw"));
        password_statements(&version, &account, &new, &old, retention, Quoting::DEFAULT).map(|statements| {
            statements
                .iter()
                .map(|statement| statement.text().to_owned())
                .collect()
        })
    }

    #[test]
    fn mariadb_sends_only_the_hash_to_the_exact_account() {
        let sent = statements("10.11.19-MariaDB-log", PasswordRetention::Replace).unwrap();
        let hash = native_password_hash(&SecretString::from("n'ew\\pw"));
        assert_eq!(
            sent,
            [format!(
                "SET PASSWORD FOR 'app'@'10.%' = '{}'",
                hash.expose_secret()
            )]
        );
        assert!(!sent[0].contains("pw"));
    }

    #[test]
    fn mysql8_uses_alter_user_with_replace_and_the_dual_password_clauses() {
        assert_eq!(
            statements("8.0.36", PasswordRetention::Replace).unwrap(),
            [r"ALTER USER 'app'@'10.%' IDENTIFIED BY 'n''ew\\pw' REPLACE 'old-pw'"]
        );
        assert_eq!(
            statements("8.0.mysql_aurora.3.05.2", PasswordRetention::RetainCurrent).unwrap(),
            [r"ALTER USER 'app'@'10.%' IDENTIFIED BY 'n''ew\\pw' REPLACE 'old-pw' RETAIN CURRENT PASSWORD"]
        );
        assert_eq!(
            statements("8.4.0", PasswordRetention::DiscardOld).unwrap(),
            [
                r"ALTER USER 'app'@'10.%' IDENTIFIED BY 'n''ew\\pw' REPLACE 'old-pw'",
                "ALTER USER 'app'@'10.%' DISCARD OLD PASSWORD",
            ]
        );
        assert_eq!(
            statements("5.7.44", PasswordRetention::Replace).unwrap(),
            [r"ALTER USER 'app'@'10.%' IDENTIFIED BY 'n''ew\\pw'"],
            "no REPLACE before 8.0.13"
        );
    }

    #[test]
    fn dual_passwords_are_refused_where_the_server_lacks_them() {
        for version in ["10.11.19-MariaDB", "8.0.13", "5.7.mysql_aurora.2.11.2"] {
            assert!(matches!(
                statements(version, PasswordRetention::RetainCurrent),
                Err(MySqlError::Engine(MySqlFailure::DualPasswordUnsupported { .. }))
            ));
        }
        assert!(matches!(
            statements("5.6.51", PasswordRetention::Replace),
            Err(MySqlError::Engine(MySqlFailure::UnsupportedServer { .. }))
        ));
    }

    #[test]
    fn rotators_are_named_like_their_functions() {
        assert_eq!(Rotator::name(&SingleUser::new()), "mysql-single-user");
        assert_eq!(Rotator::name(&crate::AlternatingUsers::new()), "mysql-multi-user");
    }

    #[test]
    fn retention_settings_parse() {
        assert_eq!(PasswordRetention::parse(""), Some(PasswordRetention::Replace));
        assert_eq!(
            PasswordRetention::parse("Retain"),
            Some(PasswordRetention::RetainCurrent)
        );
        assert_eq!(
            PasswordRetention::parse("discard"),
            Some(PasswordRetention::DiscardOld)
        );
        assert_eq!(PasswordRetention::parse("sometimes"), None);
    }
}

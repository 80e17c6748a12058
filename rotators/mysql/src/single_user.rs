//! Single user: the user changes its own password.

use rotor_core::database::{DatabaseSecret, EngineKit, OwnPassword};
use rotor_core::{InvalidSetting, RotatorError, StepContext};
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
/// Rotates the password of the user the secret names, logged in as that user (`mysql-single-user`):
/// rotor-core's [`SingleUser`](rotor_core::database::SingleUser) with MySQL's statements.
///
/// setSecret logs in with AWSCURRENT first, so a healthy rotation never fails a login. If AWSCURRENT is
/// refused, AWSPENDING is tried (success means a previous run already set it), then AWSPREVIOUS, then the
/// newest unlabelled versions (a password set by a rotation that was later cancelled). The account changed is
/// the one the login matched (`CURRENT_USER()`), never an assumed `'user'@'%'`. On MariaDB the new password
/// travels as a client-computed hash; on MySQL as `ALTER USER … IDENTIFIED BY`, which the server masks in its
/// logs (see the crate documentation). With [`PasswordRetention::RetainCurrent`], AWSCURRENT still logs in
/// after the change, so AWSPENDING is tried as well before anything is changed again.
pub type SingleUser = rotor_core::database::SingleUser<MySqlOwnPassword>;

/// MySQL's part of a single-user rotation: the statements that change the logged-in account's own password,
/// and what happens to the password being replaced.
#[derive(Debug, Clone, Copy, Default)]
pub struct MySqlOwnPassword {
    retention: PasswordRetention,
}

impl MySqlOwnPassword {
    /// Replaces the password, or keeps the replaced one as dual-password rotation does.
    pub fn retaining(retention: PasswordRetention) -> Self {
        Self { retention }
    }
}

/// `ROTOR_MYSQL_PASSWORD_RETENTION` is not one of its values.
const INVALID_RETENTION: InvalidSetting = InvalidSetting::new(
    "InvalidSetting.ROTOR_MYSQL_PASSWORD_RETENTION",
    "replace, retain or discard",
);

impl OwnPassword for MySqlOwnPassword {
    type Engine = MySql;
    const FUNCTION: &'static str = "mysql-single-user";
    const EXCLUDE_CHARACTERS: &'static str = rotor_core::password::DEFAULT_EXCLUDE_CHARACTERS;

    /// [`PasswordRetention`] from `ROTOR_MYSQL_PASSWORD_RETENTION`.
    fn from_env() -> Result<Self, InvalidSetting> {
        let value = std::env::var(PasswordRetention::VARIABLE).unwrap_or_default();
        PasswordRetention::parse(&value)
            .map(Self::retaining)
            .ok_or(INVALID_RETENTION)
    }

    async fn change_own_password(
        &self,
        ctx: &StepContext<'_>,
        kit: &EngineKit<MySql>,
        session: &mut Session,
        pending: &DatabaseSecret,
        old: &SecretString,
    ) -> Result<(), RotatorError> {
        if self.retention == PasswordRetention::RetainCurrent && session.version().supports_dual_password() {
            match kit.open(pending, "pending", ctx.deadline()).await {
                Ok(probe) => {
                    tracing::info!(
                        secret_id = ctx.secret_id(),
                        "AWSPENDING already logs in: the password is already set"
                    );
                    probe.close().await;
                    return Ok(());
                }
                Err(error) if error.is_auth_failure() => {}
                Err(error) => return Err(error.into()),
            }
        }
        change_password(session, &pending.password, old, self.retention).await?;
        tracing::info!(
            secret_id = ctx.secret_id(),
            account = %session.account(),
            version = %session.version(),
            retention = ?self.retention,
            "password changed"
        );
        Ok(())
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
        use rotor_core::Rotator;
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
        assert_eq!(
            rotor_core::Classify::error_type(&INVALID_RETENTION),
            "InvalidSetting.ROTOR_MYSQL_PASSWORD_RETENTION"
        );
        assert_eq!(INVALID_RETENTION.variable(), PasswordRetention::VARIABLE);
    }
}

//! What can go wrong talking to MySQL or MariaDB: the kit's shared errors, named `MySql…`, plus the ones
//! only MySQL has.
//!
//! No variant holds a password, a password hash or the text of a statement. Server messages are dropped
//! altogether: a syntax error (1064) quotes the statement "near '…'", and `SHOW GRANTS` rows carry the
//! account's hash, so only the error number, the SQLSTATE and rotor's own label for the operation are kept.

use rotor_core::database::{DatabaseError, ServerCode};
use rotor_core::{Classify, ErrorClass};

use crate::engine::MySql;
use crate::flavour::Flavour;

/// A MySQL/MariaDB rotator failure: rotor-core's [`DatabaseError`] with MySQL's error names
/// (`MySqlAuthFailed`, `MySqlStatementFailed`, …) and [`MySqlFailure`] for the rest.
pub type MySqlError = DatabaseError<MySql>;

/// The failures only the MySQL and MariaDB rotators have.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MySqlFailure {
    /// The account is locked: `ACCOUNT LOCK` (MySQL 3118, MariaDB 4151), blocked after too many failed logins
    /// by `FAILED_LOGIN_ATTEMPTS`/`PASSWORD_LOCK_TIME` (MySQL 3955) or by `max_password_errors` (MariaDB
    /// 4150). Permanent: no other stored credential is tried, since each refused attempt would count against
    /// the lockout policy again.
    #[error("the {login} login's account is locked (error {code}); no other credential is tried")]
    AccountLocked {
        /// Which credential.
        login: String,
        /// The server's error number.
        code: u16,
    },
    /// The server is too old for the statements rotor needs.
    #[error("{version} is not supported: {reason}")]
    UnsupportedServer {
        /// The parsed version.
        version: String,
        /// What is missing.
        reason: &'static str,
    },
    /// The account's authentication plugin cannot be rotated by rotor.
    #[error("accounts using the {plugin} plugin cannot be rotated on {flavour}")]
    UnsupportedPlugin {
        /// The server flavour.
        flavour: Flavour,
        /// The plugin name.
        plugin: String,
    },
    /// Dual-password rotation was configured, but the server has no `RETAIN CURRENT PASSWORD`.
    #[error("dual-password rotation needs MySQL 8.0.14 or later; the server is {version}")]
    DualPasswordUnsupported {
        /// The parsed version.
        version: String,
    },
    /// An account the rotation relies on does not exist.
    #[error("account {account} does not exist")]
    AccountMissing {
        /// The account, as `'user'@'host'`.
        account: String,
    },
    /// Alternating users: AWSPENDING names the original, but no stored credential of this secret (AWSPENDING,
    /// AWSPREVIOUS or a recent version, on AWSPENDING's connection) is accepted by it. Writing a secret proves
    /// nothing, so the master does not change an account this secret cannot show it holds.
    #[error(
        "account {account} accepts no stored credential of this secret; the master never changes an account it cannot prove to be this secret's"
    )]
    NotOurOriginal {
        /// The account, as `'user'@'host'`.
        account: String,
    },
    /// Alternating users: a user of the pair has an account at another host than the one AWSCURRENT logged in
    /// to. Rotating one host row would leave the clients that match the other row behind, so nothing changes.
    #[error(
        "account {account} shares its user name with the rotated account at host {host:?}; rotor rotates users with exactly one host row"
    )]
    OtherHostRow {
        /// The other account, as `'user'@'host'`.
        account: String,
        /// The host AWSCURRENT's login matched.
        host: String,
    },
    /// Alternating users: the master session authenticated as one of the two users this secret rotates, so
    /// the master would change its own password.
    #[error(
        "the master session is account {account}, one of the users this secret rotates; the master never rotates itself"
    )]
    MasterInPair {
        /// The master's account, as `'user'@'host'`.
        account: String,
    },
    /// The master does not hold a global privilege every alternating-users rotation uses.
    #[error(
        "the master {account} lacks {privilege}, which alternating users needs to create, alter and grant the users"
    )]
    MasterLacksPrivilege {
        /// The master's account, as `'user'@'host'`.
        account: String,
        /// The missing privilege, e.g. `CREATE USER ON *.*`.
        privilege: &'static str,
    },
    /// A `SHOW GRANTS` row could not be understood, so the grants cannot be mirrored faithfully.
    #[error("row {row} of SHOW GRANTS for {account} is not understood: {reason}")]
    GrantsNotUnderstood {
        /// The account whose grants were read.
        account: String,
        /// 1-based row number (the row itself is not shown: it can hold a password hash).
        row: usize,
        /// What could not be parsed.
        reason: &'static str,
    },
}

impl From<MySqlFailure> for MySqlError {
    fn from(failure: MySqlFailure) -> Self {
        Self::Engine(failure)
    }
}

/// The login errors of a locked or blocked account: MySQL's `ACCOUNT LOCK` (3118) and `FAILED_LOGIN_ATTEMPTS`
/// block (3955), MariaDB's `ACCOUNT LOCK` (4151) and `max_password_errors` block (4150).
pub(crate) const ACCOUNT_LOCKED_CODES: [u16; 4] = [3118, 3955, 4150, 4151];

/// The class of a server error: refused credentials, conditions a retry can clear (locks, load, shutdown,
/// timeouts, resource limits), and everything else, which needs a human.
pub(crate) fn server_error_class(code: &ServerCode) -> ErrorClass {
    match code.number {
        // ER_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR.
        Some(1045 | 1698) => ErrorClass::AuthFailure,
        // Too many connections, out of resources, user limits, lock wait, deadlock, shutdown, killed,
        // statement time limits (MySQL 3024, MariaDB 1969), read-only during failover.
        Some(
            1040 | 1041 | 1203 | 1205 | 1213 | 1226 | 1053 | 1077 | 1078 | 1079 | 1080 | 1152 | 1153 | 1154
            | 1155 | 1156 | 1157 | 1158 | 1159 | 1160 | 1161 | 1927 | 1969 | 3024 | 1290 | 1836,
        ) => ErrorClass::Transient,
        _ => ErrorClass::Permanent,
    }
}

impl Classify for MySqlFailure {
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::AccountLocked { .. } => "MySqlAccountLocked",
            Self::UnsupportedServer { .. } => "MySqlUnsupportedServer",
            Self::UnsupportedPlugin { .. } => "MySqlUnsupportedPlugin",
            Self::DualPasswordUnsupported { .. } => "MySqlDualPasswordUnsupported",
            Self::AccountMissing { .. } => "MySqlAccountMissing",
            Self::MasterLacksPrivilege { .. } => "MySqlMasterLacksPrivilege",
            Self::NotOurOriginal { .. } => "MySqlNotOurOriginal",
            Self::OtherHostRow { .. } => "MySqlOtherHostRow",
            Self::MasterInPair { .. } => "MySqlMasterInPair",
            Self::GrantsNotUnderstood { .. } => "MySqlGrantsNotUnderstood",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(number: u16) -> ErrorClass {
        server_error_class(&ServerCode::numbered(number, "HY000"))
    }

    #[test]
    fn server_errors_are_classified_by_what_a_retry_can_do() {
        assert_eq!(class(1045), ErrorClass::AuthFailure);
        assert_eq!(class(1698), ErrorClass::AuthFailure);
        assert_eq!(class(1205), ErrorClass::Transient);
        assert_eq!(class(1040), ErrorClass::Transient);
        assert_eq!(class(1064), ErrorClass::Permanent);
        assert_eq!(
            class(1044),
            ErrorClass::Permanent,
            "no access to the database is not a wrong password"
        );
        assert_eq!(class(1227), ErrorClass::Permanent);
    }

    #[test]
    fn a_locked_account_is_permanent_so_no_older_credential_is_tried() {
        for code in ACCOUNT_LOCKED_CODES {
            let locked = MySqlError::from(MySqlFailure::AccountLocked {
                login: "current".into(),
                code,
            });
            assert_eq!(locked.class(), ErrorClass::Permanent, "{code}");
            assert!(!locked.is_auth_failure());
            assert_eq!(locked.error_type(), "MySqlAccountLocked");
        }
    }

    #[test]
    fn statement_errors_never_carry_the_servers_message() {
        let error = MySqlError::Statement {
            operation: "ALTER USER",
            code: ServerCode::numbered(1064, "42000"),
            message: None,
        };
        assert_eq!(
            error.to_string(),
            "ALTER USER failed (error 1064, SQLSTATE 42000)"
        );
        assert_eq!(error.class(), ErrorClass::Permanent);
        assert_eq!(error.error_type(), "MySqlStatementFailed");
        let denied = MySqlError::Statement {
            operation: "GRANT role",
            code: ServerCode::numbered(1698, "28000"),
            message: None,
        };
        assert_eq!(
            denied.class(),
            ErrorClass::Permanent,
            "a missing privilege is not a refused credential"
        );
        let refused = MySqlError::login_refused("current", ServerCode::numbered(1045, "28000"), None);
        assert_eq!(refused.error_type(), "MySqlAuthFailed");
        assert!(refused.is_auth_failure());
    }
}

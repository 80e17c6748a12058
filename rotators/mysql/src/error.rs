//! What can go wrong talking to MySQL or MariaDB, classified for the state machine.
//!
//! No variant holds a password, a password hash or the text of a statement. Server messages are dropped
//! altogether: a syntax error (1064) quotes the statement "near '…'", and `SHOW GRANTS` rows carry the
//! account's hash, so only the error number, the SQLSTATE and rotor's own label for the operation are kept.

use rotor_core::database::CaBundleError;
use rotor_core::fault::InjectedFault;
use rotor_core::{Classify, ErrorClass};

use crate::flavour::Flavour;

/// A MySQL/MariaDB rotator failure. Every variant names the login or the operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MySqlError {
    /// The server refused the credential (error 1045, or 1698 for a socket-only account).
    #[error("the server refused the {login} credential (error {code})")]
    AuthFailed {
        /// Which credential: `current`, `pending`, `master`, …
        login: String,
        /// The server's error number.
        code: u16,
    },
    /// The server could not be reached, or the connection broke.
    #[error("could not reach the server for the {login} login: {reason}")]
    Unreachable {
        /// Which credential or session.
        login: String,
        /// What the operating system said.
        reason: String,
    },
    /// TLS is required, but the server does not offer it. rotor never falls back to plaintext.
    #[error(
        "the server does not offer TLS for the {login} login; set \"ssl\": false in the secret to allow plaintext"
    )]
    TlsUnavailable {
        /// Which credential.
        login: String,
    },
    /// The TLS handshake failed: an untrusted certificate, a host name mismatch, …
    #[error("TLS handshake for the {login} login failed: {reason}")]
    TlsHandshake {
        /// Which credential.
        login: String,
        /// What rustls said.
        reason: String,
    },
    /// The extra CA bundle (`ssl_ca` or `ROTOR_CA_BUNDLE`) cannot be used.
    #[error("TLS configuration: {0}")]
    CaBundle(#[from] CaBundleError),
    /// The server rejected the connection after authentication (unknown database, too many connections,
    /// …).
    #[error("the server rejected the {login} connection (error {code}, SQLSTATE {sqlstate})")]
    ConnectRejected {
        /// Which credential.
        login: String,
        /// The server's error number.
        code: u16,
        /// The SQLSTATE.
        sqlstate: String,
    },
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
    /// The driver failed before the server answered (protocol or configuration problem).
    #[error("connecting with the {login} credential failed: {reason}")]
    ConnectFailed {
        /// Which credential.
        login: String,
        /// What the driver said (never a value).
        reason: &'static str,
    },
    /// A statement failed. The server's message is never kept: it can quote the statement.
    #[error("{operation} failed (error {code}, SQLSTATE {sqlstate})")]
    Statement {
        /// The operation label, e.g. `ALTER USER`.
        operation: &'static str,
        /// The server's error number.
        code: u16,
        /// The SQLSTATE.
        sqlstate: String,
    },
    /// The connection broke while a statement ran, or the driver could not read the answer.
    #[error("{operation} failed: {reason}")]
    StatementInterrupted {
        /// The operation label.
        operation: &'static str,
        /// What went wrong (never a value).
        reason: String,
    },
    /// A query answered with something rotor cannot use.
    #[error("{operation} returned an unexpected result: {reason}")]
    UnexpectedResult {
        /// The operation label.
        operation: &'static str,
        /// What was expected.
        reason: String,
    },
    /// The invocation deadline passed during an operation.
    #[error("{operation} did not finish before the invocation deadline")]
    DeadlineExceeded {
        /// The operation label.
        operation: String,
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
    /// A user name is longer than the server or `USERNAME_CHARACTER_LIMIT` allows.
    #[error("user name {username:?} is longer than {limit} characters")]
    UsernameTooLong {
        /// The name.
        username: String,
        /// The limit that applies.
        limit: usize,
    },
    /// The session authenticated as a different account than the secret names (an anonymous account, a
    /// proxy user, …).
    #[error("the {login} login authenticated as user {actual:?}, not {expected:?}")]
    WrongUser {
        /// Which credential.
        login: String,
        /// The secret's username.
        expected: String,
        /// The user part of `CURRENT_USER()`.
        actual: String,
    },
    /// Alternating users: AWSCURRENT does not log in, so this secret proves no right to its users.
    #[error("AWSCURRENT does not log in; refusing to let the master change users on behalf of this secret")]
    CurrentRefused,
    /// An account the rotation relies on does not exist.
    #[error("account {account} does not exist")]
    AccountMissing {
        /// The account, as `'user'@'host'`.
        account: String,
    },
    /// An existing account has the alternate user's name but is not provably the alternate.
    #[error(
        "account {account} exists but is not provably the alternate of this secret's user; it is never taken over"
    )]
    NotOurAlternate {
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
    /// An environment variable of the Lambda function has a value rotor does not understand.
    #[error("{variable} must be {expected}")]
    InvalidSetting {
        /// The variable.
        variable: &'static str,
        /// The accepted values.
        expected: &'static str,
    },
    /// A fault injected by a test.
    #[error(transparent)]
    Injected(#[from] InjectedFault),
}

impl MySqlError {
    /// Whether this is a refused credential: the only kind of failure that lets a caller try the next
    /// stored credential.
    pub fn is_auth_failure(&self) -> bool {
        self.class() == ErrorClass::AuthFailure
    }
}

/// The login errors of a locked or blocked account: MySQL's `ACCOUNT LOCK` (3118) and `FAILED_LOGIN_ATTEMPTS`
/// block (3955), MariaDB's `ACCOUNT LOCK` (4151) and `max_password_errors` block (4150).
pub(crate) const ACCOUNT_LOCKED_CODES: [u16; 4] = [3118, 3955, 4150, 4151];

/// The class of a server error number: refused credentials, conditions a retry can clear (locks, load,
/// shutdown, timeouts, resource limits), and everything else, which needs a human.
pub(crate) fn server_error_class(code: u16) -> ErrorClass {
    match code {
        // ER_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR.
        1045 | 1698 => ErrorClass::AuthFailure,
        // Too many connections, out of resources, user limits, lock wait, deadlock, shutdown, killed,
        // statement time limits (MySQL 3024, MariaDB 1969), read-only during failover.
        1040 | 1041 | 1203 | 1205 | 1213 | 1226 | 1053 | 1077 | 1078 | 1079 | 1080 | 1152 | 1153 | 1154
        | 1155 | 1156 | 1157 | 1158 | 1159 | 1160 | 1161 | 1927 | 1969 | 3024 | 1290 | 1836 => {
            ErrorClass::Transient
        }
        _ => ErrorClass::Permanent,
    }
}

/// `InvalidSetting.<VARIABLE>`, the scheme every rotor function reports configuration errors in.
fn invalid_setting_type(variable: &str) -> &'static str {
    match variable {
        crate::alternating_users::USERNAME_CHARACTER_LIMIT => "InvalidSetting.USERNAME_CHARACTER_LIMIT",
        crate::single_user::PasswordRetention::VARIABLE => "InvalidSetting.ROTOR_MYSQL_PASSWORD_RETENTION",
        _ => "InvalidSetting",
    }
}

impl Classify for MySqlError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::AuthFailed { .. } | Self::CurrentRefused => ErrorClass::AuthFailure,
            Self::Unreachable { .. }
            | Self::StatementInterrupted { .. }
            | Self::DeadlineExceeded { .. }
            | Self::Injected(_) => ErrorClass::Transient,
            Self::ConnectRejected { code, .. } => server_error_class(*code),
            // After login, "access denied" is a missing privilege, not a refused credential.
            Self::Statement { code, .. } => match server_error_class(*code) {
                ErrorClass::AuthFailure => ErrorClass::Permanent,
                class => class,
            },
            _ => ErrorClass::Permanent,
        }
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::AuthFailed { .. } => "MySqlAuthFailed",
            Self::Unreachable { .. } => "MySqlUnreachable",
            Self::TlsUnavailable { .. } => "MySqlTlsUnavailable",
            Self::TlsHandshake { .. } => "MySqlTlsHandshake",
            Self::CaBundle(_) => "MySqlTlsConfig",
            Self::ConnectRejected { .. } => "MySqlConnectRejected",
            Self::ConnectFailed { .. } => "MySqlConnectFailed",
            Self::Statement { .. } => "MySqlStatementFailed",
            Self::StatementInterrupted { .. } => "MySqlStatementInterrupted",
            Self::UnexpectedResult { .. } => "MySqlUnexpectedResult",
            Self::DeadlineExceeded { .. } => "MySqlDeadlineExceeded",
            Self::UnsupportedServer { .. } => "MySqlUnsupportedServer",
            Self::UnsupportedPlugin { .. } => "MySqlUnsupportedPlugin",
            Self::DualPasswordUnsupported { .. } => "MySqlDualPasswordUnsupported",
            Self::UsernameTooLong { .. } => "MySqlUsernameTooLong",
            Self::WrongUser { .. } => "MySqlWrongUser",
            Self::CurrentRefused => "MySqlCurrentRefused",
            Self::AccountMissing { .. } => "MySqlAccountMissing",
            Self::NotOurAlternate { .. } => "MySqlNotOurAlternate",
            Self::GrantsNotUnderstood { .. } => "MySqlGrantsNotUnderstood",
            Self::AccountLocked { .. } => "MySqlAccountLocked",
            Self::NotOurOriginal { .. } => "MySqlNotOurOriginal",
            Self::OtherHostRow { .. } => "MySqlOtherHostRow",
            Self::MasterInPair { .. } => "MySqlMasterInPair",
            Self::InvalidSetting { variable, .. } => invalid_setting_type(variable),
            Self::Injected(fault) => fault.error_type(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_settings_name_their_variable_in_the_error_type() {
        let invalid = |variable| MySqlError::InvalidSetting {
            variable,
            expected: "a positive whole number",
        };
        assert_eq!(
            invalid("USERNAME_CHARACTER_LIMIT").error_type(),
            "InvalidSetting.USERNAME_CHARACTER_LIMIT"
        );
        assert_eq!(
            invalid("ROTOR_MYSQL_PASSWORD_RETENTION").error_type(),
            "InvalidSetting.ROTOR_MYSQL_PASSWORD_RETENTION"
        );
        assert_eq!(invalid("USERNAME_CHARACTER_LIMIT").class(), ErrorClass::Permanent);
    }

    #[test]
    fn server_errors_are_classified_by_what_a_retry_can_do() {
        assert_eq!(server_error_class(1045), ErrorClass::AuthFailure);
        assert_eq!(server_error_class(1698), ErrorClass::AuthFailure);
        assert_eq!(server_error_class(1205), ErrorClass::Transient);
        assert_eq!(server_error_class(1040), ErrorClass::Transient);
        assert_eq!(server_error_class(1064), ErrorClass::Permanent);
        assert_eq!(
            server_error_class(1044),
            ErrorClass::Permanent,
            "no access to the database is not a wrong password"
        );
        assert_eq!(server_error_class(1227), ErrorClass::Permanent);
    }

    #[test]
    fn a_locked_account_is_permanent_so_no_older_credential_is_tried() {
        for code in ACCOUNT_LOCKED_CODES {
            let locked = MySqlError::AccountLocked {
                login: "current".into(),
                code,
            };
            assert_eq!(locked.class(), ErrorClass::Permanent, "{code}");
            assert!(!locked.is_auth_failure());
            assert_eq!(locked.error_type(), "MySqlAccountLocked");
        }
    }

    #[test]
    fn statement_errors_never_carry_the_servers_message() {
        let error = MySqlError::Statement {
            operation: "ALTER USER",
            code: 1064,
            sqlstate: "42000".into(),
        };
        assert_eq!(
            error.to_string(),
            "ALTER USER failed (error 1064, SQLSTATE 42000)"
        );
        assert_eq!(error.class(), ErrorClass::Permanent);
        assert_eq!(error.error_type(), "MySqlStatementFailed");
        let denied = MySqlError::Statement {
            operation: "GRANT role",
            code: 1698,
            sqlstate: "28000".into(),
        };
        assert_eq!(
            denied.class(),
            ErrorClass::Permanent,
            "a missing privilege is not a refused credential"
        );
    }
}

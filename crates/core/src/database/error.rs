//! What can go wrong talking to any database, named and classified once for every engine.
//!
//! [`DatabaseError`] holds what every engine shares: logging in, TLS, statements, the deadline
//! and the checks rotor makes before it changes a user. An engine adds its own variants through
//! [`Engine::Error`](super::Engine::Error), classifies its server's error codes with
//! [`Engine::classify`](super::Engine::classify) (the role of sqlx's `DatabaseError::kind()`), and
//! names the shared variants with a prefix of its own ([`database_error_types!`]):
//! `PostgresAuthFailed`, `MySqlAuthFailed`, …
//!
//! No variant holds a password, a verifier or hash, or the text of a statement that carried one.
//! Server messages are kept only where the engine says they cannot echo such a statement.

use std::fmt;

use crate::error::{Classify, ErrorClass};
use crate::fault::InjectedFault;

use super::engine::Engine;
use super::tls::CaBundleError;
use super::username::UsernameLimit;

/// A server's error code: PostgreSQL's SQLSTATE, or MySQL's error number with its SQLSTATE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCode {
    /// The server's error number, for engines that have one (MySQL's `1045`).
    pub number: Option<u16>,
    /// The five-character SQLSTATE.
    pub sqlstate: String,
}

impl ServerCode {
    /// A code that is a SQLSTATE alone (PostgreSQL).
    pub fn sqlstate(sqlstate: impl Into<String>) -> Self {
        Self {
            number: None,
            sqlstate: sqlstate.into(),
        }
    }

    /// An error number with its SQLSTATE (MySQL).
    pub fn numbered(number: u16, sqlstate: impl Into<String>) -> Self {
        Self {
            number: Some(number),
            sqlstate: sqlstate.into(),
        }
    }
}

impl fmt::Display for ServerCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number {
            Some(number) => write!(f, "error {number}, SQLSTATE {}", self.sqlstate),
            None => write!(f, "SQLSTATE {}", self.sqlstate),
        }
    }
}

/// The Lambda `errorType` of each shared variant for one engine. Build it with
/// [`database_error_types!`](crate::database_error_types), which prefixes every name with the
/// engine's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorTypes {
    /// [`DatabaseError::AuthFailed`].
    pub auth_failed: &'static str,
    /// [`DatabaseError::Unreachable`].
    pub unreachable: &'static str,
    /// [`DatabaseError::TlsUnavailable`].
    pub tls_unavailable: &'static str,
    /// [`DatabaseError::TlsHandshake`].
    pub tls_handshake: &'static str,
    /// [`DatabaseError::TlsConfig`] and [`DatabaseError::CaBundle`].
    pub tls_config: &'static str,
    /// [`DatabaseError::ConnectRejected`].
    pub connect_rejected: &'static str,
    /// [`DatabaseError::ConnectFailed`].
    pub connect_failed: &'static str,
    /// [`DatabaseError::Statement`].
    pub statement_failed: &'static str,
    /// [`DatabaseError::StatementInterrupted`].
    pub statement_interrupted: &'static str,
    /// [`DatabaseError::UnexpectedResult`].
    pub unexpected_result: &'static str,
    /// [`DatabaseError::DeadlineExceeded`].
    pub deadline_exceeded: &'static str,
    /// [`DatabaseError::CurrentRefused`].
    pub current_refused: &'static str,
    /// [`DatabaseError::NotOurAlternate`].
    pub not_our_alternate: &'static str,
    /// [`DatabaseError::WrongUser`].
    pub wrong_user: &'static str,
    /// [`DatabaseError::UsernameTooLong`].
    pub username_too_long: &'static str,
}

/// The [`ErrorTypes`] of an engine whose names start with `$prefix`:
/// `database_error_types!("Postgres")` names [`DatabaseError::AuthFailed`] `PostgresAuthFailed`.
#[macro_export]
macro_rules! database_error_types {
    ($prefix:literal) => {
        $crate::database::ErrorTypes {
            auth_failed: concat!($prefix, "AuthFailed"),
            unreachable: concat!($prefix, "Unreachable"),
            tls_unavailable: concat!($prefix, "TlsUnavailable"),
            tls_handshake: concat!($prefix, "TlsHandshake"),
            tls_config: concat!($prefix, "TlsConfig"),
            connect_rejected: concat!($prefix, "ConnectRejected"),
            connect_failed: concat!($prefix, "ConnectFailed"),
            statement_failed: concat!($prefix, "StatementFailed"),
            statement_interrupted: concat!($prefix, "StatementInterrupted"),
            unexpected_result: concat!($prefix, "UnexpectedResult"),
            deadline_exceeded: concat!($prefix, "DeadlineExceeded"),
            current_refused: concat!($prefix, "CurrentRefused"),
            not_our_alternate: concat!($prefix, "NotOurAlternate"),
            wrong_user: concat!($prefix, "WrongUser"),
            username_too_long: concat!($prefix, "UsernameTooLong"),
        }
    };
}

/// A failure of engine `E`. Every variant names the login or the operation that failed.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError<E: Engine> {
    /// The server refused the credential.
    #[error("{} refused the {login} credential ({code})", E::NAME)]
    AuthFailed {
        /// Which credential: `current`, `pending`, `master`, …
        login: String,
        /// What the server sent.
        code: ServerCode,
    },
    /// The server could not be reached, or the connection broke while logging in.
    #[error("could not reach {} for the {login} login: {reason}", E::NAME)]
    Unreachable {
        /// Which credential or session.
        login: String,
        /// What the driver or the operating system said.
        reason: String,
    },
    /// TLS is required, but the server does not offer it. rotor never falls back to plaintext.
    #[error(
        "{} does not offer TLS for the {login} login; set \"ssl\": false in the secret to allow plaintext",
        E::NAME
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
    /// The trusted CA certificates could not be made into a TLS configuration.
    #[error("TLS configuration: {reason}")]
    TlsConfig {
        /// What is wrong with the roots or the TLS provider.
        reason: String,
    },
    /// The extra CA bundle (`ssl_ca` or `ROTOR_CA_BUNDLE`) cannot be used.
    #[error("TLS configuration: {0}")]
    CaBundle(#[from] CaBundleError),
    /// The server rejected the connection for another reason than the credential (an unknown
    /// database, too many connections, …).
    #[error("{} rejected the {login} connection ({code}){}", E::NAME, suffix(message.as_deref()))]
    ConnectRejected {
        /// Which credential.
        login: String,
        /// What the server sent.
        code: ServerCode,
        /// The server's message, when the engine knows it cannot quote a secret.
        message: Option<String>,
    },
    /// The driver failed before the server answered (a protocol or configuration problem).
    #[error("connecting with the {login} credential failed: {reason}")]
    ConnectFailed {
        /// Which credential.
        login: String,
        /// What the driver said (never a value).
        reason: String,
    },
    /// A statement failed on the server.
    #[error("{operation} failed ({code}){}", suffix(message.as_deref()))]
    Statement {
        /// rotor's label for the operation, e.g. `ALTER ROLE PASSWORD`.
        operation: &'static str,
        /// What the server sent.
        code: ServerCode,
        /// The server's message, only for statements that carry no secret.
        message: Option<String>,
    },
    /// The connection broke while a statement ran, or the driver could not read the answer.
    #[error("{operation} failed: {reason}")]
    StatementInterrupted {
        /// The operation's label.
        operation: &'static str,
        /// What went wrong (never a value).
        reason: String,
    },
    /// A query answered with something rotor cannot use.
    #[error("{operation} returned an unexpected result: {reason}")]
    UnexpectedResult {
        /// The operation's label.
        operation: &'static str,
        /// What was expected.
        reason: String,
    },
    /// The invocation deadline passed during an operation.
    #[error("{operation} did not finish before the invocation deadline")]
    DeadlineExceeded {
        /// The operation's label.
        operation: String,
    },
    /// Alternating users: AWSCURRENT does not log in, so this secret proves no right to its users.
    #[error("AWSCURRENT does not log in; refusing to let the master change users on behalf of this secret")]
    CurrentRefused,
    /// An existing user has the alternate's name but is not provably the alternate.
    #[error(
        "{account} exists but is not provably the alternate of this secret's user ({reason}); it is never taken over"
    )]
    NotOurAlternate {
        /// The existing user, as the engine names accounts (`"app_clone"`, `'app_clone'@'%'`).
        account: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The session authenticated as a different user than the secret names (an anonymous
    /// account, a proxy user, …): nothing is ever changed through it.
    #[error("the {login} login authenticated as user {actual:?}, not {expected:?}")]
    WrongUser {
        /// Which credential.
        login: String,
        /// The secret's username.
        expected: String,
        /// The user the server reports.
        actual: String,
    },
    /// A user name is longer than the engine, the server or `USERNAME_CHARACTER_LIMIT` allows.
    #[error("user name {username:?} is longer than {limit}")]
    UsernameTooLong {
        /// The name.
        username: String,
        /// The limit that applies.
        limit: UsernameLimit,
    },
    /// A fault injected by a test.
    #[error(transparent)]
    Injected(#[from] InjectedFault),
    /// A failure only this engine has.
    #[error(transparent)]
    Engine(E::Error),
}

/// `": message"`, or nothing.
fn suffix(message: Option<&str>) -> String {
    message.map(|text| format!(": {text}")).unwrap_or_default()
}

impl<E: Engine> DatabaseError<E> {
    /// The server refused a login with `code`: [`AuthFailed`](Self::AuthFailed) when the engine
    /// classifies the code as a refused credential, [`ConnectRejected`](Self::ConnectRejected)
    /// otherwise.
    pub fn login_refused(login: &str, code: ServerCode, message: Option<String>) -> Self {
        if E::classify(&code) == ErrorClass::AuthFailure {
            Self::AuthFailed {
                login: login.to_owned(),
                code,
            }
        } else {
            Self::ConnectRejected {
                login: login.to_owned(),
                code,
                message,
            }
        }
    }

    /// [`UnexpectedResult`](Self::UnexpectedResult) for `operation`.
    pub fn unexpected(operation: &'static str, reason: impl Into<String>) -> Self {
        Self::UnexpectedResult {
            operation,
            reason: reason.into(),
        }
    }

    /// Whether this is a refused credential: the only kind of failure that lets a caller try the
    /// next stored credential.
    pub fn is_auth_failure(&self) -> bool {
        self.class() == ErrorClass::AuthFailure
    }
}

impl<E: Engine> fmt::Debug for DatabaseError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No variant holds a secret; the `Display` text names the variant's facts compactly.
        write!(f, "{}({self})", self.error_type())
    }
}

impl<E: Engine> Classify for DatabaseError<E> {
    /// Refused credentials are [`ErrorClass::AuthFailure`]; a broken connection, the deadline and
    /// an injected fault are transient; server codes are classified by the engine. An
    /// authentication-class code sent in answer to a statement is a missing privilege of a
    /// session that did log in, so it is permanent: it must never send a caller on to the next
    /// stored credential.
    fn class(&self) -> ErrorClass {
        match self {
            Self::AuthFailed { .. } | Self::CurrentRefused => ErrorClass::AuthFailure,
            Self::Unreachable { .. }
            | Self::StatementInterrupted { .. }
            | Self::DeadlineExceeded { .. }
            | Self::Injected(_) => ErrorClass::Transient,
            Self::ConnectRejected { code, .. } | Self::Statement { code, .. } => match E::classify(code) {
                ErrorClass::AuthFailure => ErrorClass::Permanent,
                class => class,
            },
            Self::Engine(error) => error.class(),
            _ => ErrorClass::Permanent,
        }
    }

    fn error_type(&self) -> &'static str {
        let types = &E::ERROR_TYPES;
        match self {
            Self::AuthFailed { .. } => types.auth_failed,
            Self::Unreachable { .. } => types.unreachable,
            Self::TlsUnavailable { .. } => types.tls_unavailable,
            Self::TlsHandshake { .. } => types.tls_handshake,
            Self::TlsConfig { .. } | Self::CaBundle(_) => types.tls_config,
            Self::ConnectRejected { .. } => types.connect_rejected,
            Self::ConnectFailed { .. } => types.connect_failed,
            Self::Statement { .. } => types.statement_failed,
            Self::StatementInterrupted { .. } => types.statement_interrupted,
            Self::UnexpectedResult { .. } => types.unexpected_result,
            Self::DeadlineExceeded { .. } => types.deadline_exceeded,
            Self::CurrentRefused => types.current_refused,
            Self::NotOurAlternate { .. } => types.not_our_alternate,
            Self::WrongUser { .. } => types.wrong_user,
            Self::UsernameTooLong { .. } => types.username_too_long,
            Self::Injected(fault) => fault.error_type(),
            Self::Engine(error) => error.error_type(),
        }
    }
}

//! What can go wrong talking to PostgreSQL, classified for the state machine.
//!
//! No variant holds a password, a SCRAM verifier or the text of a statement that carried one.
//! Server messages are kept only where they cannot echo such a statement: during connection
//! set-up, and for statements that carry no secret.

use rotor_core::database::CaBundleError;
use rotor_core::fault::InjectedFault;
use rotor_core::{Classify, ErrorClass};

/// A PostgreSQL rotator failure. Every variant names the login or the operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The server refused the credential (SQLSTATE 28P01 or 28000).
    #[error("PostgreSQL refused the {login} credential (SQLSTATE {sqlstate})")]
    AuthFailed {
        /// Which credential: `current`, `pending`, `master`, ...
        login: String,
        /// The SQLSTATE the server sent.
        sqlstate: String,
    },
    /// The server could not be reached, or the connection broke (network, shutdown, timeout).
    #[error("could not reach PostgreSQL for the {login} login: {reason}")]
    Unreachable {
        /// Which credential or session.
        login: String,
        /// What the driver or the operating system said.
        reason: String,
    },
    /// TLS is required, but the server does not offer it. rotor never falls back to plaintext.
    #[error(
        "PostgreSQL does not offer TLS for the {login} login; set \"ssl\": false in the secret to allow plaintext"
    )]
    TlsUnavailable {
        /// Which credential.
        login: String,
    },
    /// The TLS handshake failed: an untrusted certificate, a host name mismatch, ...
    #[error("TLS handshake for the {login} login failed: {reason}")]
    TlsHandshake {
        /// Which credential.
        login: String,
        /// What rustls said.
        reason: String,
    },
    /// The trusted CA certificates could not be assembled into a rustls configuration.
    #[error("TLS configuration: {reason}")]
    TlsConfig {
        /// What is wrong with the roots or the TLS provider.
        reason: String,
    },
    /// The extra CA bundle (`ssl_ca` or `ROTOR_CA_BUNDLE`) cannot be used.
    #[error("TLS configuration: {0}")]
    CaBundle(#[from] CaBundleError),
    /// The server rejected the connection for another reason (unknown database, too many
    /// connections, ...). Connection set-up sends no SQL, so the message is safe to keep.
    #[error("PostgreSQL rejected the {login} connection (SQLSTATE {sqlstate}): {message}")]
    ConnectRejected {
        /// Which credential.
        login: String,
        /// The SQLSTATE.
        sqlstate: String,
        /// The server's message.
        message: String,
    },
    /// The driver failed before the server answered (protocol or configuration problem).
    #[error("connecting with the {login} credential failed: {reason}")]
    ConnectFailed {
        /// Which credential.
        login: String,
        /// What the driver said.
        reason: String,
    },
    /// A statement failed. The server's message is omitted for statements carrying a verifier.
    #[error("{operation} failed (SQLSTATE {sqlstate}){}", message.as_deref().map(|text| format!(": {text}")).unwrap_or_default())]
    Statement {
        /// The operation label, e.g. `ALTER ROLE PASSWORD`.
        operation: &'static str,
        /// The SQLSTATE.
        sqlstate: String,
        /// The server's message, when the statement carried no secret.
        message: Option<String>,
    },
    /// The connection broke while a statement ran.
    #[error("{operation} failed: the connection broke: {reason}")]
    StatementInterrupted {
        /// The operation label.
        operation: &'static str,
        /// What the driver said.
        reason: String,
    },
    /// A query returned rows of an unexpected shape.
    #[error("{operation} returned an unexpected result")]
    UnexpectedResult {
        /// The operation label.
        operation: &'static str,
    },
    /// The invocation deadline passed during an operation.
    #[error("{operation} did not finish before the invocation deadline")]
    DeadlineExceeded {
        /// The operation label.
        operation: String,
    },
    /// Alternating users: AWSCURRENT does not log in, so this secret proves no right to its users.
    #[error("AWSCURRENT does not log in; refusing to let the master change users on behalf of this secret")]
    CurrentRefused,
    /// A role the rotation relies on does not exist.
    #[error("role {role:?} does not exist")]
    RoleMissing {
        /// The role name.
        role: String,
    },
    /// An existing role has the alternate user's name but is not provably the alternate.
    #[error(
        "role {role:?} exists but is not a rotor alternate of {original:?} ({reason}); it is never taken over"
    )]
    NotOurAlternate {
        /// The existing role.
        role: String,
        /// The original role.
        original: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The master user lacks a privilege the rotation needs. Found before anything changed (or
    /// refused by the server inside the rotation's transaction, which then rolls back).
    #[error("the master user may not {action} role {role:?}: {requirement}; nothing was changed")]
    MasterLacksPrivilege {
        /// What the rotation needed to do: `create the alternate`, `grant membership in`, `set
        /// the password of`.
        action: &'static str,
        /// The role it needed to do it to.
        role: String,
        /// What the master needs for it, on this server's version.
        requirement: &'static str,
    },
    /// A role-level setting of the original role cannot be copied safely.
    #[error("role setting {name:?} of the original role cannot be copied")]
    UnsupportedRoleSetting {
        /// The setting's name.
        name: String,
    },
    /// testSecret logged in as a different user than the secret names.
    #[error("logged in as {actual:?}, expected {expected:?}")]
    WrongUser {
        /// The secret's username.
        expected: String,
        /// `session_user` on the server.
        actual: String,
    },
    /// A fault injected by a test.
    #[error(transparent)]
    Injected(#[from] InjectedFault),
}

impl PgError {
    /// Whether this is a refused credential: the only kind of failure that lets a caller try the
    /// next stored credential.
    pub fn is_auth_failure(&self) -> bool {
        self.class() == ErrorClass::AuthFailure
    }
}

/// The class of a SQLSTATE: 28xxx is a refused login; connection, resource, operator and
/// timeout/lock/serialization errors are worth retrying; the rest needs a human.
pub(crate) fn sqlstate_class(sqlstate: &str) -> ErrorClass {
    match sqlstate {
        "28P01" | "28000" => ErrorClass::AuthFailure,
        "57014" | "55P03" | "40001" | "40P01" | "57P01" | "57P02" | "57P03" => ErrorClass::Transient,
        _ if sqlstate.starts_with("08") || sqlstate.starts_with("53") => ErrorClass::Transient,
        _ => ErrorClass::Permanent,
    }
}

impl Classify for PgError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::AuthFailed { .. } | Self::CurrentRefused => ErrorClass::AuthFailure,
            Self::Unreachable { .. }
            | Self::StatementInterrupted { .. }
            | Self::DeadlineExceeded { .. }
            | Self::Injected(_) => ErrorClass::Transient,
            Self::ConnectRejected { sqlstate, .. } | Self::Statement { sqlstate, .. } => {
                sqlstate_class(sqlstate)
            }
            _ => ErrorClass::Permanent,
        }
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::AuthFailed { .. } => "PostgresAuthFailed",
            Self::Unreachable { .. } => "PostgresUnreachable",
            Self::TlsUnavailable { .. } => "PostgresTlsUnavailable",
            Self::TlsHandshake { .. } => "PostgresTlsHandshake",
            Self::TlsConfig { .. } | Self::CaBundle(_) => "PostgresTlsConfig",
            Self::ConnectRejected { .. } => "PostgresConnectRejected",
            Self::ConnectFailed { .. } => "PostgresConnectFailed",
            Self::Statement { .. } => "PostgresStatementFailed",
            Self::StatementInterrupted { .. } => "PostgresStatementInterrupted",
            Self::UnexpectedResult { .. } => "PostgresUnexpectedResult",
            Self::DeadlineExceeded { .. } => "PostgresDeadlineExceeded",
            Self::CurrentRefused => "PostgresCurrentRefused",
            Self::RoleMissing { .. } => "PostgresRoleMissing",
            Self::NotOurAlternate { .. } => "PostgresNotOurAlternate",
            Self::MasterLacksPrivilege { .. } => "PostgresMasterLacksPrivilege",
            Self::UnsupportedRoleSetting { .. } => "PostgresUnsupportedRoleSetting",
            Self::WrongUser { .. } => "PostgresWrongUser",
            Self::Injected(fault) => fault.error_type(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_are_classified_by_what_a_retry_can_do() {
        assert_eq!(sqlstate_class("28P01"), ErrorClass::AuthFailure);
        assert_eq!(sqlstate_class("28000"), ErrorClass::AuthFailure);
        assert_eq!(sqlstate_class("08006"), ErrorClass::Transient);
        assert_eq!(sqlstate_class("53300"), ErrorClass::Transient);
        assert_eq!(sqlstate_class("55P03"), ErrorClass::Transient);
        assert_eq!(sqlstate_class("57014"), ErrorClass::Transient);
        assert_eq!(sqlstate_class("42501"), ErrorClass::Permanent);
        assert_eq!(sqlstate_class("3D000"), ErrorClass::Permanent);
    }

    #[test]
    fn statement_errors_show_the_server_message_only_when_kept() {
        let kept = PgError::Statement {
            operation: "GRANT",
            sqlstate: "42501".into(),
            message: Some("permission denied to grant role".into()),
        };
        let omitted = PgError::Statement {
            operation: "ALTER ROLE PASSWORD",
            sqlstate: "42601".into(),
            message: None,
        };
        assert_eq!(
            kept.to_string(),
            "GRANT failed (SQLSTATE 42501): permission denied to grant role"
        );
        assert_eq!(omitted.to_string(), "ALTER ROLE PASSWORD failed (SQLSTATE 42601)");
        assert_eq!(kept.class(), ErrorClass::Permanent);
    }
}

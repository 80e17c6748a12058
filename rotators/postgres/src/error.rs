//! What can go wrong talking to PostgreSQL: the kit's shared errors, named `Postgres…`, plus the
//! few only PostgreSQL has.
//!
//! No variant holds a password, a SCRAM or md5 verifier or the text of a statement that carried
//! one. Server messages are kept only where they cannot echo such a statement: during connection
//! set-up, and for statements that carry no secret.

use rotor_core::database::{DatabaseError, ServerCode};
use rotor_core::{Classify, ErrorClass};

use crate::engine::Postgres;

/// A PostgreSQL rotator failure: rotor-core's [`DatabaseError`] with PostgreSQL's error names
/// (`PostgresAuthFailed`, `PostgresStatementFailed`, …) and [`PostgresFailure`] for the rest.
pub type PgError = DatabaseError<Postgres>;

/// The failures only PostgreSQL's rotators have.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresFailure {
    /// A role the rotation relies on does not exist.
    #[error("role {role:?} does not exist")]
    RoleMissing {
        /// The role name.
        role: String,
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
}

impl Classify for PostgresFailure {
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::RoleMissing { .. } => "PostgresRoleMissing",
            Self::MasterLacksPrivilege { .. } => "PostgresMasterLacksPrivilege",
            Self::UnsupportedRoleSetting { .. } => "PostgresUnsupportedRoleSetting",
        }
    }
}

impl From<PostgresFailure> for PgError {
    fn from(failure: PostgresFailure) -> Self {
        Self::Engine(failure)
    }
}

/// The class of a SQLSTATE: 28xxx is a refused login; connection, resource, operator and
/// timeout/lock/serialization errors are worth retrying; the rest needs a human.
pub(crate) fn sqlstate_class(code: &ServerCode) -> ErrorClass {
    match code.sqlstate.as_str() {
        "28P01" | "28000" => ErrorClass::AuthFailure,
        "57014" | "55P03" | "40001" | "40P01" | "57P01" | "57P02" | "57P03" => ErrorClass::Transient,
        state if state.starts_with("08") || state.starts_with("53") => ErrorClass::Transient,
        _ => ErrorClass::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(sqlstate: &str) -> ErrorClass {
        sqlstate_class(&ServerCode::sqlstate(sqlstate))
    }

    #[test]
    fn sqlstates_are_classified_by_what_a_retry_can_do() {
        assert_eq!(class("28P01"), ErrorClass::AuthFailure);
        assert_eq!(class("28000"), ErrorClass::AuthFailure);
        assert_eq!(class("08006"), ErrorClass::Transient);
        assert_eq!(class("53300"), ErrorClass::Transient);
        assert_eq!(class("55P03"), ErrorClass::Transient);
        assert_eq!(class("57014"), ErrorClass::Transient);
        assert_eq!(class("42501"), ErrorClass::Permanent);
        assert_eq!(class("3D000"), ErrorClass::Permanent);
    }

    #[test]
    fn statement_errors_show_the_server_message_only_when_kept() {
        let kept = PgError::Statement {
            operation: "GRANT",
            code: ServerCode::sqlstate("42501"),
            message: Some("permission denied to grant role".into()),
        };
        let omitted = PgError::Statement {
            operation: "ALTER ROLE PASSWORD",
            code: ServerCode::sqlstate("42601"),
            message: None,
        };
        assert_eq!(
            kept.to_string(),
            "GRANT failed (SQLSTATE 42501): permission denied to grant role"
        );
        assert_eq!(omitted.to_string(), "ALTER ROLE PASSWORD failed (SQLSTATE 42601)");
        assert_eq!(kept.class(), ErrorClass::Permanent);
        assert_eq!(kept.error_type(), "PostgresStatementFailed");
    }

    /// The unified rule (rotor-core's `DatabaseError`): once a session has logged in, an
    /// authentication-class SQLSTATE is a missing privilege, never a refused credential, so it
    /// never sends single-user recovery on to an older password. Before the kit, PostgreSQL
    /// classified it as an auth failure.
    #[test]
    fn an_auth_class_sqlstate_after_login_is_permanent_not_an_auth_failure() {
        let denied = PgError::Statement {
            operation: "SET ROLE",
            code: ServerCode::sqlstate("28000"),
            message: None,
        };
        assert_eq!(denied.class(), ErrorClass::Permanent);
        assert!(!denied.is_auth_failure());
        let refused_login = PgError::login_refused("current", ServerCode::sqlstate("28P01"), None);
        assert!(refused_login.is_auth_failure());
        assert_eq!(refused_login.error_type(), "PostgresAuthFailed");
        assert_eq!(
            refused_login.to_string(),
            "PostgreSQL refused the current credential (SQLSTATE 28P01)"
        );
    }
}

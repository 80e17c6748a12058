//! Redshift as an engine of rotor-core's kit. The driver, the sessions and the SQLSTATE
//! classes are rotor-postgres's: Redshift speaks PostgreSQL's wire protocol and sends
//! PostgreSQL's SQLSTATEs.

use rotor_core::database::{
    DatabaseSecret, Engine, EngineFamily, ErrorTypes, Login, MasterRights, ServerCode, StatementGuard,
    UserPair, UsernameLimit,
};
use rotor_core::{ErrorClass, database_error_types};
use rotor_postgres::{PgWire, Postgres, Session};

use crate::error::{RedshiftError, RedshiftFailure};
use crate::secret::{MAX_USERNAME_BYTES, REDSHIFT};

/// Every session's first statement. Redshift has neither `lock_timeout` nor `SET ROLE`, so only
/// the search path and the statement timeout are set. The path is the system catalog alone:
/// every relation and function rotor's queries use is schema-qualified as well, and operators
/// are never looked up in a temporary schema, so nothing a database owner plants is run.
const PINNED_SEARCH_PATH: &str = "SET search_path TO pg_catalog";

/// `session_user`: the user that authenticated.
const SESSION_USER: &str = "SELECT session_user";

/// Whether the session's user is a superuser: Redshift's admin user is.
const IS_SUPERUSER: &str = "\
SELECT u.usesuper
  FROM pg_catalog.pg_user u
 WHERE u.usename = session_user";

/// Amazon Redshift (provisioned clusters and Serverless workgroups) over rotor-postgres's
/// tokio-postgres sessions, with rustls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Redshift;

/// An open Redshift session.
pub type RedshiftSession = Session<Redshift>;

impl Engine for Redshift {
    const NAME: &'static str = "Redshift";
    const FAMILY: EngineFamily = REDSHIFT;
    const ERROR_TYPES: ErrorTypes = database_error_types!("Redshift");
    const LOG_TARGETS: &'static [&'static str] = Postgres::LOG_TARGETS;

    type Error = RedshiftFailure;
    type Session = RedshiftSession;

    fn classify(code: &ServerCode) -> ErrorClass {
        Postgres::classify(code)
    }

    fn username_limit(_: &DatabaseSecret) -> UsernameLimit {
        UsernameLimit::bytes(MAX_USERNAME_BYTES)
    }

    async fn connect(
        login: &Login<'_>,
        guard: StatementGuard<Self>,
    ) -> Result<RedshiftSession, RedshiftError> {
        rotor_postgres::connect(login, guard).await
    }

    /// `session_user` must be the login's user. Redshift shows the session's encryption only in
    /// superuser system tables, so the TLS guarantee is the client's verified handshake alone.
    async fn verify_identity(session: &mut RedshiftSession, login: &Login<'_>) -> Result<(), RedshiftError> {
        const OPERATION: &str = "SELECT session_user";
        let user: String = session.query_value(OPERATION, SESSION_USER).await?;
        if user != login.username() {
            return Err(RedshiftError::WrongUser {
                login: login.label.to_owned(),
                expected: login.username().to_owned(),
                actual: user,
            });
        }
        Ok(())
    }

    async fn close(session: RedshiftSession) {
        session.close().await;
    }

    /// A superuser (Redshift's admin user) may do everything alternating users sends. Another
    /// master may still hold `CREATE USER` and the grants through Redshift's role-based access
    /// control, which this does not read: that is [`MasterRights::Unknown`], and the rotation's
    /// own statements decide.
    async fn check_master_rights(
        session: &mut RedshiftSession,
        _: &UserPair,
        _: &str,
    ) -> Result<MasterRights, RedshiftError> {
        const OPERATION: &str = "SELECT usesuper";
        let superuser: bool = session.query_value(OPERATION, IS_SUPERUSER).await?;
        Ok(if superuser {
            MasterRights::Held
        } else {
            MasterRights::Unknown
        })
    }
}

impl PgWire for Redshift {
    const APPLICATION_NAME: &'static str = "rotor-redshift";

    fn session_setup(timeout_millis: u128) -> String {
        format!("{PINNED_SEARCH_PATH}; SET statement_timeout TO {timeout_millis}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rotor_core::Classify;

    #[test]
    fn sessions_pin_the_catalog_and_bound_statements_without_postgres_only_settings() {
        let setup = Redshift::session_setup(1500);
        assert_eq!(
            setup,
            "SET search_path TO pg_catalog; SET statement_timeout TO 1500"
        );
        assert!(!setup.contains("lock_timeout") && !setup.contains("SET ROLE"));
    }

    #[test]
    fn errors_are_named_redshift_and_classified_by_sqlstate() {
        let refused = RedshiftError::login_refused("current", ServerCode::sqlstate("28P01"), None);
        assert!(refused.is_auth_failure());
        assert_eq!(refused.error_type(), "RedshiftAuthFailed");
        assert_eq!(
            refused.to_string(),
            "Redshift refused the current credential (SQLSTATE 28P01)"
        );
        let timeout = RedshiftError::Statement {
            operation: "GRANT",
            code: ServerCode::sqlstate("57014"),
            message: None,
        };
        assert_eq!(timeout.class(), ErrorClass::Transient);
    }
}

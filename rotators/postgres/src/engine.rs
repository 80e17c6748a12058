//! PostgreSQL as an engine of rotor-core's kit: what the kit cannot know about it.

use rotor_core::database::{
    DatabaseSecret, Engine, EngineFamily, ErrorTypes, Login, MasterRights, ServerCode, StatementGuard,
    UserPair, UsernameLimit,
};
use rotor_core::{ErrorClass, database_error_types};

use crate::connect::{Session, connect};
use crate::error::{PgError, PostgresFailure, sqlstate_class};
use crate::identity::check_identity;
use crate::secret::{MAX_IDENTIFIER_BYTES, POSTGRES};

/// PostgreSQL (and Aurora PostgreSQL) with tokio-postgres over rustls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Engine for Postgres {
    const NAME: &'static str = "PostgreSQL";
    const FAMILY: EngineFamily = POSTGRES;
    /// Prefixed `Postgres…`, except a clone name that is too long, which has been plain
    /// `UsernameTooLong` since the first release.
    const ERROR_TYPES: ErrorTypes = ErrorTypes {
        username_too_long: "UsernameTooLong",
        ..database_error_types!("Postgres")
    };
    const LOG_TARGETS: &'static [&'static str] =
        &["tokio_postgres", "postgres_protocol", "tokio_postgres_rustls"];

    type Error = PostgresFailure;
    type Session = Session;

    fn classify(code: &ServerCode) -> ErrorClass {
        sqlstate_class(code)
    }

    fn username_limit(_: &DatabaseSecret) -> UsernameLimit {
        UsernameLimit::bytes(MAX_IDENTIFIER_BYTES)
    }

    async fn connect(login: &Login<'_>, guard: StatementGuard<Self>) -> Result<Session, PgError> {
        connect(login, guard).await
    }

    async fn verify_identity(session: &mut Session, login: &Login<'_>) -> Result<(), PgError> {
        check_identity(session, login).await
    }

    async fn close(session: Session) {
        session.close().await;
    }

    async fn check_master_rights(
        session: &mut Session,
        pair: &UserPair,
        pending_user: &str,
    ) -> Result<MasterRights, PgError> {
        crate::roles::check_master_rights(session, pair, pending_user).await?;
        Ok(MasterRights::Held)
    }
}

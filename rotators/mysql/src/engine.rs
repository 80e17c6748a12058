//! MySQL, Aurora MySQL and MariaDB as an engine of rotor-core's kit: what the kit cannot know about them.

use rotor_core::database::{
    DatabaseSecret, Engine, EngineFamily, ErrorTypes, Login, MasterRights, ServerCode, StatementGuard,
    UserPair, UsernameLimit,
};
use rotor_core::{ErrorClass, database_error_types};

use crate::connect::Session;
use crate::error::{MySqlError, MySqlFailure, server_error_class};
use crate::secret::MYSQL;

/// MySQL, Aurora MySQL and MariaDB with mysql_async over rustls.
#[derive(Debug, Clone, Copy, Default)]
pub struct MySql;

impl Engine for MySql {
    const NAME: &'static str = "MySQL";
    const FAMILY: EngineFamily = MYSQL;
    const ERROR_TYPES: ErrorTypes = database_error_types!("MySql");
    const LOG_TARGETS: &'static [&'static str] = &["mysql_async", "mysql_common"];

    type Error = MySqlFailure;
    type Session = Session;

    fn classify(code: &ServerCode) -> ErrorClass {
        server_error_class(code)
    }

    /// MariaDB stores 80 characters, MySQL 32; the server's own limit is checked again once the master's
    /// session knows the flavour.
    fn username_limit(secret: &DatabaseSecret) -> UsernameLimit {
        UsernameLimit::characters(if secret.engine == "mariadb" { 80 } else { 32 })
    }

    async fn connect(login: &Login<'_>, guard: StatementGuard<Self>) -> Result<Session, MySqlError> {
        Session::open(login, guard).await
    }

    /// Opening the session already compared `CURRENT_USER()` with the login's user (a different one
    /// is [`WrongUser`](rotor_core::database::DatabaseError::WrongUser)); this logs what the session is.
    async fn verify_identity(session: &mut Session, login: &Login<'_>) -> Result<(), MySqlError> {
        tracing::debug!(login = login.label, account = %session.account(), verified_tls = session.verified_tls(), "identity checked");
        Ok(())
    }

    async fn close(session: Session) {
        session.close().await;
    }

    /// The global `CREATE USER` privilege and `GRANT OPTION` every rotation uses; which grants the
    /// clone mirrors is decided per statement when the rotation runs.
    async fn check_master_rights(
        session: &mut Session,
        _: &UserPair,
        _: &str,
    ) -> Result<MasterRights, MySqlError> {
        crate::master_rights::check_master_rights(session).await
    }
}

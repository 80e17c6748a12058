//! Sessions: connecting through the kit's guard, bounding every statement by the deadline, and
//! turning driver errors into [`DatabaseError`]s without leaking statement text.
//!
//! The session is generic over the engine ([`PgWire`]), so another engine that speaks
//! PostgreSQL's wire protocol (Amazon Redshift) runs its statements through this code with its
//! own error names and session settings.

use std::time::Duration;

use rotor_core::database::{DatabaseError, Engine, Login, ServerCode, StatementGuard};
use secrecy::ExposeSecret;
use tokio::task::JoinHandle;
use tokio_postgres::config::SslMode;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, Row};

use crate::engine::Postgres;
use crate::sql::SecretStatement;

/// The longest a single connection attempt may take, whatever the deadline allows: a dead host
/// must leave time for a clear error.
const CONNECT_CAP: Duration = Duration::from_secs(10);
/// Server-side timeouts end this much before the client's deadline, so the server cancels a
/// blocked statement cleanly (a typed SQLSTATE) before the client gives up on the session.
const SERVER_TIMEOUT_MARGIN: Duration = Duration::from_millis(250);
/// PostgreSQL's largest timeout setting (`INT_MAX` milliseconds).
const MAX_TIMEOUT_MILLIS: u128 = 2_147_483_647;

/// The first statement of every session, before any name is resolved: only the system catalog,
/// then the session's own temporary schema (listed last, so it can never shadow a catalog
/// relation, and functions and operators are never looked up in it). Database- and role-level
/// `search_path` settings, which the owner of a child's database or role controls, are
/// overridden, and every statement rotor sends schema-qualifies what it uses as well: a master
/// session cannot be made to run a function someone else planted (the CVE-2018-1058 class).
pub(crate) const PINNED_SEARCH_PATH: &str = "SET search_path = pg_catalog, pg_temp";

/// Undoes a role-level `SET role` setting (`ALTER ROLE app SET role = 'owners'`), so that every
/// statement rotor sends runs as the user that logged in: a role may change its own password
/// only as itself, and the master acts with its own privileges, not a role someone configured.
const ACT_AS_LOGIN_USER: &str = "SET ROLE NONE";

/// An engine that speaks PostgreSQL's wire protocol, whose sessions are this crate's
/// [`Session`]: how it names its sessions and what each session runs first.
pub trait PgWire: Engine {
    /// The `application_name` of every session, as the server's logs and session list show it.
    const APPLICATION_NAME: &'static str;

    /// The statements every session runs before any other, given the longest a statement may
    /// take on the server, in milliseconds: a pinned `search_path` and the statement timeout.
    /// They carry no secret.
    fn session_setup(timeout_millis: u128) -> String;
}

impl PgWire for Postgres {
    const APPLICATION_NAME: &'static str = "rotor-postgres";

    fn session_setup(millis: u128) -> String {
        format!(
            "{PINNED_SEARCH_PATH}; {ACT_AS_LOGIN_USER}; SET statement_timeout = {millis}; \
             SET lock_timeout = {millis}"
        )
    }
}

/// An open session of engine `E` (PostgreSQL unless said otherwise). Every statement goes
/// through the kit's guard: fault points and deadline.
pub struct Session<E: Engine = Postgres> {
    client: Client,
    connection: JoinHandle<()>,
    label: String,
    guard: StatementGuard<E>,
}

impl<E: Engine> std::fmt::Debug for Session<E> {
    /// Written by hand: the driver's types are not ours to audit, so none of them is printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("login", &self.label)
            .field("closed", &self.client.is_closed())
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

/// Connects, then bounds the session's statements by the deadline (`statement_timeout`, and
/// whatever else the engine's [`PgWire::session_setup`] sets). TLS is required unless the secret
/// or environment disabled it; a server that does not offer TLS is refused, never used in
/// plaintext. The database is the login's, or the engine's default.
pub async fn connect<E: PgWire>(
    login: &Login<'_>,
    guard: StatementGuard<E>,
) -> Result<Session<E>, DatabaseError<E>> {
    let label = login.label;
    let deadline = guard.deadline();
    let mut config = Config::new();
    config
        .host(login.host())
        .port(login.port())
        .user(login.username())
        .password(login.password().expose_secret().as_bytes())
        .application_name(E::APPLICATION_NAME)
        .connect_timeout(deadline.bounded(CONNECT_CAP).max(Duration::from_millis(1)));
    if let Some(dbname) = login.dbname().or(E::FAMILY.default_dbname) {
        config.dbname(dbname);
    }
    if let Some(address) = login.address {
        config.hostaddr(address);
    }
    let tls = crate::tls::rustls_config::<E>(&login.tls())?;
    let attempt = async {
        match tls {
            Some(tls) => {
                config.ssl_mode(SslMode::Require);
                let (client, connection) = config
                    .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
                    .await?;
                Ok((client, tokio::spawn(drive(connection))))
            }
            None => {
                config.ssl_mode(SslMode::Disable);
                let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
                Ok((client, tokio::spawn(drive(connection))))
            }
        }
    };
    // Boxed: the driver's handshake future is deep, and the step futures that embed it would
    // otherwise exceed the compiler's layout depth limit.
    let (client, connection) = guard
        .connect(label, Box::pin(attempt), |error| connect_error(label, &error))
        .await?;
    tracing::debug!(engine = E::NAME, login = label, "connected");
    let session = Session {
        client,
        connection,
        label: label.to_owned(),
        guard,
    };
    let budget = deadline.remaining().saturating_sub(SERVER_TIMEOUT_MARGIN);
    let millis = budget.as_millis().clamp(1, MAX_TIMEOUT_MILLIS);
    session.execute("SET session", &E::session_setup(millis)).await?;
    Ok(session)
}

/// Runs the connection until the client is dropped. Errors end the session; the next statement
/// reports them as a broken connection.
async fn drive<S, T>(connection: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if connection.await.is_err() {
        tracing::debug!("PostgreSQL connection ended with an error");
    }
}

impl<E: Engine> Session<E> {
    /// Runs statements that carry no secret (simple query protocol). The server's message is kept
    /// in the error.
    pub async fn execute(&self, operation: &'static str, sql: &str) -> Result<(), DatabaseError<E>> {
        self.guard
            .run(operation, self.client.batch_execute(sql), |error| {
                statement_error(operation, true, &error)
            })
            .await
    }

    /// Runs statements whose server errors could echo a value worth keeping out of logs (role
    /// settings): the error keeps the SQLSTATE only.
    pub async fn execute_redacted(&self, operation: &'static str, sql: &str) -> Result<(), DatabaseError<E>> {
        self.guard
            .run(operation, self.client.batch_execute(sql), |error| {
                statement_error(operation, false, &error)
            })
            .await
    }

    /// Runs a statement that carries a verifier. The server's message is dropped from the error,
    /// since it could quote the statement.
    pub async fn execute_secret(
        &self,
        operation: &'static str,
        statement: &SecretStatement,
    ) -> Result<(), DatabaseError<E>> {
        self.execute_redacted(operation, statement.text()).await
    }

    /// Runs a query with bind parameters and returns its rows.
    pub async fn query(
        &self,
        operation: &'static str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, DatabaseError<E>> {
        self.guard
            .run(operation, self.client.query(sql, params), |error| {
                statement_error(operation, true, &error)
            })
            .await
    }

    /// Runs a query without parameters that answers one value, in the first column of its
    /// first row.
    pub async fn query_value<T>(&self, operation: &'static str, sql: &str) -> Result<T, DatabaseError<E>>
    where
        T: for<'a> tokio_postgres::types::FromSql<'a>,
    {
        let rows = self.query(operation, sql, &[]).await?;
        rows.first()
            .and_then(|row| row.try_get(0).ok())
            .ok_or(DatabaseError::unexpected(operation, "a row of another shape"))
    }

    /// Ends the session politely (Terminate), waiting at most until the deadline, so the server
    /// does not log an abandoned connection.
    pub async fn close(self) {
        let Self {
            client,
            connection,
            label,
            guard,
        } = self;
        drop(client);
        guard.close(&label, connection).await;
    }
}

/// Classifies a failed connection attempt. Connection set-up sends no SQL, so server messages
/// are safe to keep; the password is never part of a driver message.
fn connect_error<E: Engine>(login: &str, error: &tokio_postgres::Error) -> DatabaseError<E> {
    if let Some(db) = error.as_db_error() {
        let code = ServerCode::sqlstate(db.code().code());
        return DatabaseError::login_refused(login, code, Some(db.message().to_owned()));
    }
    let login = login.to_owned();
    if let Some(tls) = find_rustls_error(error) {
        return DatabaseError::TlsHandshake {
            login,
            reason: tls.to_string(),
        };
    }
    let source = std::error::Error::source(error).map(ToString::to_string);
    if source.as_deref() == Some("server does not support TLS") {
        return DatabaseError::TlsUnavailable { login };
    }
    let reason = match &source {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    };
    if error.is_closed()
        || find_io_error(error).is_some()
        || error.to_string() == "timeout waiting for server"
    {
        DatabaseError::Unreachable { login, reason }
    } else {
        DatabaseError::ConnectFailed { login, reason }
    }
}

/// Classifies a failed statement: a server error by SQLSTATE, anything else as a broken session.
fn statement_error<E: Engine>(
    operation: &'static str,
    keep_message: bool,
    error: &tokio_postgres::Error,
) -> DatabaseError<E> {
    match error.as_db_error() {
        Some(db) => DatabaseError::Statement {
            operation,
            code: ServerCode::sqlstate(db.code().code()),
            message: keep_message.then(|| db.message().to_owned()),
        },
        None => DatabaseError::StatementInterrupted {
            operation,
            reason: format!("the connection broke: {error}"),
        },
    }
}

/// The sources of an error, looking inside `io::Error`s (whose `source` skips the wrapped error).
fn causes<'a>(error: &'a (dyn std::error::Error + 'static)) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut found = Vec::new();
    let mut next = Some(error);
    while let Some(current) = next {
        found.push(current);
        next = match current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    found
}

fn find_rustls_error(error: &tokio_postgres::Error) -> Option<&rustls::Error> {
    causes(error)
        .into_iter()
        .find_map(|cause| cause.downcast_ref::<rustls::Error>())
}

fn find_io_error(error: &tokio_postgres::Error) -> Option<&std::io::Error> {
    causes(error)
        .into_iter()
        .find_map(|cause| cause.downcast_ref::<std::io::Error>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rotor_core::Deadline;
    use rotor_core::database::{DatabaseSecret, EngineKit};
    use rotor_core::{SecretJson, SecretValue};
    use rotor_testkit::PostgresServer;

    #[tokio::test]
    async fn logins_and_open_sessions_never_print_the_password() {
        let server = PostgresServer::start().await.unwrap();
        let (user, password) = server.superuser();
        let json = format!(
            r#"{{"engine":"postgres","host":"{}","port":{},"username":"{user}","password":"{password}","ssl":false}}"#,
            server.host(),
            server.port()
        );
        let secret = DatabaseSecret::parse(
            &SecretJson::parse(&SecretValue::new(json)).unwrap(),
            &crate::POSTGRES,
        )
        .unwrap();
        let kit = EngineKit::<Postgres>::new();
        let login = kit.login(&secret, "current");
        let deadline = Deadline::after(Duration::from_secs(30));
        let session = connect(&login, kit.guard(deadline)).await.unwrap();

        let printed = format!("{login:?} {session:?} {login:#?} {session:#?}");

        assert!(!printed.contains(password), "{printed}");
        assert!(
            printed.contains("Login") && printed.contains("Session"),
            "{printed}"
        );
        session.close().await;
    }
}

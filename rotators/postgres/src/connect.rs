//! Sessions: connecting within the deadline, running statements behind fault points, and turning
//! driver errors into classified [`PgError`]s without leaking statement text.

use std::net::IpAddr;
use std::time::Duration;

use rotor_core::Deadline;
use rotor_core::database::{HostOverrides, TlsMode};
use rotor_core::fault::FaultPoints;
use secrecy::{ExposeSecret, SecretString};
use tokio::task::JoinHandle;
use tokio_postgres::config::SslMode;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, Row};

use crate::error::{PgError, sqlstate_class};
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

/// Where to connect and as whom. `Debug` is written by hand and never shows the password.
pub(crate) struct Login<'a> {
    /// The credential's name in logs, errors and fault labels (`current`, `master`, ...).
    pub(crate) label: &'a str,
    pub(crate) host: &'a str,
    pub(crate) port: u16,
    pub(crate) dbname: &'a str,
    pub(crate) tls: &'a TlsMode,
    pub(crate) username: &'a str,
    pub(crate) password: &'a SecretString,
    /// The address to connect to instead of resolving `host` (a test's [`HostOverrides`]); TLS
    /// still verifies the certificate against `host`.
    pub(crate) address: Option<IpAddr>,
    /// A test server's CA, trusted besides the usual roots for an overridden host only.
    pub(crate) test_ca: Option<&'a str>,
}

impl<'a> Login<'a> {
    /// This login through `hosts`: connect to the overriding address, if `host` has one.
    #[must_use]
    pub(crate) fn via(mut self, hosts: &'a HostOverrides) -> Self {
        self.address = hosts.address_of(self.host);
        self.test_ca = hosts.test_ca_for(self.host);
        self
    }
}

impl std::fmt::Debug for Login<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("label", &self.label)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("address", &self.address)
            .field("test_ca", &self.test_ca.is_some())
            .finish_non_exhaustive()
    }
}

/// An open session. Every statement goes through the fault points and the deadline.
pub(crate) struct Session {
    client: Client,
    connection: JoinHandle<()>,
    deadline: Deadline,
    faults: FaultPoints,
}

impl std::fmt::Debug for Session {
    /// Written by hand: the driver's types are not ours to audit, so none of them is printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("closed", &self.client.is_closed())
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// Connects, then bounds the session's statements by the deadline (`statement_timeout`,
/// `lock_timeout`). TLS is required unless the secret or environment disabled it; a server that
/// does not offer TLS is refused, never used in plaintext.
pub(crate) async fn connect(
    login: &Login<'_>,
    deadline: Deadline,
    faults: &FaultPoints,
) -> Result<Session, PgError> {
    let label = login.label.to_owned();
    let ticket = faults.before(&format!("connect:{label}"))?;
    let mut config = Config::new();
    config
        .host(login.host)
        .port(login.port)
        .dbname(login.dbname)
        .user(login.username)
        .password(login.password.expose_secret().as_bytes())
        .application_name("rotor-postgres")
        .connect_timeout(deadline.bounded(CONNECT_CAP).max(Duration::from_millis(1)));
    if let Some(address) = login.address {
        config.hostaddr(address);
    }
    let tls = crate::tls::client_config_trusting(login.tls, login.test_ca)?;
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
    let (client, connection) = match tokio::time::timeout_at(deadline.instant(), Box::pin(attempt)).await {
        Ok(Ok(opened)) => opened,
        Ok(Err(error)) => return Err(connect_error(&label, &error)),
        Err(_elapsed) => {
            return Err(PgError::DeadlineExceeded {
                operation: format!("connect:{label}"),
            });
        }
    };
    ticket.after()?;
    tracing::debug!(login = %label, "connected to PostgreSQL");
    let session = Session {
        client,
        connection,
        deadline,
        faults: faults.clone(),
    };
    let budget = deadline.remaining().saturating_sub(SERVER_TIMEOUT_MARGIN);
    let millis = budget.as_millis().clamp(1, MAX_TIMEOUT_MILLIS);
    session
        .execute(
            "SET session",
            &format!(
                "{PINNED_SEARCH_PATH}; {ACT_AS_LOGIN_USER}; SET statement_timeout = {millis}; \
                 SET lock_timeout = {millis}"
            ),
        )
        .await?;
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

impl Session {
    /// Runs statements that carry no secret (simple query protocol). The server's message is kept
    /// in the error.
    pub(crate) async fn execute(&self, operation: &'static str, sql: &str) -> Result<(), PgError> {
        self.run(operation, true, self.client.batch_execute(sql)).await
    }

    /// Runs statements whose server errors could echo a value worth keeping out of logs (role
    /// settings): the error keeps the SQLSTATE only.
    pub(crate) async fn execute_redacted(&self, operation: &'static str, sql: &str) -> Result<(), PgError> {
        self.run(operation, false, self.client.batch_execute(sql)).await
    }

    /// Runs a statement that carries a verifier. The server's message is dropped from the error,
    /// since it could quote the statement.
    pub(crate) async fn execute_secret(
        &self,
        operation: &'static str,
        statement: &SecretStatement,
    ) -> Result<(), PgError> {
        self.run(operation, false, self.client.batch_execute(statement.text()))
            .await
    }

    /// Runs a query with bind parameters and returns its rows.
    pub(crate) async fn query(
        &self,
        operation: &'static str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, PgError> {
        self.run(operation, true, self.client.query(sql, params)).await
    }

    async fn run<T>(
        &self,
        operation: &'static str,
        keep_message: bool,
        statement: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, PgError> {
        let ticket = self.faults.before(operation)?;
        let result = match tokio::time::timeout_at(self.deadline.instant(), statement).await {
            Ok(result) => result.map_err(|error| statement_error(operation, keep_message, &error))?,
            Err(_elapsed) => {
                return Err(PgError::DeadlineExceeded {
                    operation: operation.to_owned(),
                });
            }
        };
        ticket.after()?;
        Ok(result)
    }

    /// Ends the session politely (Terminate), waiting at most until the deadline, so the server
    /// does not log an abandoned connection.
    pub(crate) async fn close(self) {
        let Self {
            client,
            connection,
            deadline,
            ..
        } = self;
        drop(client);
        if tokio::time::timeout_at(deadline.instant(), connection)
            .await
            .is_err()
        {
            tracing::debug!("PostgreSQL session did not close before the deadline");
        }
    }
}

/// Classifies a failed connection attempt. Connection set-up sends no SQL, so server messages
/// are safe to keep; the password is never part of a driver message.
fn connect_error(login: &str, error: &tokio_postgres::Error) -> PgError {
    let login = login.to_owned();
    if let Some(db) = error.as_db_error() {
        let sqlstate = db.code().code().to_owned();
        if sqlstate_class(&sqlstate) == rotor_core::ErrorClass::AuthFailure {
            return PgError::AuthFailed { login, sqlstate };
        }
        return PgError::ConnectRejected {
            login,
            sqlstate,
            message: db.message().to_owned(),
        };
    }
    if let Some(tls) = find_rustls_error(error) {
        return PgError::TlsHandshake {
            login,
            reason: tls.to_string(),
        };
    }
    let source = std::error::Error::source(error).map(ToString::to_string);
    if source.as_deref() == Some("server does not support TLS") {
        return PgError::TlsUnavailable { login };
    }
    let reason = match &source {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    };
    if error.is_closed()
        || find_io_error(error).is_some()
        || error.to_string() == "timeout waiting for server"
    {
        PgError::Unreachable { login, reason }
    } else {
        PgError::ConnectFailed { login, reason }
    }
}

/// Classifies a failed statement: a server error by SQLSTATE, anything else as a broken session.
fn statement_error(operation: &'static str, keep_message: bool, error: &tokio_postgres::Error) -> PgError {
    match error.as_db_error() {
        Some(db) => PgError::Statement {
            operation,
            sqlstate: db.code().code().to_owned(),
            message: keep_message.then(|| db.message().to_owned()),
        },
        None => PgError::StatementInterrupted {
            operation,
            reason: error.to_string(),
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
    use rotor_testkit::PostgresServer;

    #[tokio::test]
    async fn logins_and_open_sessions_never_print_the_password() {
        let server = PostgresServer::start().await.unwrap();
        let (user, password) = server.superuser();
        let password = SecretString::from(password.to_owned());
        let login = Login {
            label: "current",
            host: server.host(),
            port: server.port(),
            dbname: "postgres",
            tls: &TlsMode::Disabled,
            username: user,
            password: &password,
            address: None,
            test_ca: None,
        };
        let deadline = Deadline::after(Duration::from_secs(30));
        let session = connect(&login, deadline, &FaultPoints::none()).await.unwrap();

        let printed = format!("{login:?} {session:?} {login:#?} {session:#?}");

        assert!(!printed.contains(password.expose_secret()), "{printed}");
        assert!(
            printed.contains("Login") && printed.contains("Session"),
            "{printed}"
        );
        session.close().await;
    }
}

//! Sessions: one login, bounded by the invocation deadline, with every statement behind a fault point.
//!
//! A session starts with one query, `SELECT VERSION(), CURRENT_USER(), @@SESSION.sql_mode`, which tells the
//! server's flavour and version, the exact `'user'@'host'` account the login matched, and how literals must
//! be escaped. mysql_async is configured so that it sends nothing else of its own: no settings query, no
//! switch to a unix socket, no prepared statements.
//!
//! `Debug` of [`Session`] and [`Target`] is written by hand: mysql_async's connection prints its options, and
//! those hold the password.

use std::future::Future;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row, Value};
use rotor_core::Deadline;
use rotor_core::database::{DatabaseSecret, TlsMode};
use rotor_core::fault::FaultPoints;
use secrecy::{ExposeSecret, SecretString};

use crate::account::{Account, Quoting};
use crate::error::{ACCOUNT_LOCKED_CODES, MySqlError};
use crate::flavour::ServerVersion;
use crate::tls::ssl_opts;

/// mysql_async otherwise asks the server for these after login; fixed values save a round trip.
const MAX_ALLOWED_PACKET: usize = 16 * 1024 * 1024;
const WAIT_TIMEOUT_SECONDS: usize = 28_800;

/// Where and how to connect: a secret's host, port, database and TLS decision.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) dbname: Option<String>,
    pub(crate) tls: TlsMode,
}

impl Target {
    /// Where `secret` connects.
    pub(crate) fn of(secret: &DatabaseSecret) -> Self {
        Self {
            host: secret.host.clone(),
            port: secret.port,
            dbname: secret.dbname.clone(),
            tls: secret.tls.clone(),
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .field("tls", &tls_name(&self.tls))
            .finish()
    }
}

/// The TLS decision without the CA bundle, which may be a whole PEM document inline.
fn tls_name(tls: &TlsMode) -> &'static str {
    match tls {
        TlsMode::Disabled => "disabled",
        TlsMode::VerifyFull { ca_bundle: None } => "verify-full",
        TlsMode::VerifyFull { ca_bundle: Some(_) } => "verify-full with a CA bundle",
        _ => "other",
    }
}

/// A statement whose text may carry a password hash or a password. `Debug` shows only its label.
pub(crate) struct Statement {
    label: &'static str,
    text: SecretString,
}

impl std::fmt::Debug for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statement")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl Statement {
    /// A statement with a label for fault points, logs and errors.
    pub(crate) fn new(label: &'static str, text: impl Into<String>) -> Self {
        Self {
            label,
            text: SecretString::from(text.into()),
        }
    }

    /// The text, for unit tests of statement builders.
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        self.text.expose_secret()
    }
}

/// One logged-in connection. `Debug` shows who is logged in where, never the driver's options.
pub(crate) struct Session {
    conn: Conn,
    login: String,
    verified_tls: bool,
    version: ServerVersion,
    account: Account,
    quoting: Quoting,
    points: FaultPoints,
    deadline: Deadline,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("login", &self.login)
            .field("account", &self.account)
            .field("version", &self.version)
            .field("verified_tls", &self.verified_tls)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Logs in as `username` with `password` and reads the session's identity. `login` names the credential
    /// in errors (`current`, `pending`, `master`, …).
    ///
    /// Fails with [`MySqlError::WrongUser`] when the server authenticated a different user (an anonymous
    /// account, for instance): nothing is ever changed through such a session.
    ///
    /// Unless `target` disables TLS, the session is encrypted and verified from this client's side or it
    /// does not open: mysql_async refuses a server that does not offer TLS, and rustls checks the chain and
    /// the host name before the login is sent.
    pub(crate) async fn open(
        target: &Target,
        username: &str,
        password: &SecretString,
        login: &str,
        points: &FaultPoints,
        deadline: Deadline,
    ) -> Result<Self, MySqlError> {
        let ssl = ssl_opts(&target.tls)?;
        let verified_tls = ssl.is_some();
        let options = OptsBuilder::default()
            .ip_or_hostname(target.host.clone())
            .tcp_port(target.port)
            .user(Some(username))
            .pass(Some(password.expose_secret()))
            .db_name(target.dbname.clone())
            .prefer_socket(false)
            .stmt_cache_size(0)
            .max_allowed_packet(Some(MAX_ALLOWED_PACKET))
            .wait_timeout(Some(WAIT_TIMEOUT_SECONDS))
            .ssl_opts(ssl);
        let label = "connect";
        let ticket = points.before(label)?;
        let mut conn = within(deadline, label, Conn::new(options))
            .await?
            .map_err(|error| connect_error(error, login))?;
        ticket.after()?;
        let operation = "SELECT identity";
        let rows = run_query(
            &mut conn,
            points,
            deadline,
            operation,
            "SELECT VERSION(), CURRENT_USER(), @@SESSION.sql_mode",
        )
        .await?;
        let row = rows.first().ok_or_else(|| unexpected(operation, "no row"))?;
        let version = text(row, 0).ok_or_else(|| unexpected(operation, "VERSION() is NULL"))?;
        let version =
            ServerVersion::parse(&version).map_err(|error| unexpected(operation, &error.to_string()))?;
        let account = text(row, 1)
            .as_deref()
            .and_then(Account::from_current_user)
            .ok_or_else(|| unexpected(operation, "CURRENT_USER() is not user@host"))?;
        if account.user != username {
            return Err(MySqlError::WrongUser {
                login: login.to_owned(),
                expected: username.to_owned(),
                actual: account.user,
            });
        }
        let session = Self {
            conn,
            login: login.to_owned(),
            verified_tls,
            version,
            account,
            quoting: Quoting::for_sql_mode(&text(row, 2).unwrap_or_default()),
            points: points.clone(),
            deadline,
        };
        tracing::debug!(login, version = %session.version, account = %session.account, "logged in");
        Ok(session)
    }

    /// The server's flavour and version.
    pub(crate) fn version(&self) -> &ServerVersion {
        &self.version
    }

    /// The account this session authenticated as (`CURRENT_USER()`).
    pub(crate) fn account(&self) -> &Account {
        &self.account
    }

    /// How literals are escaped in this session.
    pub(crate) fn quoting(&self) -> Quoting {
        self.quoting
    }

    /// Runs a statement that returns no rows.
    pub(crate) async fn execute(&mut self, statement: &Statement) -> Result<(), MySqlError> {
        let ticket = self.points.before(statement.label)?;
        within(
            self.deadline,
            statement.label,
            self.conn.query_drop(statement.text.expose_secret()),
        )
        .await?
        .map_err(|error| statement_error(error, statement.label))?;
        ticket.after()?;
        Ok(())
    }

    /// Runs a query whose text carries no secret and returns its rows.
    pub(crate) async fn query(&mut self, operation: &'static str, sql: &str) -> Result<Vec<Row>, MySqlError> {
        run_query(&mut self.conn, &self.points, self.deadline, operation, sql).await
    }

    /// Whether this client required and verified TLS for the session (see [`Session::open`]). This is the
    /// client's own guarantee; the server's view (`Ssl_cipher`) is not asked, because behind a
    /// TLS-terminating proxy it is "unencrypted" however well the client's leg is protected.
    pub(crate) fn verified_tls(&self) -> bool {
        self.verified_tls
    }

    /// Says goodbye to the server, within the deadline. A failure here changes nothing, so it is only logged.
    pub(crate) async fn close(self) {
        let login = self.login;
        match tokio::time::timeout_at(self.deadline.instant(), self.conn.disconnect()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => tracing::debug!(login, "the session did not close cleanly"),
        }
    }
}

/// Runs a query behind a fault point, bounded by the deadline.
async fn run_query(
    conn: &mut Conn,
    points: &FaultPoints,
    deadline: Deadline,
    operation: &'static str,
    sql: &str,
) -> Result<Vec<Row>, MySqlError> {
    let ticket = points.before(operation)?;
    let rows = within(deadline, operation, conn.query::<Row, _>(sql))
        .await?
        .map_err(|error| statement_error(error, operation))?;
    ticket.after()?;
    Ok(rows)
}

/// `operation` bounded by the deadline.
async fn within<T>(
    deadline: Deadline,
    operation: &str,
    future: impl Future<Output = T>,
) -> Result<T, MySqlError> {
    tokio::time::timeout_at(deadline.instant(), future)
        .await
        .map_err(|_elapsed| MySqlError::DeadlineExceeded {
            operation: operation.to_owned(),
        })
}

fn unexpected(operation: &'static str, reason: &str) -> MySqlError {
    MySqlError::UnexpectedResult {
        operation,
        reason: reason.to_owned(),
    }
}

/// Column `index` of `row` as text; `None` for NULL. The text protocol sends every value as bytes.
pub(crate) fn text(row: &Row, index: usize) -> Option<String> {
    match row.as_ref(index)? {
        Value::Bytes(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::Int(number) => Some(number.to_string()),
        Value::UInt(number) => Some(number.to_string()),
        _ => None,
    }
}

/// What a driver error means while logging in. Server messages are dropped (see [`crate::error`]).
fn connect_error(error: mysql_async::Error, login: &str) -> MySqlError {
    let login = login.to_owned();
    match error {
        mysql_async::Error::Server(server) if matches!(server.code, 1045 | 1698) => MySqlError::AuthFailed {
            login,
            code: server.code,
        },
        mysql_async::Error::Server(server) if ACCOUNT_LOCKED_CODES.contains(&server.code) => {
            MySqlError::AccountLocked {
                login,
                code: server.code,
            }
        }
        mysql_async::Error::Server(server) => MySqlError::ConnectRejected {
            login,
            code: server.code,
            sqlstate: server.state,
        },
        mysql_async::Error::Io(mysql_async::IoError::Tls(tls)) => MySqlError::TlsHandshake {
            login,
            reason: tls.to_string(),
        },
        mysql_async::Error::Io(mysql_async::IoError::Io(io)) => {
            match io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                Some(tls) => MySqlError::TlsHandshake {
                    login,
                    reason: tls.to_string(),
                },
                None => MySqlError::Unreachable {
                    login,
                    reason: io.to_string(),
                },
            }
        }
        mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer) => {
            MySqlError::TlsUnavailable { login }
        }
        mysql_async::Error::Driver(mysql_async::DriverError::ConnectionClosed) => MySqlError::Unreachable {
            login,
            reason: "the server closed the connection".into(),
        },
        mysql_async::Error::Driver(driver) => MySqlError::ConnectFailed {
            login,
            reason: driver_reason(&driver),
        },
        _ => MySqlError::ConnectFailed {
            login,
            reason: "the driver failed",
        },
    }
}

/// What a driver error means while a statement runs. Server messages are dropped (see [`crate::error`]).
fn statement_error(error: mysql_async::Error, operation: &'static str) -> MySqlError {
    match error {
        mysql_async::Error::Server(server) => MySqlError::Statement {
            operation,
            code: server.code,
            sqlstate: server.state,
        },
        mysql_async::Error::Io(io) => MySqlError::StatementInterrupted {
            operation,
            reason: io.to_string(),
        },
        mysql_async::Error::Driver(driver) => MySqlError::StatementInterrupted {
            operation,
            reason: driver_reason(&driver).to_owned(),
        },
        _ => MySqlError::StatementInterrupted {
            operation,
            reason: "the driver failed".into(),
        },
    }
}

/// A fixed description of a driver error: some of them carry row values in their `Display`.
fn driver_reason(error: &mysql_async::DriverError) -> &'static str {
    use mysql_async::DriverError as E;
    match error {
        E::UnknownAuthPlugin { .. } => {
            "the account uses an authentication plugin this client does not support"
        }
        E::CleartextPluginDisabled => {
            "the server asked for the password in cleartext, which rotor never sends"
        }
        E::MysqlOldPasswordDisabled => "the account uses the pre-4.1 password hash, which rotor refuses",
        E::ConnectionClosed => "the connection is closed",
        E::PacketOutOfOrder | E::UnexpectedPacket { .. } => "the server broke the protocol",
        E::PacketTooLarge => "a packet exceeded max_allowed_packet",
        E::CantParseServerVersion { .. } => "the server's version is not understood",
        _ => "the driver failed",
    }
}

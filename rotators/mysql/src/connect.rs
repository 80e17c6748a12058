//! Sessions: one login through the kit's guard, bounded by the invocation deadline, with every statement
//! behind a fault point.
//!
//! A session starts with one query, `SELECT VERSION(), CURRENT_USER(), @@SESSION.sql_mode`, which tells the
//! server's flavour and version, the exact `'user'@'host'` account the login matched, and how literals must
//! be escaped. mysql_async is configured so that it sends nothing else of its own: no settings query, no
//! switch to a unix socket, no prepared statements.
//!
//! `Debug` of [`Session`] is written by hand: mysql_async's connection prints its options, and those hold
//! the password.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row, Value};
use rotor_core::database::{DatabaseError, Login, ServerCode, StatementGuard};
use secrecy::{ExposeSecret, SecretString};

use crate::account::{Account, Quoting};
use crate::engine::MySql;
use crate::error::{ACCOUNT_LOCKED_CODES, MySqlError, MySqlFailure};
use crate::flavour::ServerVersion;
use crate::tls::ssl_opts;

/// mysql_async otherwise asks the server for these after login; fixed values save a round trip.
const MAX_ALLOWED_PACKET: usize = 16 * 1024 * 1024;
const WAIT_TIMEOUT_SECONDS: usize = 28_800;

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
pub struct Session {
    conn: Conn,
    login: String,
    verified_tls: bool,
    version: ServerVersion,
    account: Account,
    quoting: Quoting,
    guard: StatementGuard<MySql>,
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
    /// Logs in with `login` and reads the session's identity.
    ///
    /// Fails with [`DatabaseError::WrongUser`] when the server authenticated a different user (an anonymous
    /// account, for instance): nothing is ever changed through such a session.
    ///
    /// Unless the login disables TLS, the session is encrypted and verified from this client's side or it
    /// does not open: mysql_async refuses a server that does not offer TLS, and rustls checks the chain and
    /// the host name before the login is sent.
    pub(crate) async fn open(login: &Login<'_>, guard: StatementGuard<MySql>) -> Result<Self, MySqlError> {
        let label = login.label;
        let ssl = ssl_opts(&login.tls())?;
        let verified_tls = ssl.is_some();
        let options = OptsBuilder::default()
            .ip_or_hostname(login.host())
            .resolved_ips(login.address.map(|address| vec![address]))
            .tcp_port(login.port())
            .user(Some(login.username()))
            .pass(Some(login.password().expose_secret()))
            .db_name(login.dbname())
            .prefer_socket(false)
            .stmt_cache_size(0)
            .max_allowed_packet(Some(MAX_ALLOWED_PACKET))
            .wait_timeout(Some(WAIT_TIMEOUT_SECONDS))
            .ssl_opts(ssl);
        let mut conn = guard
            .connect(label, Conn::new(options), |error| connect_error(error, label))
            .await?;
        let operation = "SELECT identity";
        let rows = guard
            .run(
                operation,
                conn.query::<Row, _>("SELECT VERSION(), CURRENT_USER(), @@SESSION.sql_mode"),
                |error| statement_error(error, operation),
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| MySqlError::unexpected(operation, "no row"))?;
        let version = text(row, 0).ok_or_else(|| MySqlError::unexpected(operation, "VERSION() is NULL"))?;
        let version = ServerVersion::parse(&version)
            .map_err(|error| MySqlError::unexpected(operation, error.to_string()))?;
        let account = text(row, 1)
            .as_deref()
            .and_then(Account::from_current_user)
            .ok_or_else(|| MySqlError::unexpected(operation, "CURRENT_USER() is not user@host"))?;
        if account.user != login.username() {
            return Err(MySqlError::WrongUser {
                login: label.to_owned(),
                expected: login.username().to_owned(),
                actual: account.user,
            });
        }
        let session = Self {
            conn,
            login: label.to_owned(),
            verified_tls,
            version,
            account,
            quoting: Quoting::for_sql_mode(&text(row, 2).unwrap_or_default()),
            guard,
        };
        tracing::debug!(login = label, version = %session.version, account = %session.account, "logged in");
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
        let label = statement.label;
        self.guard
            .run(
                label,
                self.conn.query_drop(statement.text.expose_secret()),
                |error| statement_error(error, label),
            )
            .await
    }

    /// Runs a query whose text carries no secret and returns its rows.
    pub(crate) async fn query(&mut self, operation: &'static str, sql: &str) -> Result<Vec<Row>, MySqlError> {
        self.guard
            .run(operation, self.conn.query::<Row, _>(sql), |error| {
                statement_error(error, operation)
            })
            .await
    }

    /// Whether this client required and verified TLS for the session (see [`Session::open`]). This is the
    /// client's own guarantee; the server's view (`Ssl_cipher`) is not asked, because behind a
    /// TLS-terminating proxy it is "unencrypted" however well the client's leg is protected.
    pub(crate) fn verified_tls(&self) -> bool {
        self.verified_tls
    }

    /// Says goodbye to the server, within the deadline. A failure here changes nothing, so it is only logged.
    pub(crate) async fn close(self) {
        let Self {
            conn, login, guard, ..
        } = self;
        guard.close(&login, conn.disconnect()).await;
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
    match error {
        mysql_async::Error::Server(server) if ACCOUNT_LOCKED_CODES.contains(&server.code) => {
            MySqlFailure::AccountLocked {
                login: login.to_owned(),
                code: server.code,
            }
            .into()
        }
        mysql_async::Error::Server(server) => {
            MySqlError::login_refused(login, ServerCode::numbered(server.code, server.state), None)
        }
        mysql_async::Error::Io(mysql_async::IoError::Tls(tls)) => DatabaseError::TlsHandshake {
            login: login.to_owned(),
            reason: tls.to_string(),
        },
        mysql_async::Error::Io(mysql_async::IoError::Io(io)) => {
            match io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                Some(tls) => DatabaseError::TlsHandshake {
                    login: login.to_owned(),
                    reason: tls.to_string(),
                },
                None => DatabaseError::Unreachable {
                    login: login.to_owned(),
                    reason: io.to_string(),
                },
            }
        }
        mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer) => {
            DatabaseError::TlsUnavailable {
                login: login.to_owned(),
            }
        }
        mysql_async::Error::Driver(mysql_async::DriverError::ConnectionClosed) => {
            DatabaseError::Unreachable {
                login: login.to_owned(),
                reason: "the server closed the connection".into(),
            }
        }
        mysql_async::Error::Driver(driver) => DatabaseError::ConnectFailed {
            login: login.to_owned(),
            reason: driver_reason(&driver).to_owned(),
        },
        _ => DatabaseError::ConnectFailed {
            login: login.to_owned(),
            reason: "the driver failed".to_owned(),
        },
    }
}

/// What a driver error means while a statement runs. Server messages are dropped (see [`crate::error`]).
fn statement_error(error: mysql_async::Error, operation: &'static str) -> MySqlError {
    match error {
        mysql_async::Error::Server(server) => DatabaseError::Statement {
            operation,
            code: ServerCode::numbered(server.code, server.state),
            message: None,
        },
        mysql_async::Error::Io(io) => DatabaseError::StatementInterrupted {
            operation,
            reason: io.to_string(),
        },
        mysql_async::Error::Driver(driver) => DatabaseError::StatementInterrupted {
            operation,
            reason: driver_reason(&driver).to_owned(),
        },
        _ => DatabaseError::StatementInterrupted {
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

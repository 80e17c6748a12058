//! The boundary between the kit and an engine: what a database engine must tell rotor-core, and
//! the one login description every engine connects with.

use std::borrow::Cow;
use std::future::Future;
use std::net::IpAddr;

use secrecy::SecretString;

use crate::error::{Classify, ErrorClass};

use super::error::{DatabaseError, ErrorTypes, ServerCode};
use super::guard::StatementGuard;
use super::pair::UserPair;
use super::secret::{DatabaseSecret, EngineFamily, TlsMode};
use super::username::UsernameLimit;

/// A database engine: its driver, its server's error codes and its secret format. Implemented
/// by a unit type in each engine crate (`rotor_postgres::Postgres`, `rotor_mysql::MySql`); the
/// [`EngineKit`](super::EngineKit) builds every shared step on it.
///
/// Only what is truly the engine's lives behind this trait: opening a session with its driver,
/// checking who a session authenticated as, and classifying its server's codes. Which
/// credential is tried, when a login counts as refused, the deadline, fault points and the
/// checks before the master acts are the kit's.
pub trait Engine: std::fmt::Debug + Send + Sync + Sized + 'static {
    /// The name in messages: `PostgreSQL`, `MySQL`.
    const NAME: &'static str;
    /// The secret format: accepted `engine` values, default port and database, user-name rule.
    const FAMILY: EngineFamily;
    /// The `errorType` of each shared error: `database_error_types!("Postgres")`.
    const ERROR_TYPES: ErrorTypes;
    /// The driver's tracing targets (crates with all their modules). Their events can carry SQL
    /// or protocol messages, so they are capped at INFO in every subscriber rotor installs.
    const LOG_TARGETS: &'static [&'static str];

    /// Failures only this engine has (missing privileges, unsupported plugins, …).
    type Error: Classify;
    /// An open, logged-in session.
    type Session: Send;

    /// The class of a server error code: a refused credential, worth retrying, or neither. The
    /// kit makes an authentication-class code permanent when a statement of a logged-in session
    /// gets it (see [`DatabaseError`]'s `Classify`).
    fn classify(code: &ServerCode) -> ErrorClass;

    /// The longest user name the server behind `secret` stores, before the server is asked.
    fn username_limit(secret: &DatabaseSecret) -> UsernameLimit;

    /// Opens a session for `login` over the TLS it demands ([`Login::tls`]): refused, never
    /// downgraded, when the server does not offer it. The connection attempt goes through
    /// `guard.connect` and every statement the session later sends through `guard.run`.
    fn connect(
        login: &Login<'_>,
        guard: StatementGuard<Self>,
    ) -> impl Future<Output = Result<Self::Session, DatabaseError<Self>>> + Send;

    /// Checks that `session` authenticated as `login`'s user (`session_user`, `CURRENT_USER()`),
    /// with [`DatabaseError::WrongUser`] when it did not. Changes nothing.
    fn verify_identity(
        session: &mut Self::Session,
        login: &Login<'_>,
    ) -> impl Future<Output = Result<(), DatabaseError<Self>>> + Send;

    /// Ends `session` politely, within its deadline. A failure changes nothing and is only logged.
    fn close(session: Self::Session) -> impl Future<Output = ()> + Send;

    /// Checks, changing nothing, that the master's `session` holds the privileges the next
    /// alternating-users rotation of `pair` uses: giving `pending_user` its new password, and
    /// first creating it with the original's memberships when it does not exist yet. A missing
    /// privilege is the engine's own typed error, naming the privilege. testSecret's
    /// configuration test and `rotor check` run it, so a master that could never rotate is
    /// found before a rotation starts. The default checks nothing and answers
    /// [`MasterRights::Unknown`], for an engine whose server cannot tell ahead of time.
    fn check_master_rights(
        session: &mut Self::Session,
        pair: &UserPair,
        pending_user: &str,
    ) -> impl Future<Output = Result<MasterRights, DatabaseError<Self>>> + Send {
        let _ = (session, pair, pending_user);
        async { Ok(MasterRights::Unknown) }
    }
}

/// What [`Engine::check_master_rights`] could tell about the master's privileges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MasterRights {
    /// The master holds every privilege the next rotation uses.
    Held,
    /// The server cannot tell ahead of time (privileges through roles, an engine without a
    /// check): the rotation's own statements decide, before its first change where they can.
    Unknown,
}

/// One login: a stored credential, the name it goes by, and where a test redirects it. `Debug`
/// shows no password: [`DatabaseSecret`]'s is redacted.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    /// The credential's name in logs, errors and fault labels (`current`, `master`, …).
    pub label: &'a str,
    /// The credential, with its own host, port, database and TLS settings.
    pub secret: &'a DatabaseSecret,
    /// The address to connect to instead of resolving the host (a test's
    /// [`HostOverrides`](super::HostOverrides)); TLS still verifies the certificate against the
    /// host name.
    pub address: Option<IpAddr>,
    /// A test server's CA, trusted besides the usual roots, for an overridden host only.
    pub test_ca: Option<&'a str>,
}

impl<'a> Login<'a> {
    /// A login with `secret`, resolving its host as usual.
    pub fn new(secret: &'a DatabaseSecret, label: &'a str) -> Self {
        Self {
            label,
            secret,
            address: None,
            test_ca: None,
        }
    }

    /// The host name: what is resolved (unless overridden) and what TLS verifies.
    pub fn host(&self) -> &'a str {
        &self.secret.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.secret.port
    }

    /// The database, if the secret names one (its family's default was filled in when parsed).
    pub fn dbname(&self) -> Option<&'a str> {
        self.secret.dbname.as_deref()
    }

    /// The user to log in as.
    pub fn username(&self) -> &'a str {
        &self.secret.username
    }

    /// The password.
    pub fn password(&self) -> &'a SecretString {
        &self.secret.password
    }

    /// The TLS the connection must use: the secret's, trusting the test CA as well when the host
    /// is overridden and the secret names no CA bundle of its own.
    pub fn tls(&self) -> Cow<'a, TlsMode> {
        match (&self.secret.tls, self.test_ca) {
            (TlsMode::VerifyFull { ca_bundle: None }, Some(pem)) => Cow::Owned(TlsMode::VerifyFull {
                ca_bundle: Some(pem.to_owned()),
            }),
            (tls, _) => Cow::Borrowed(tls),
        }
    }
}

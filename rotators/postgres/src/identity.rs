//! What testSecret proves about a login: who the session authenticated as, over the transport the
//! secret demands.
//!
//! Both guarantees come from what cannot be changed in between. The user is `session_user` (the
//! role that authenticated), not `current_user`, which a role setting such as
//! `ALTER ROLE app_clone SET role = 'app'` changes on every login. Encryption is the client's own
//! verified TLS handshake: [`connect`] refuses any server that does not complete one. The
//! server's view (`pg_stat_ssl`) is false behind a TLS-terminating pooler or proxy, so it is only
//! logged, never a reason to fail a rotation whose password has already changed.

use rotor_core::Deadline;
use rotor_core::database::{DatabaseSecret, HostOverrides, TlsMode};
use rotor_core::fault::FaultPoints;

use crate::connect::{Login, Session, connect};
use crate::error::PgError;
use crate::secret::dbname;

/// `session_user`, and whether the server sees this session as encrypted. `pg_stat_ssl` shows
/// every session its own row, so no privilege is needed. Every name is schema-qualified and the
/// session's `search_path` is pinned (see [`connect`]).
const IDENTITY: &str = "SELECT session_user::pg_catalog.text, \
     coalesce((SELECT s.ssl FROM pg_catalog.pg_stat_ssl s \
                WHERE s.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()), false)";

impl<'a> Login<'a> {
    /// Logs in to the secret's own target as the secret's own user.
    pub(crate) fn of(secret: &'a DatabaseSecret, label: &'a str) -> Self {
        Self {
            label,
            host: &secret.host,
            port: secret.port,
            dbname: dbname(secret),
            tls: &secret.tls,
            username: &secret.username,
            password: &secret.password,
            address: None,
            test_ca: None,
        }
    }
}

/// Logs in with `secret` over the TLS it demands, checks that the server authenticated the user
/// the secret names (`session_user`), then closes the session. Changes nothing.
pub(crate) async fn verify_login(
    secret: &DatabaseSecret,
    label: &str,
    deadline: Deadline,
    faults: &FaultPoints,
    hosts: &HostOverrides,
) -> Result<(), PgError> {
    let session = connect(&Login::of(secret, label).via(hosts), deadline, faults).await?;
    let result = check_identity(&session, secret, label).await;
    session.close().await;
    result
}

async fn check_identity(session: &Session, secret: &DatabaseSecret, label: &str) -> Result<(), PgError> {
    const OPERATION: &str = "SELECT identity";
    let rows = session.query(OPERATION, IDENTITY, &[]).await?;
    let unexpected = |_| PgError::UnexpectedResult { operation: OPERATION };
    let row = rows
        .first()
        .ok_or(PgError::UnexpectedResult { operation: OPERATION })?;
    let user: String = row.try_get(0).map_err(unexpected)?;
    let encrypted: bool = row.try_get(1).map_err(unexpected)?;
    if user != secret.username {
        return Err(PgError::WrongUser {
            expected: secret.username.clone(),
            actual: user,
        });
    }
    let verified_tls = !matches!(secret.tls, TlsMode::Disabled);
    if verified_tls && !encrypted {
        tracing::info!(
            login = label,
            "the client's TLS handshake was verified, but the server sees an unencrypted session: \
             a TLS-terminating pooler or proxy sits in between"
        );
    }
    tracing::info!(
        login = label,
        verified_tls,
        server_sees_tls = encrypted,
        "login verified"
    );
    Ok(())
}

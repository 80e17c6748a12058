//! What testSecret proves about a login: who the session authenticated as, over the transport the
//! secret demands.
//!
//! Both guarantees come from what cannot be changed in between. The user is `session_user` (the
//! role that authenticated), not `current_user`, which a role setting such as
//! `ALTER ROLE app_clone SET role = 'app'` changes on every login. Encryption is the client's own
//! verified TLS handshake: [`connect`](crate::connect::connect) refuses any server that does not
//! complete one. The server's view (`pg_stat_ssl`) is false behind a TLS-terminating pooler or
//! proxy, so it is only logged, never a reason to fail a rotation whose password has already
//! changed.

use rotor_core::database::{Login, TlsMode};

use crate::connect::Session;
use crate::error::PgError;

/// `session_user`, and whether the server sees this session as encrypted. `pg_stat_ssl` shows
/// every session its own row, so no privilege is needed. Every name is schema-qualified and the
/// session's `search_path` is pinned (see [`connect`](crate::connect::connect)).
const IDENTITY: &str = "SELECT session_user::pg_catalog.text, \
     coalesce((SELECT s.ssl FROM pg_catalog.pg_stat_ssl s \
                WHERE s.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()), false)";

/// Checks that the server authenticated the user `login` names (`session_user`). Changes nothing.
pub(crate) async fn check_identity(session: &Session, login: &Login<'_>) -> Result<(), PgError> {
    const OPERATION: &str = "SELECT identity";
    let rows = session.query(OPERATION, IDENTITY, &[]).await?;
    let unexpected = |_| PgError::unexpected(OPERATION, "a column has another type");
    let row = rows.first().ok_or(PgError::unexpected(OPERATION, "no row"))?;
    let user: String = row.try_get(0).map_err(unexpected)?;
    let encrypted: bool = row.try_get(1).map_err(unexpected)?;
    if user != login.username() {
        return Err(PgError::WrongUser {
            login: login.label.to_owned(),
            expected: login.username().to_owned(),
            actual: user,
        });
    }
    let verified_tls = !matches!(login.secret.tls, TlsMode::Disabled);
    if verified_tls && !encrypted {
        tracing::info!(
            login = login.label,
            "the client's TLS handshake was verified, but the server sees an unencrypted session: \
             a TLS-terminating pooler or proxy sits in between"
        );
    }
    tracing::debug!(
        login = login.label,
        verified_tls,
        server_sees_tls = encrypted,
        "identity checked"
    );
    Ok(())
}

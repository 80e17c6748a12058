//! What testSecret proves about a login: who the session is and that it is encrypted.

use rotor_core::Deadline;
use rotor_core::database::{DatabaseSecret, TlsMode};
use rotor_core::fault::FaultPoints;

use crate::connect::{Login, Session, connect};
use crate::error::PgError;
use crate::secret::dbname;

/// `current_user`, and whether the server sees this session as encrypted. `pg_stat_ssl` shows
/// every session its own row, so no privilege is needed.
const IDENTITY: &str = "SELECT current_user::text, \
     coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)";

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
        }
    }
}

/// Logs in with `secret`, checks that the server sees the expected user and, when TLS is
/// required, an encrypted session, then closes the session. Changes nothing.
pub(crate) async fn verify_login(
    secret: &DatabaseSecret,
    label: &str,
    deadline: Deadline,
    faults: &FaultPoints,
) -> Result<(), PgError> {
    let session = connect(&Login::of(secret, label), deadline, faults).await?;
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
    if !matches!(secret.tls, TlsMode::Disabled) && !encrypted {
        return Err(PgError::SessionNotEncrypted {
            login: label.to_owned(),
        });
    }
    tracing::info!(login = label, encrypted, "login verified");
    Ok(())
}

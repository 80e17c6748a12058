//! A check shared by both rotators: proving that a credential logs in as the user it names over the transport
//! it demands.

use rotor_core::Deadline;
use rotor_core::database::{DatabaseSecret, TlsMode};
use rotor_core::fault::FaultPoints;

use crate::connect::{Session, Target};
use crate::error::MySqlError;

/// Logs in with `secret` as the user it names (the session checks `CURRENT_USER()`) and, unless TLS was
/// explicitly disabled, checks that the server sees the session as encrypted. Changes nothing.
pub(crate) async fn verify_login(
    secret: &DatabaseSecret,
    login: &str,
    deadline: Deadline,
    faults: &FaultPoints,
) -> Result<(), MySqlError> {
    let mut session = Session::open(
        &Target::of(secret),
        &secret.username,
        &secret.password,
        login,
        faults,
        deadline,
    )
    .await?;
    let encrypted = match secret.tls {
        TlsMode::Disabled => Ok(true),
        _ => session.is_encrypted().await,
    };
    session.close().await;
    if !encrypted? {
        return Err(MySqlError::SessionNotEncrypted {
            login: login.to_owned(),
        });
    }
    Ok(())
}

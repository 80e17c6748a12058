//! Checks shared by both rotators: parsing a stored version, and proving that a credential logs in as the
//! user it names over the transport it demands.

use rotor_core::database::TlsMode;
use rotor_core::fault::FaultPoints;
use rotor_core::{Deadline, RotationError, SecretContext, SecretJson};

use crate::connect::Session;
use crate::error::MySqlError;
use crate::secret::MySqlSecret;

/// Parses a stored version, reporting a malformed one as [`RotationError::MalformedSecret`] for `version`.
pub(crate) fn parse(
    ctx: &SecretContext<'_>,
    json: &SecretJson,
    version: &str,
) -> Result<MySqlSecret, RotationError> {
    MySqlSecret::parse(json).map_err(|problem| ctx.malformed(version, problem))
}

/// Logs in with `secret` as the user it names (the session checks `CURRENT_USER()`) and, unless TLS was
/// explicitly disabled, checks that the server sees the session as encrypted. Changes nothing.
pub(crate) async fn verify_login(
    secret: &MySqlSecret,
    login: &str,
    deadline: Deadline,
    faults: &FaultPoints,
) -> Result<(), MySqlError> {
    let mut session = Session::open(
        &secret.target(),
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

//! A check shared by both rotators: proving that a credential logs in as the user it names over the transport
//! it demands.

use rotor_core::Deadline;
use rotor_core::database::DatabaseSecret;
use rotor_core::fault::FaultPoints;

use crate::connect::{Session, Target};
use crate::error::MySqlError;

/// Logs in with `secret` as the user it names (the session checks `CURRENT_USER()`), over verified TLS unless
/// the secret disables it. Changes nothing.
///
/// The encryption guarantee is the client's own verified handshake ([`Session::open`]), not the server's
/// `Ssl_cipher`: behind a TLS-terminating proxy the server sees plaintext from the proxy, and a check that
/// fails there would leave a single user with a changed password and a testSecret no retry can pass.
pub(crate) async fn verify_login(
    secret: &DatabaseSecret,
    login: &str,
    deadline: Deadline,
    faults: &FaultPoints,
) -> Result<(), MySqlError> {
    let session = Session::open(
        &Target::of(secret),
        &secret.username,
        &secret.password,
        login,
        faults,
        deadline,
    )
    .await?;
    tracing::debug!(login, verified_tls = session.verified_tls(), "login verified");
    session.close().await;
    Ok(())
}

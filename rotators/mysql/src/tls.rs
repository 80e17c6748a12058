//! The TLS settings of a connection: verified by default, plaintext only when the secret says so.
//!
//! AWS's functions try TLS and silently retry in plaintext after any failure, so a wrong certificate, an
//! on-path attacker or a typo downgrades the connection that carries the new password. Here
//! [`TlsMode::VerifyFull`] makes mysql_async (rustls) require TLS, verify the chain against the system's
//! trusted roots plus an optional extra CA bundle (for RDS, the RDS CA bundle), and check the host name; a
//! server without TLS is an error, never a fallback. Only [`TlsMode::Disabled`] (`"ssl": false` in the
//! secret, or `ROTOR_TLS=disable`) connects in plaintext.

use mysql_async::SslOpts;
use rotor_core::database::TlsMode;

use crate::error::MySqlError;

/// mysql_async's TLS options for `mode`: `None` for plaintext, otherwise verified TLS with the roots rotor-core
/// assembles (the system's and the extra bundle). mysql_async's compiled-in Mozilla roots are used only when
/// the system has none.
pub(crate) fn ssl_opts(mode: &TlsMode) -> Result<Option<SslOpts>, MySqlError> {
    let Some(trusted) = mode.trusted_roots()? else {
        return Ok(None);
    };
    // Each DER certificate becomes mysql_async's `PathOrBuf::Buf`, which it adds to rustls' root store.
    let roots = trusted
        .system
        .iter()
        .chain(&trusted.bundle)
        .map(|certificate| certificate.as_ref().to_vec().into())
        .collect();
    Ok(Some(
        SslOpts::default()
            .with_root_certs(roots)
            .with_disable_built_in_roots(!trusted.system.is_empty()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rotor_core::Classify;
    use rotor_core::database::CaBundleError;

    #[test]
    fn plaintext_only_when_disabled() {
        assert!(ssl_opts(&TlsMode::Disabled).unwrap().is_none());
        let verified = ssl_opts(&TlsMode::VerifyFull { ca_bundle: None })
            .unwrap()
            .unwrap();
        assert!(!verified.accept_invalid_certs());
        assert!(!verified.skip_domain_validation());
    }

    #[test]
    fn bundles_must_hold_certificates() {
        let missing = ssl_opts(&TlsMode::VerifyFull {
            ca_bundle: Some("/nonexistent/ca.pem".into()),
        });
        assert!(matches!(
            missing,
            Err(MySqlError::CaBundle(CaBundleError::Unreadable(_)))
        ));
        let garbage = ssl_opts(&TlsMode::VerifyFull {
            ca_bundle: Some("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".into()),
        });
        assert!(matches!(
            garbage,
            Err(MySqlError::CaBundle(CaBundleError::NotPem(_)))
        ));
        let error = garbage.unwrap_err();
        assert_eq!(error.error_type(), "MySqlTlsConfig");
        assert!(error.to_string().starts_with("TLS configuration: "), "{error}");
    }
}

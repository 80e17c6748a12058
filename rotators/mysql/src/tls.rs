//! The TLS settings of a connection: verified by default, plaintext only when the secret says so.
//!
//! AWS's functions try TLS and silently retry in plaintext after any failure, so a wrong certificate, an
//! on-path attacker or a typo downgrades the connection that carries the new password. Here
//! [`TlsMode::VerifyFull`] makes mysql_async (rustls) require TLS, verify the chain against the system's
//! trusted roots plus an optional extra CA bundle (for RDS, the RDS CA bundle), and check the host name; a
//! server without TLS is an error, never a fallback. Only [`TlsMode::Disabled`] (`"ssl": false` in the
//! secret, or `ROTOR_TLS=disable`) connects in plaintext.

use std::borrow::Cow;
use std::sync::OnceLock;

use mysql_async::SslOpts;
use rotor_core::database::TlsMode;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::MySqlError;

/// The certificates of the operating system's trust store, DER-encoded, read once per process.
fn system_roots() -> &'static [Vec<u8>] {
    static ROOTS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        if !loaded.errors.is_empty() {
            tracing::warn!(
                errors = loaded.errors.len(),
                "some system CA certificates could not be read"
            );
        }
        loaded
            .certs
            .into_iter()
            .map(|cert| cert.as_ref().to_vec())
            .collect()
    })
}

/// The certificates of a CA bundle given as inline PEM or as the path of a PEM file.
async fn bundle_certificates(bundle: &str) -> Result<Vec<Vec<u8>>, MySqlError> {
    let pem: Cow<'_, [u8]> = if bundle.contains("-----BEGIN") {
        Cow::Borrowed(bundle.as_bytes())
    } else {
        Cow::Owned(
            tokio::fs::read(bundle)
                .await
                .map_err(|error| MySqlError::TlsConfig {
                    reason: format!("cannot read the CA bundle file {bundle:?}: {error}"),
                })?,
        )
    };
    let mut certificates = Vec::new();
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        let certificate = certificate.map_err(|error| MySqlError::TlsConfig {
            reason: format!("the CA bundle is not valid PEM: {error}"),
        })?;
        certificates.push(certificate.as_ref().to_vec());
    }
    if certificates.is_empty() {
        return Err(MySqlError::TlsConfig {
            reason: "the CA bundle holds no PEM certificate".into(),
        });
    }
    Ok(certificates)
}

/// mysql_async's TLS options for `mode`: `None` for plaintext, otherwise verified TLS with the system roots
/// and the extra bundle. mysql_async's compiled-in Mozilla roots are used only when the system has none.
pub(crate) async fn ssl_opts(mode: &TlsMode) -> Result<Option<SslOpts>, MySqlError> {
    let ca_bundle = match mode {
        TlsMode::Disabled => return Ok(None),
        TlsMode::VerifyFull { ca_bundle } => ca_bundle.as_deref(),
        _ => {
            return Err(MySqlError::TlsConfig {
                reason: "this TLS mode is not supported".into(),
            });
        }
    };
    let system = system_roots();
    let mut roots: Vec<Vec<u8>> = system.to_vec();
    if let Some(bundle) = ca_bundle {
        roots.extend(bundle_certificates(bundle).await?);
    }
    // Each DER certificate becomes mysql_async's `PathOrBuf::Buf`, which it adds to rustls' root store.
    let roots = roots.into_iter().map(Into::into).collect();
    Ok(Some(
        SslOpts::default()
            .with_root_certs(roots)
            .with_disable_built_in_roots(!system.is_empty()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plaintext_only_when_disabled() {
        assert!(ssl_opts(&TlsMode::Disabled).await.unwrap().is_none());
        let verified = ssl_opts(&TlsMode::VerifyFull { ca_bundle: None })
            .await
            .unwrap()
            .unwrap();
        assert!(!verified.accept_invalid_certs());
        assert!(!verified.skip_domain_validation());
    }

    #[tokio::test]
    async fn bundles_must_hold_certificates() {
        let missing = ssl_opts(&TlsMode::VerifyFull {
            ca_bundle: Some("/nonexistent/ca.pem".into()),
        })
        .await;
        assert!(matches!(missing, Err(MySqlError::TlsConfig { .. })));
        let garbage = ssl_opts(&TlsMode::VerifyFull {
            ca_bundle: Some("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".into()),
        })
        .await;
        assert!(matches!(garbage, Err(MySqlError::TlsConfig { .. })));
    }
}

//! The rustls client configuration: verify-full against the system roots plus an optional CA
//! bundle, with the aws-lc-rs provider the rest of the workspace uses.

use std::sync::{Arc, OnceLock};

use rotor_core::database::TlsMode;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::PgError;

/// The system's trusted roots, loaded once per process (the Lambda container keeps them warm).
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        if !loaded.errors.is_empty() {
            tracing::warn!(
                errors = loaded.errors.len(),
                "some system CA certificates could not be loaded"
            );
        }
        loaded.certs
    })
}

/// The CA certificates of a bundle given inline (PEM text) or as a file path.
fn bundle_certificates(bundle: &str) -> Result<Vec<CertificateDer<'static>>, PgError> {
    let config_error = |reason: String| PgError::TlsConfig { reason };
    let pem = if bundle.trim_start().starts_with("-----BEGIN") {
        bundle.as_bytes().to_vec()
    } else {
        std::fs::read(bundle.trim())
            .map_err(|error| config_error(format!("cannot read the CA bundle file: {error}")))?
    };
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| config_error(format!("the CA bundle is not valid PEM: {error}")))?;
    if certificates.is_empty() {
        return Err(config_error("the CA bundle holds no certificate".to_owned()));
    }
    Ok(certificates)
}

/// The client configuration for `mode`: `None` when TLS is explicitly disabled.
///
/// Verification is always full: the chain must lead to a trusted root and the certificate must
/// name the host the secret names. There is no "prefer" mode and no fallback to plaintext.
pub fn client_config(mode: &TlsMode) -> Result<Option<ClientConfig>, PgError> {
    let ca_bundle = match mode {
        TlsMode::Disabled => return Ok(None),
        TlsMode::VerifyFull { ca_bundle } => ca_bundle.as_deref(),
        _ => {
            return Err(PgError::TlsConfig {
                reason: "unsupported TLS mode".to_owned(),
            });
        }
    };
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(system_roots().iter().cloned());
    if let Some(bundle) = ca_bundle {
        let (added, ignored) = roots.add_parsable_certificates(bundle_certificates(bundle)?);
        if added == 0 {
            return Err(PgError::TlsConfig {
                reason: format!("none of the CA bundle's certificates is usable ({ignored} ignored)"),
            });
        }
    }
    if roots.is_empty() {
        return Err(PgError::TlsConfig {
            reason: "no trusted CA certificates: the system has none and no CA bundle is configured"
                .to_owned(),
        });
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| PgError::TlsConfig {
            reason: error.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_tls_needs_no_configuration() {
        assert!(client_config(&TlsMode::Disabled).unwrap().is_none());
    }

    #[test]
    fn unusable_ca_bundles_are_typed_errors() {
        for bundle in ["/nonexistent/ca.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n"] {
            let mode = TlsMode::VerifyFull {
                ca_bundle: Some(bundle.to_owned()),
            };
            assert!(
                matches!(client_config(&mode), Err(PgError::TlsConfig { .. })),
                "{bundle}"
            );
        }
    }
}

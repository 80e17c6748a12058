//! The rustls client configuration: verify-full against the roots rotor-core assembles (the
//! system's plus an optional CA bundle), with the aws-lc-rs provider the rest of the workspace
//! uses.

use std::sync::Arc;

use rotor_core::database::{DatabaseError, Engine, TlsMode};
use rustls::{ClientConfig, RootCertStore};

use crate::engine::Postgres;
use crate::error::PgError;

/// The client configuration for `mode`: `None` when TLS is explicitly disabled.
///
/// Verification is always full: the chain must lead to a trusted root and the certificate must
/// name the host the secret names. There is no "prefer" mode and no fallback to plaintext.
pub fn client_config(mode: &TlsMode) -> Result<Option<ClientConfig>, PgError> {
    rustls_config::<Postgres>(mode)
}

/// [`client_config`] with the errors of engine `E`.
pub(crate) fn rustls_config<E: Engine>(mode: &TlsMode) -> Result<Option<ClientConfig>, DatabaseError<E>> {
    let Some(trusted) = mode.trusted_roots()? else {
        return Ok(None);
    };
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(trusted.system.iter().cloned());
    if !trusted.bundle.is_empty() {
        let (added, ignored) = roots.add_parsable_certificates(trusted.bundle);
        if added == 0 {
            return Err(DatabaseError::TlsConfig {
                reason: format!("none of the CA bundle's certificates is usable ({ignored} ignored)"),
            });
        }
    }
    if roots.is_empty() {
        return Err(DatabaseError::TlsConfig {
            reason: "no trusted CA certificates: the system has none and no CA bundle is configured"
                .to_owned(),
        });
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| DatabaseError::TlsConfig {
            reason: error.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rotor_core::Classify;

    #[test]
    fn disabled_tls_needs_no_configuration() {
        assert!(client_config(&TlsMode::Disabled).unwrap().is_none());
    }

    #[test]
    fn unusable_ca_bundles_are_typed_errors() {
        let config = |bundle: &str| {
            client_config(&TlsMode::VerifyFull {
                ca_bundle: Some(bundle.to_owned()),
            })
        };
        for bundle in ["/nonexistent/ca.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n"] {
            assert!(matches!(config(bundle), Err(PgError::CaBundle(_))), "{bundle}");
        }
        let unusable = config("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assert!(matches!(unusable, Err(PgError::TlsConfig { .. })));
        for error in [config("/nonexistent/ca.pem"), unusable].map(Result::unwrap_err) {
            assert_eq!(error.error_type(), "PostgresTlsConfig");
            assert!(error.to_string().starts_with("TLS configuration: "), "{error}");
        }
    }
}

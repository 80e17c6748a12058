//! The CA certificates a verified database connection trusts: the operating system's, plus the
//! extra bundle from `ssl_ca` or `ROTOR_CA_BUNDLE` (for RDS, the RDS CA bundle).
//!
//! Each engine hands them to its own TLS stack; there is no "prefer" mode and no fallback to
//! plaintext anywhere.

use std::sync::OnceLock;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::secret::TlsMode;

/// The CA certificates to verify a server against.
#[derive(Debug, Clone)]
pub struct TrustedRoots {
    /// The operating system's trust store, read once per process (a warm Lambda container keeps
    /// it). May be empty.
    pub system: &'static [CertificateDer<'static>],
    /// The extra CA bundle's certificates; empty when no bundle is configured, never empty when
    /// one is.
    pub bundle: Vec<CertificateDer<'static>>,
}

/// Why the extra CA bundle cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaBundleError {
    /// The bundle is not inline PEM and the file it names cannot be read.
    #[error("cannot read the CA bundle file: {0}")]
    Unreadable(std::io::Error),
    /// The bundle is not valid PEM.
    #[error("the CA bundle is not valid PEM: {0}")]
    NotPem(rustls_pki_types::pem::Error),
    /// The bundle holds no certificate.
    #[error("the CA bundle holds no certificate")]
    Empty,
}

impl TlsMode {
    /// The CA certificates a connection in this mode trusts: `None` when TLS is disabled.
    ///
    /// Verification is always full, against these roots and the host name the secret names.
    pub fn trusted_roots(&self) -> Result<Option<TrustedRoots>, CaBundleError> {
        match self {
            Self::Disabled => Ok(None),
            Self::VerifyFull { ca_bundle } => Ok(Some(TrustedRoots {
                system: system_roots(),
                bundle: match ca_bundle {
                    Some(bundle) => bundle_certificates(bundle)?,
                    None => Vec::new(),
                },
            })),
        }
    }
}

/// The system's trusted roots, loaded once per process.
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

/// The certificates of a bundle given inline (PEM text, possibly after explanatory text) or as
/// the path of a PEM file.
fn bundle_certificates(bundle: &str) -> Result<Vec<CertificateDer<'static>>, CaBundleError> {
    let pem = if bundle.contains("-----BEGIN") {
        bundle.as_bytes().to_vec()
    } else {
        std::fs::read(bundle.trim()).map_err(CaBundleError::Unreadable)?
    };
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(CaBundleError::NotPem)?;
    if certificates.is_empty() {
        return Err(CaBundleError::Empty);
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_tls_trusts_nothing_and_needs_no_bundle() {
        assert!(TlsMode::Disabled.trusted_roots().unwrap().is_none());
        let roots = TlsMode::VerifyFull { ca_bundle: None }
            .trusted_roots()
            .unwrap()
            .unwrap();
        assert!(roots.bundle.is_empty());
    }

    #[test]
    fn unusable_ca_bundles_are_typed_errors() {
        let roots = |bundle: &str| {
            TlsMode::VerifyFull {
                ca_bundle: Some(bundle.to_owned()),
            }
            .trusted_roots()
        };
        assert!(matches!(
            roots("/nonexistent/ca.pem"),
            Err(CaBundleError::Unreadable(_))
        ));
        for garbage in [
            "-----BEGIN CERTIFICATE-----\nnot base64\n",
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        ] {
            assert!(
                matches!(roots(garbage), Err(CaBundleError::NotPem(_))),
                "{garbage}"
            );
        }
        assert!(matches!(
            roots("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            Err(CaBundleError::Empty)
        ));
    }

    #[test]
    fn a_bundle_is_read_inline_or_from_a_file() {
        // A syntactically valid PEM certificate section: the bytes are not checked here, rustls
        // and the engines' TLS stacks do that.
        let pem = "RDS root CA\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let inline = bundle_certificates(pem).unwrap();
        assert_eq!(inline.len(), 1);
        let path = std::env::temp_dir().join(format!("rotor-ca-{}.pem", std::process::id()));
        std::fs::write(&path, pem).unwrap();
        let from_file = bundle_certificates(&format!(" {}\n", path.display()));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(from_file.unwrap(), inline);
    }
}

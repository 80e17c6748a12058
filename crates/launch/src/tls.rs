//! A throwaway certificate authority and the one server certificate it signs, for TLS-required test servers.
//!
//! Every TLS-required server gets its own CA, so a test that trusts one server's CA can prove that another
//! server's certificate is refused. The CA's private key is dropped as soon as the server certificate is signed:
//! nothing can issue a second certificate under it.

use std::fmt;
use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};

use crate::server::OsAccount;

/// The names the server certificate is valid for: what a client puts in `host=` to connect to a test server.
const SERVER_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// Why the test CA could not be generated or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// rcgen could not generate a key or sign a certificate.
    #[error("generating the {item}: {source}")]
    Generate {
        /// What was being generated, e.g. "CA certificate".
        item: &'static str,
        /// The underlying error.
        #[source]
        source: rcgen::Error,
    },
    /// A certificate or key file could not be written, or its owner or mode set.
    #[error("writing {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// A test CA certificate plus a server certificate and key it signed for `localhost` and `127.0.0.1`.
pub struct TestCa {
    ca_cert_pem: String,
    server_cert_pem: String,
    server_key_pem: String,
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa")
            .field("ca_cert_pem", &self.ca_cert_pem)
            .field("server_cert_pem", &self.server_cert_pem)
            .field("server_key_pem", &"[REDACTED]")
            .finish()
    }
}

impl TestCa {
    /// Generates a fresh CA (ECDSA P-256) and a server certificate signed by it.
    ///
    /// # Errors
    /// [`TlsError::Generate`] when key generation or signing fails.
    pub fn generate() -> Result<Self, TlsError> {
        Self::generate_for(&[])
    }

    /// Like [`generate`](Self::generate), with a server certificate that is valid for `extra_names`
    /// too.
    ///
    /// # Errors
    /// [`TlsError::Generate`] when key generation or signing fails.
    pub fn generate_for(extra_names: &[String]) -> Result<Self, TlsError> {
        let generate = |item| move |source| TlsError::Generate { item, source };

        let ca_key = KeyPair::generate().map_err(generate("CA key"))?;
        let mut ca_params =
            CertificateParams::new(Vec::<String>::new()).map_err(generate("CA parameters"))?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "rotor-testkit throwaway CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        set_validity(&mut ca_params);
        let ca_cert = ca_params
            .self_signed(&ca_key)
            .map_err(generate("CA certificate"))?;
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().map_err(generate("server key"))?;
        let mut names = SERVER_NAMES.map(String::from).to_vec();
        names.extend_from_slice(extra_names);
        let mut server_params = CertificateParams::new(names).map_err(generate("server names"))?;
        server_params
            .distinguished_name
            .push(DnType::CommonName, SERVER_NAMES[0]);
        server_params.is_ca = IsCa::ExplicitNoCa;
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.use_authority_key_identifier_extension = true;
        set_validity(&mut server_params);
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .map_err(generate("server certificate"))?;

        Ok(Self {
            ca_cert_pem: ca_cert.pem(),
            server_cert_pem: server_cert.pem(),
            server_key_pem: server_key.serialize_pem(),
        })
    }

    /// The CA certificate, PEM-encoded: what a client trusts (`sslrootcert`, `--ssl-ca`).
    pub fn ca_cert_pem(&self) -> &str {
        &self.ca_cert_pem
    }

    /// The server certificate, PEM-encoded, valid for `localhost` and `127.0.0.1`.
    pub fn server_cert_pem(&self) -> &str {
        &self.server_cert_pem
    }

    /// The server's private key, PKCS#8 PEM.
    pub fn server_key_pem(&self) -> &str {
        &self.server_key_pem
    }

    /// Writes `ca.crt`, `server.crt` and `server.key` into `dir` (which must exist), the key with mode 0600.
    ///
    /// Running it again overwrites the files.
    ///
    /// # Errors
    /// [`TlsError::Write`] when a file cannot be written.
    pub fn write_to(&self, dir: &Path) -> Result<TlsFiles, TlsError> {
        let files = TlsFiles {
            ca_cert: dir.join("ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
        };
        write_file(&files.ca_cert, &self.ca_cert_pem, 0o644)?;
        write_file(&files.server_cert, &self.server_cert_pem, 0o644)?;
        write_file(&files.server_key, &self.server_key_pem, 0o600)?;
        Ok(files)
    }

    /// Writes the files as [`TestCa::write_to`] does and hands them to `owner`, the account the server runs as:
    /// PostgreSQL and MariaDB refuse a key that another account can read.
    pub(crate) fn install_for(&self, dir: &Path, owner: Option<&OsAccount>) -> Result<TlsFiles, TlsError> {
        let files = self.write_to(dir)?;
        if let Some(owner) = owner {
            for path in [&files.ca_cert, &files.server_cert, &files.server_key] {
                owner.chown(path).map_err(|source| TlsError::Write {
                    path: path.clone(),
                    source,
                })?;
            }
        }
        Ok(files)
    }
}

/// Where [`TestCa::write_to`] put the certificate and key files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    ca_cert: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

impl TlsFiles {
    /// The CA certificate file.
    pub fn ca_cert(&self) -> &Path {
        &self.ca_cert
    }

    /// The server certificate file.
    pub fn server_cert(&self) -> &Path {
        &self.server_cert
    }

    /// The server private key file (mode 0600).
    pub fn server_key(&self) -> &Path {
        &self.server_key
    }
}

/// A wide, fixed window, so that a test machine whose clock is off by days still accepts the certificates.
fn set_validity(params: &mut CertificateParams) {
    params.not_before = date_time_ymd(2000, 1, 1);
    params.not_after = date_time_ymd(2100, 1, 1);
}

fn write_file(path: &Path, contents: &str, mode: u32) -> Result<(), TlsError> {
    let write = || -> io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(path)?;
        file.write_all(contents.as_bytes())?;
        // `mode` applies only when the file is created; an overwritten file must end up with it too.
        fs::set_permissions(path, Permissions::from_mode(mode))
    };
    write().map_err(|source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_generated_ca_is_distinct_and_pem_encoded() {
        let first = TestCa::generate().unwrap();
        let second = TestCa::generate().unwrap();

        assert!(first.ca_cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(first.server_cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(first.server_key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_ne!(first.ca_cert_pem(), second.ca_cert_pem());
    }

    #[test]
    fn debug_output_hides_the_private_key() {
        let ca = TestCa::generate().unwrap();

        let debug = format!("{ca:?}");

        assert!(debug.contains("[REDACTED]"));
        assert!(!debug.contains("PRIVATE KEY"));
    }

    #[test]
    fn written_key_is_private_to_its_owner() {
        let dir = std::env::temp_dir().join(format!("rotor-testkit-tls-unit-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();

        let files = TestCa::generate().unwrap().write_to(&dir).unwrap();
        let key_mode = fs::metadata(files.server_key()).unwrap().permissions().mode() & 0o777;
        let ca_text = fs::read_to_string(files.ca_cert()).unwrap();
        fs::remove_dir_all(&dir).unwrap();

        assert_eq!(key_mode, 0o600);
        assert!(ca_text.contains("BEGIN CERTIFICATE"));
    }
}

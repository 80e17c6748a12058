//! What every throwaway server is, whatever it runs: where it listens, the CA it may require, its process and
//! files, and how it stops.

use std::fmt;
use std::path::Path;

use crate::LaunchError;
use crate::server::{LOCALHOST, Running};
use crate::tls::{TestCa, TlsFiles};

/// A running throwaway server; `K` is what its kind adds ([`Postgres`](crate::Postgres),
/// [`MariaDb`](crate::MariaDb) or [`Moto`](crate::Moto)), so that [`PostgresServer`](crate::PostgresServer),
/// [`MariaDbServer`](crate::MariaDbServer) and [`MotoServer`](crate::MotoServer) share these methods. Dropping
/// it stops the server and deletes all its files.
pub struct Server<K> {
    pub(crate) running: Running,
    pub(crate) port: u16,
    pub(crate) tls: Option<(TestCa, TlsFiles)>,
    pub(crate) kind: K,
}

impl<K> Server<K> {
    /// The address the server listens on: always `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        LOCALHOST
    }

    /// The TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA certificate that signed the server's certificate (PEM), when the server requires TLS (moto never
    /// does).
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|(ca, _)| ca.ca_cert_pem())
    }

    /// The file holding [`ca_cert_pem`](Self::ca_cert_pem), for `sslrootcert=` or `--ssl-ca`, when the server
    /// requires TLS.
    pub fn ca_cert_path(&self) -> Option<&Path> {
        self.tls.as_ref().map(|(_, files)| files.ca_cert())
    }

    /// The server's process id (PostgreSQL's postmaster).
    pub fn pid(&self) -> u32 {
        self.running.pid()
    }

    /// The temporary directory holding everything the server writes (data, socket, logs, certificates); gone
    /// after a stop.
    pub fn work_dir(&self) -> &Path {
        self.running.dir()
    }

    /// Stops the server (PostgreSQL with a fast shutdown) and deletes its files, reporting a failure to delete
    /// them. Dropping the server does the same but can only log that failure.
    ///
    /// # Errors
    /// [`LaunchError::Io`] when the directory cannot be removed.
    pub fn stop(self) -> Result<(), LaunchError> {
        self.running.stop()
    }
}

impl<K: fmt::Debug> Server<K> {
    /// `Debug` of the server, named `name`: its port, directory and TLS, and its kind (which redacts passwords).
    pub(crate) fn debug_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("port", &self.port)
            .field("dir", &self.running.dir())
            .field("tls", &self.tls.is_some())
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

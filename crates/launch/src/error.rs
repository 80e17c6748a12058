//! The one error type the throwaway-server launchers return.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use crate::tls::TlsError;

/// Why a throwaway server could not be started, driven or stopped.
///
/// No variant holds a password: the launchers pass passwords to the servers only through stdin, never through a
/// message that could end up in an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// A program the launcher needs is not installed where it was looked for.
    #[error("{program} not found; looked in {searched}")]
    ProgramNotFound {
        /// The program's name, e.g. `initdb` or `moto_server`.
        program: String,
        /// Where the launcher looked, for the reader of the message.
        searched: String,
    },
    /// The OS account a server has to run as (because the tests run as root) does not exist.
    #[error("OS account `{account}` not found")]
    AccountNotFound {
        /// The account name or uid that was looked up.
        account: String,
    },
    /// A filesystem operation on the launcher's own files failed.
    #[error("{operation} {}: {source}", path.display())]
    Io {
        /// What the launcher was doing, e.g. "create directory".
        operation: &'static str,
        /// The file or directory it was doing it to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A program could not be started at all.
    #[error("could not run {program}: {source}")]
    Spawn {
        /// The program, as it was invoked.
        program: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A one-shot command (`initdb`, `psql`, `mariadb`, ...) exited unsuccessfully.
    #[error("{program} failed ({status}): {stderr}")]
    CommandFailed {
        /// The program, as it was invoked.
        program: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed on stderr, trimmed.
        stderr: String,
    },
    /// A command succeeded but printed something the launcher cannot interpret.
    #[error("{program} printed unexpected output: {output}")]
    UnexpectedOutput {
        /// The program, as it was invoked.
        program: String,
        /// What it printed.
        output: String,
    },
    /// The server process exited while it was starting.
    #[error("{server} exited during startup ({status}); end of its log:\n{log_tail}")]
    Exited {
        /// Which server, e.g. "PostgreSQL".
        server: &'static str,
        /// Its exit status.
        status: ExitStatus,
        /// The last lines of the server's log.
        log_tail: String,
    },
    /// The server did not become ready before the startup deadline.
    #[error("{server} not ready after {waited:?}; end of its log:\n{log_tail}")]
    NotReady {
        /// Which server.
        server: &'static str,
        /// How long the launcher waited.
        waited: Duration,
        /// The last lines of the server's log.
        log_tail: String,
    },
    /// Each free port the launcher picked was taken by another process before the server could bind it.
    #[error("{server}: the port was taken before the server could bind it, {attempts} times in a row")]
    PortCollisions {
        /// Which server.
        server: &'static str,
        /// How many ports were tried.
        attempts: u32,
    },
    /// Another process held the lock on a cached template for longer than the launcher waits.
    #[error("timed out after {waited:?} waiting for the lock on {}", path.display())]
    TemplateLocked {
        /// The lock file.
        path: PathBuf,
        /// How long the launcher waited.
        waited: Duration,
    },
    /// An HTTP exchange with a server failed or returned an unexpected status.
    #[error("{request}: {detail}")]
    Http {
        /// The request, e.g. `POST /moto-api/reset`.
        request: String,
        /// What went wrong: the I/O error or the status line received.
        detail: String,
    },
    /// The test certificate authority could not be generated or written.
    #[error(transparent)]
    Tls(#[from] TlsError),
}

impl LaunchError {
    /// Wraps an I/O error with the operation and path it happened on.
    pub(crate) fn io(operation: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            operation,
            path: path.into(),
            source,
        }
    }
}

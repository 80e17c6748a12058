//! What rotor's tests share: throwaway PostgreSQL, MariaDB and moto servers, and the test CA for TLS.
//!
//! # Design
//!
//! Rotation is only proven against real engines, so the launchers start the servers installed on the machine
//! (no Docker: CI has no engine), each one private to a single test:
//!
//! - **Isolated.** Every server gets its own temporary directory, a free port on 127.0.0.1 and a unix socket in
//!   that directory. The machine's own PostgreSQL and MariaDB services are never touched.
//! - **Honest about authentication.** Over TCP, every login needs a password (SCRAM-SHA-256 for PostgreSQL), and
//!   optionally TLS with a certificate from a CA made for that server ([`TestCa`]). Only the private socket is
//!   trusted, for the setup helpers [`PostgresServer::psql`] and [`MariaDbServer::mariadb`].
//! - **Observable.** PostgreSQL logs every connection and statement, MariaDB keeps a general query log, and both
//!   logs are readable from the test, so a test can prove that a password never reached a log.
//! - **Any installed PostgreSQL.** [`PostgresOptions::major`] picks one of [`postgres_installations`]: Debian's
//!   packages and the server wheels `scripts/setup` puts into the venv (17 with TLS, 18 without).
//!   [`PostgresOptions::md5_passwords`] runs a server that stores md5 and asks TCP clients for md5.
//! - **Fast.** `initdb` and `mariadb-install-db` run once per machine and version into a cached template that is
//!   copied per server (built under a file lock, renamed into place when complete).
//! - **Leak-proof.** Dropping a server stops it and deletes its directory, also while a test panics. A test
//!   process that is killed outright runs no destructor, so every server also has a watchdog process that
//!   notices the test process's death (a pipe closes) and does the same cleanup.
//!
//! When the tests run as root, the database servers run as the `postgres` and `mysql` OS accounts (their tools
//! refuse root), through `setpriv`.
//!
//! ```no_run
//! # async fn example() -> Result<(), rotor_testkit::LaunchError> {
//! use rotor_testkit::{PostgresOptions, PostgresServer};
//!
//! let server = PostgresServer::start_with(PostgresOptions::new().tls(true)).await?;
//! server.psql("CREATE ROLE app LOGIN PASSWORD 'initial'").await?;
//! let (user, password) = server.superuser();
//! let url = format!("postgres://{user}:{password}@{}:{}/postgres", server.host(), server.port());
//! # let _ = url;
//! # Ok(())
//! # }
//! ```

pub mod capture;
pub mod conformance;
mod error;
pub mod faults;
pub mod harness;
mod launch;
mod mariadb;
mod moto;
mod moto_rotation;
mod postgres;
mod tls;

pub use error::LaunchError;
pub use mariadb::{MariaDbOptions, MariaDbServer};
pub use moto::{MOTO_SERVER_ENV, MotoServer};
pub use moto_rotation::STUB_FUNCTION;
pub use postgres::{
    POSTGRES_BIN_DIR_ENV, PostgresInstallation, PostgresOptions, PostgresServer, postgres_installations,
};
pub use tls::{TestCa, TlsError, TlsFiles};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn start_futures_are_send_so_multi_threaded_runtimes_can_spawn_them() {
        assert_send(&PostgresServer::start_with(PostgresOptions::new()));
        assert_send(&MariaDbServer::start_with(MariaDbOptions::new()));
        assert_send(&MotoServer::start());
    }
}

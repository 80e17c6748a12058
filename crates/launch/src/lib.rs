//! Throwaway servers on this machine: PostgreSQL, MariaDB and moto, each private to one caller, and the test CA
//! that signs their TLS certificates. `rotor demo` and rotor's tests both start their servers through this crate.
//!
//! # Why a crate of its own
//!
//! The `rotor` binary that ships runs `rotor demo`, which starts a real PostgreSQL, so the PostgreSQL launcher has
//! to be linked into the release binary. The test kit (`rotor-testkit`) also holds what only tests need: the
//! conformance suite, the fault-injecting Secrets Manager wrapper, the tracing capture and the moto RotateSecret
//! stub, with the AWS SDK configuration and `tracing-subscriber` features they bring. A release binary has no use
//! for any of that, so the launchers live here and the test kit re-exports them.
//!
//! A cargo feature on the test kit (launchers only for the CLI, everything for tests) was the other way, but
//! cargo builds a package once per invocation with the union of the features its dependents ask for:
//! `cargo test --workspace`, or any build of the CLI together with a crate whose tests use the whole kit, would
//! link the whole kit into the `rotor` binary it builds. A `demo` feature on the CLI would not help either: the demo is part of
//! the shipped binary, so the feature would be on in every release. A crate boundary holds in every build, and
//! `cargo tree -p rotor-cli -e normal,build` checks it. This crate depends on neither rotor-core nor the AWS SDK:
//! it starts programs, speaks a little HTTP to moto and writes secret JSON.
//!
//! # Design
//!
//! Rotation is only proven against real engines, so the launchers start the servers installed on the machine
//! (no Docker: CI has no engine), each one private to a single caller:
//!
//! - **Isolated.** Every server gets its own temporary directory, a free port on 127.0.0.1 and a unix socket in
//!   that directory. The machine's own PostgreSQL and MariaDB services are never touched.
//! - **Honest about authentication.** Over TCP, every login needs a password (SCRAM-SHA-256 for PostgreSQL), and
//!   optionally TLS with a certificate from a CA made for that server ([`TestCa`]). Only the private socket is
//!   trusted, for the set-up helpers [`PostgresServer::psql`] and [`MariaDbServer::mariadb`], and their unlogged
//!   variants [`PostgresServer::admin_sql`] and [`MariaDbServer::admin_sql`].
//! - **Observable.** PostgreSQL logs every connection and statement, MariaDB keeps a general query log, and both
//!   logs are readable, so a test can prove that a password never reached a log. Set-up SQL that carries
//!   passwords goes through `admin_sql`, which keeps it out of those logs.
//! - **Secrets in AWS's format.** [`PostgresServer::secret_json`] and [`MariaDbServer::secret_json`] describe a
//!   login on the server as Secrets Manager stores it, trusting the server's CA when it requires TLS.
//! - **Any installed PostgreSQL.** [`PostgresOptions::major`] picks one of [`postgres_installations`]: Debian's
//!   packages and the server wheels `scripts/setup` puts into the venv (17 with TLS, 18 without).
//!   [`PostgresOptions::md5_passwords`] runs a server that stores md5 and asks TCP clients for md5.
//! - **Fast.** `initdb` and `mariadb-install-db` run once per machine and version into a cached template that is
//!   copied per server (built under a file lock, renamed into place when complete).
//! - **One server type.** [`PostgresServer`], [`MariaDbServer`] and [`MotoServer`] are [`Server`] with a kind
//!   each, so what every server has (address, port, CA, process, directory, stop) is written once and each
//!   launcher holds only what is its own.
//! - **Leak-proof.** Dropping a server stops it and deletes its directory, also while a test panics. A process
//!   that is killed outright runs no destructor, so every server also has a watchdog process that notices its
//!   starter's death (a pipe closes) and does the same cleanup.
//!
//! When the caller runs as root, the database servers run as the `postgres` and `mysql` OS accounts (their tools
//! refuse root), through `setpriv`. Temporary directories, cached templates and the watchdog keep the
//! `rotor-testkit-` prefix they had before this crate was split out, so existing caches stay valid.
//!
//! ```no_run
//! # async fn example() -> Result<(), rotor_launch::LaunchError> {
//! use rotor_launch::{PostgresOptions, PostgresServer};
//!
//! let server = PostgresServer::start_with(PostgresOptions::new().tls(true)).await?;
//! server.admin_sql("CREATE ROLE app LOGIN PASSWORD 'initial'").await?;
//! let secret = server.secret_json("app", "initial");
//! assert_eq!(secret["engine"], "postgres");
//! # Ok(())
//! # }
//! ```

mod error;
pub mod http;
mod mariadb;
mod moto;
mod postgres;
mod secret;
mod server;
mod throwaway;
mod tls;

pub use error::LaunchError;
pub use mariadb::{MariaDb, MariaDbOptions, MariaDbServer};
pub use moto::{MOTO_SERVER_ENV, Moto, MotoServer};
pub use postgres::{
    POSTGRES_BIN_DIR_ENV, Postgres, PostgresInstallation, PostgresOptions, PostgresServer,
    postgres_installations,
};
pub use throwaway::Server;
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

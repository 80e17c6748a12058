//! What rotor's tests share: throwaway PostgreSQL, MariaDB and moto servers, the test CA, fault injection, tracing
//! capture, a step-driving harness and the conformance suite any rotator can run.
//!
//! The servers and the CA come from [`rotor_launch`], re-exported here under the names tests have always used
//! (`rotor_testkit::PostgresServer`, ...). They live in a crate of their own because the shipped `rotor` binary
//! starts a PostgreSQL for `rotor demo` and must not link the rest of this kit; see [`rotor_launch`] for how the
//! servers are isolated, logged and cleaned up. [`MotoServer`] is the one launcher wrapped rather than
//! re-exported: the kit adds rotor's AWS adapters, the RotateSecret stub and RDS fixtures to it.
//!
//! ```no_run
//! # async fn example() -> Result<(), rotor_testkit::LaunchError> {
//! use rotor_testkit::{PostgresOptions, PostgresServer};
//!
//! let server = PostgresServer::start_with(PostgresOptions::new().tls(true)).await?;
//! server.admin_sql("CREATE ROLE app LOGIN PASSWORD 'initial'").await?;
//! let secret = server.secret_json("app", "initial");
//! # let _ = secret;
//! # Ok(())
//! # }
//! ```

pub mod capture;
pub mod conformance;
pub mod faults;
pub mod harness;
mod moto;
mod moto_rotation;
mod orphans;

/// The launcher crate's HTTP client, under the path the moto helpers use.
mod launch {
    pub(crate) use rotor_launch::http;
}

pub use moto::{BridgedMoto, MotoServer, RdsManagedMaster};
pub use moto_rotation::STUB_FUNCTION;
pub use orphans::remove_orphaned_dirs;
pub use rotor_launch::{
    LaunchError, MOTO_SERVER_ENV, MariaDbOptions, MariaDbServer, POSTGRES_BIN_DIR_ENV, PostgresInstallation,
    PostgresOptions, PostgresServer, TestCa, TlsError, TlsFiles, postgres_installations,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn moto_start_is_send_so_multi_threaded_runtimes_can_spawn_it() {
        assert_send(&MotoServer::start());
    }
}

//! A throwaway moto server: an in-memory Secrets Manager (and the rest of AWS) over HTTP, for one test.
//!
//! moto diverges from AWS in a few documented ways (an AWSPENDING version can be overwritten with a different
//! value under the same token, `GetSecretValue` without a stage can return a stale version, ...); tests must not
//! depend on those behaviours.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::server::{
    LOCALHOST, Running, ScratchDir, ServerCommand, StopSignal, find_program, is_executable,
    spawn_until_ready, start_on_free_port,
};
use crate::throwaway::Server;
use crate::{LaunchError, http};

const SERVER: &str = "moto";

/// Environment variable naming the `moto_server` executable to run.
pub const MOTO_SERVER_ENV: &str = "ROTOR_MOTO_SERVER";

/// A running throwaway moto server (see [`Server`] for what every server offers). Dropping it stops the server
/// and deletes its log.
pub type MotoServer = Server<Moto>;

/// What is moto's own in a [`MotoServer`]: nothing beyond what every server has.
#[derive(Debug)]
pub struct Moto;

impl fmt::Debug for MotoServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_as("MotoServer", f)
    }
}

impl MotoServer {
    /// Starts `moto_server` on a free port and waits until `GET /moto-api/` answers.
    ///
    /// The executable is `$ROTOR_MOTO_SERVER`, else `<workspace>/.venv/bin/moto_server`, else `moto_server` on
    /// `PATH`.
    ///
    /// # Errors
    /// [`LaunchError::ProgramNotFound`] when no `moto_server` is found, [`LaunchError::Exited`] or
    /// [`LaunchError::NotReady`] (with the end of its log) when it does not come up.
    pub async fn start() -> Result<Self, LaunchError> {
        Self::start_program(&find_moto_server()?, &[]).await
    }

    /// Starts `program leading_args… -H 127.0.0.1 -p <port>` as the server: anything that serves moto's API
    /// the way `moto_server` does (a script that starts moto with patches, say). Port, readiness, log and
    /// clean-up are exactly [`start`](Self::start)'s.
    ///
    /// # Errors
    /// [`LaunchError::Spawn`] when `program` cannot start, [`LaunchError::Exited`] or
    /// [`LaunchError::NotReady`] (with the end of its log) when it does not come up.
    pub async fn start_program(program: &Path, leading_args: &[&str]) -> Result<Self, LaunchError> {
        let dir = ScratchDir::create("moto", None)?;
        let log = dir.path().join("moto.log");

        let (process, port) = start_on_free_port(SERVER, |port| {
            let mut command = Command::new(program);
            command.args(leading_args);
            command.args(["-H", LOCALHOST, "-p", &port.to_string()]);
            let spec = ServerCommand {
                server: SERVER,
                command,
                log: &log,
                owner: None,
                stop_signal: StopSignal::Terminate,
                directory: dir.path(),
            };
            spawn_until_ready(spec, move || async move {
                http::request(port, "GET", "/moto-api/")
                    .await
                    .is_ok_and(|response| response.status == 200)
            })
        })
        .await?;
        tracing::debug!(port, "moto ready");
        Ok(Self {
            running: Running::new(process, dir),
            port,
            tls: None,
            kind: Moto,
        })
    }

    /// The endpoint URL for an AWS SDK client, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        format!("http://{LOCALHOST}:{}", self.port)
    }

    /// Forgets every resource moto holds (`POST /moto-api/reset`), so one server can serve several tests.
    ///
    /// # Errors
    /// [`LaunchError::Http`] when moto does not answer 200.
    pub async fn reset(&self) -> Result<(), LaunchError> {
        let response = http::request(self.port, "POST", "/moto-api/reset").await?;
        if response.status == 200 {
            Ok(())
        } else {
            Err(LaunchError::Http {
                request: "POST /moto-api/reset".to_owned(),
                detail: format!("status {}: {}", response.status, response.body.trim()),
            })
        }
    }

    /// moto's output so far: one line per request.
    ///
    /// # Errors
    /// [`LaunchError::Io`] when the log cannot be read.
    pub fn log(&self) -> Result<String, LaunchError> {
        self.running.read("moto.log")
    }
}

fn find_moto_server() -> Result<PathBuf, LaunchError> {
    if let Some(program) = std::env::var_os(MOTO_SERVER_ENV) {
        let program = PathBuf::from(program);
        if !is_executable(&program) {
            return Err(LaunchError::ProgramNotFound {
                program: "moto_server".to_owned(),
                searched: format!("{MOTO_SERVER_ENV}={}", program.display()),
            });
        }
        return Ok(program);
    }
    find_program("moto_server", &[workspace_root().join(".venv/bin/moto_server")])
}

/// The workspace this crate was built in: `crates/launch` is two levels below it.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        let manifest = fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();

        assert!(manifest.contains("[workspace]"));
    }
}

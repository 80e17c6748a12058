//! Starting a server on a free port and waiting, with a deadline, until it answers.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{ServerCommand, ServerProcess, free_port, port};
use crate::LaunchError;

/// How long a server may take to become ready. Generous: CI machines have two cores and build while testing.
pub(crate) const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How often readiness is probed.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// How many ports are tried before giving up on collisions.
const PORT_ATTEMPTS: u32 = 5;

/// Calls `launch` with a free port until it returns a ready server, retrying with a new port when the server
/// exited because someone else took the port first. Any other failure is returned as it is.
///
/// Plain closures returning futures (not async closures) keep the launchers' futures `Send`.
pub(crate) async fn start_on_free_port<F, Fut>(
    server: &'static str,
    mut launch: F,
) -> Result<(ServerProcess, u16), LaunchError>
where
    F: FnMut(u16) -> Fut,
    Fut: Future<Output = Result<ServerProcess, LaunchError>>,
{
    for attempt in 1..=PORT_ATTEMPTS {
        let port = free_port()?;
        match launch(port).await {
            Err(LaunchError::Exited { log_tail, .. }) if port::collision_logged(&log_tail) => {
                tracing::debug!(
                    server,
                    port,
                    attempt,
                    "port taken before the server bound it; retrying"
                );
            }
            result => return result.map(|process| (process, port)),
        }
    }
    Err(LaunchError::PortCollisions {
        server,
        attempts: PORT_ATTEMPTS,
    })
}

/// Spawns the server and waits until `is_ready` says yes, it exits ([`LaunchError::Exited`]) or
/// [`STARTUP_TIMEOUT`] passes ([`LaunchError::NotReady`]). A server that fails is stopped.
pub(crate) async fn spawn_until_ready<F, Fut>(
    spec: ServerCommand<'_>,
    mut is_ready: F,
) -> Result<ServerProcess, LaunchError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let mut process = ServerProcess::spawn(spec)?;
    let started = Instant::now();
    loop {
        if let Some(status) = process.exit_status()? {
            return Err(process.exited_error(status));
        }
        if is_ready().await {
            return Ok(process);
        }
        if started.elapsed() >= STARTUP_TIMEOUT {
            return Err(process.not_ready_error(started.elapsed()));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

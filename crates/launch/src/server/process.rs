//! A server process that cannot outlive the test process that started it.
//!
//! Dropping a [`ServerProcess`] stops the server, which covers normal returns and panics. A test process that is
//! killed (SIGKILL, an OOM kill, a nextest timeout) runs no destructor, so each server also gets a watchdog: a
//! tiny `sh` that blocks reading a pipe whose only writer is the test process. The kernel closes that pipe when
//! the test process dies, however it dies; the watchdog then stops the server and removes its directory.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read as _, Seek as _, SeekFrom};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::OsAccount;
use crate::LaunchError;

/// How long a server gets to shut down cleanly before it is killed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How much of the end of a log goes into an error message.
const LOG_TAIL_BYTES: u64 = 4096;

/// Runs after the test process dies. Arguments: server pid, stop signal, directory to remove.
///
/// It ignores the terminal's signals, so a Ctrl-C that kills the test process does not kill the watchdog first.
/// An orphaned server is reparented to an init that may not reap it, so a zombie counts as gone.
const WATCHDOG_SCRIPT: &str = r#"
trap '' HUP INT TERM QUIT
pid=$1 signal=$2 dir=$3
while read -r _; do :; done
alive() {
    [ -r "/proc/$pid/stat" ] || return 1
    { read -r stat < "/proc/$pid/stat"; } 2>/dev/null || return 1
    case $stat in *") Z "*) return 1 ;; esac
}
kill "-$signal" "$pid" 2>/dev/null
waited=0
while alive && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
kill -KILL -- "-$pid" 2>/dev/null
rm -rf -- "$dir"
"#;

/// The signal that asks a server for a quick, clean shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopSignal {
    /// SIGINT: PostgreSQL's "fast" shutdown (SIGTERM would wait for every client to disconnect).
    Interrupt,
    /// SIGTERM: MariaDB's and moto's normal shutdown.
    Terminate,
}

impl StopSignal {
    fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "INT",
            Self::Terminate => "TERM",
        }
    }
}

/// What [`ServerProcess::spawn`] starts and how it is stopped.
#[derive(Debug)]
pub(crate) struct ServerCommand<'a> {
    /// Which server, for messages.
    pub(crate) server: &'static str,
    /// The server itself; it must not daemonize.
    pub(crate) command: Command,
    /// Receives the server's stdout and stderr; truncated first.
    pub(crate) log: &'a Path,
    /// The account the server runs as, which must be able to reopen the log.
    pub(crate) owner: Option<&'a OsAccount>,
    /// How to ask the server to stop.
    pub(crate) stop_signal: StopSignal,
    /// What the watchdog removes once the server is gone.
    pub(crate) directory: &'a Path,
}

/// A running server, a direct child of the test process, guarded by a watchdog.
pub(crate) struct ServerProcess {
    server: &'static str,
    child: Child,
    /// Holds the write end of the watchdog's stdin open; `None` once the watchdog has been dismissed.
    watchdog: Option<Child>,
    stop_signal: StopSignal,
    log: PathBuf,
    exit: Option<ExitStatus>,
}

impl fmt::Debug for ServerProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerProcess")
            .field("server", &self.server)
            .field("pid", &self.child.id())
            .field("log", &self.log)
            .field("exit", &self.exit)
            .finish_non_exhaustive()
    }
}

impl ServerProcess {
    /// Starts the server in its own process group, with its output in the log, and its watchdog.
    pub(crate) fn spawn(spec: ServerCommand<'_>) -> Result<Self, LaunchError> {
        let ServerCommand {
            server,
            mut command,
            log,
            owner,
            stop_signal,
            directory,
        } = spec;
        let output = open_log(log, owner)?;
        let errors = output
            .try_clone()
            .map_err(|error| LaunchError::io("duplicate handle of", log, error))?;
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors)
            // Its own group: a Ctrl-C aimed at the test run reaches the watchdog's cleanup, not the server.
            .process_group(0)
            .spawn()
            .map_err(|source| LaunchError::Spawn { program, source })?;

        let mut process = Self {
            server,
            child,
            watchdog: None,
            stop_signal,
            log: log.to_path_buf(),
            exit: None,
        };
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG_SCRIPT)
            .arg("rotor-testkit-watchdog")
            .arg(process.child.id().to_string())
            .arg(stop_signal.name())
            .arg(directory)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|source| LaunchError::Spawn {
                program: "sh (watchdog)".to_owned(),
                source,
            })?;
        process.watchdog = Some(watchdog);
        Ok(process)
    }

    /// The server's process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// The server's exit status if it has exited, without waiting.
    pub(crate) fn exit_status(&mut self) -> Result<Option<ExitStatus>, LaunchError> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().map_err(|source| LaunchError::Spawn {
                program: self.server.to_owned(),
                source,
            })?;
        }
        Ok(self.exit)
    }

    /// The last few kilobytes of the server's log, for error messages.
    pub(crate) fn log_tail(&self) -> String {
        log_tail(&self.log).unwrap_or_else(|error| format!("(log unreadable: {error})"))
    }

    /// The error for a server that exited during startup.
    pub(crate) fn exited_error(&self, status: ExitStatus) -> LaunchError {
        LaunchError::Exited {
            server: self.server,
            status,
            log_tail: self.log_tail(),
        }
    }

    /// The error for a server that did not become ready in time.
    pub(crate) fn not_ready_error(&self, waited: Duration) -> LaunchError {
        LaunchError::NotReady {
            server: self.server,
            waited,
            log_tail: self.log_tail(),
        }
    }

    /// Stops the server and waits for it: the stop signal, then SIGKILL after a grace period.
    ///
    /// Blocks the calling thread (typically for a fraction of a second), because `Drop` has to. Running it again
    /// does nothing.
    pub(crate) fn stop(&mut self) {
        // The watchdog goes first, so that it cannot signal a pid that is reused after the server is reaped.
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        if matches!(self.exit_status(), Ok(Some(_))) {
            return;
        }
        if !send_signal(self.child.id(), self.stop_signal) {
            let _ = self.child.kill();
        }
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while Instant::now() < deadline {
            match self.exit_status() {
                Ok(None) => thread::sleep(Duration::from_millis(10)),
                _ => return,
            }
        }
        tracing::warn!(
            server = self.server,
            pid = self.child.id(),
            "no clean shutdown in time; killing it"
        );
        let _ = self.child.kill();
        self.exit = self.child.wait().ok();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends `signal` with the `kill` utility: std can only send SIGKILL, and this crate forbids `unsafe`.
fn send_signal(pid: u32, signal: StopSignal) -> bool {
    Command::new("kill")
        .args(["-s", signal.name(), &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Truncates the log and opens it for appending, owned by the server's account so that it can reopen it.
fn open_log(path: &Path, owner: Option<&OsAccount>) -> Result<File, LaunchError> {
    File::create(path).map_err(|error| LaunchError::io("create log", path, error))?;
    if let Some(owner) = owner {
        owner
            .chown(path)
            .map_err(|error| LaunchError::io("change owner of", path, error))?;
    }
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|error| LaunchError::io("open log", path, error))
}

fn log_tail(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let length = file.metadata()?.len();
    file.seek(SeekFrom::Start(length.saturating_sub(LOG_TAIL_BYTES)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::ScratchDir;

    fn is_running(pid: u32) -> bool {
        fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z "))
    }

    fn sleeper(dir: &ScratchDir) -> ServerProcess {
        let mut command = Command::new("sleep");
        command.arg("600");
        ServerProcess::spawn(ServerCommand {
            server: "sleep",
            command,
            log: &dir.path().join("sleep.log"),
            owner: None,
            stop_signal: StopSignal::Terminate,
            directory: dir.path(),
        })
        .unwrap()
    }

    #[test]
    fn dropping_stops_the_server_and_its_watchdog() {
        let dir = ScratchDir::create("unit", None).unwrap();
        let process = sleeper(&dir);
        let pid = process.id();
        let watchdog = process.watchdog.as_ref().unwrap().id();
        assert!(is_running(pid));

        drop(process);

        assert!(!is_running(pid));
        assert!(!is_running(watchdog));
    }

    #[test]
    fn watchdog_stops_the_server_and_removes_its_directory_when_its_pipe_closes() {
        let dir = ScratchDir::create("unit", None).unwrap();
        let mut process = sleeper(&dir);
        let mut watchdog = process.watchdog.take().unwrap();

        // What the kernel does when the test process dies.
        drop(watchdog.stdin.take());
        watchdog.wait().unwrap();

        assert!(process.child.try_wait().unwrap().is_some());
        assert!(!dir.path().exists());
    }

    #[test]
    fn exit_during_startup_reports_the_end_of_the_log() {
        let dir = ScratchDir::create("unit", None).unwrap();
        let mut command = Command::new("sh");
        command.args(["-c", "echo 'FATAL: something broke' >&2; exit 3"]);
        let mut process = ServerProcess::spawn(ServerCommand {
            server: "sh",
            command,
            log: &dir.path().join("sh.log"),
            owner: None,
            stop_signal: StopSignal::Terminate,
            directory: dir.path(),
        })
        .unwrap();

        let status = loop {
            if let Some(status) = process.exit_status().unwrap() {
                break status;
            }
            thread::sleep(Duration::from_millis(10));
        };
        let error = process.exited_error(status).to_string();

        assert!(error.contains("FATAL: something broke"), "{error}");
        assert_eq!(status.code(), Some(3));
    }
}

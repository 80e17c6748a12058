//! Running a one-shot setup or client command (`initdb`, `psql`, `mariadb`, `cp`) and collecting its output.

use std::process::{Command, Stdio};

use tokio::io::AsyncWriteExt as _;

use crate::LaunchError;

/// Runs `command` to completion, feeding it `stdin` if given, and returns its stdout.
///
/// SQL goes through stdin rather than argv, so that passwords in it do not show up in `ps`.
///
/// # Errors
/// [`LaunchError::Spawn`] if it cannot start, [`LaunchError::CommandFailed`] (with its stderr) if it exits
/// unsuccessfully.
pub(crate) async fn run(command: Command, stdin: Option<&str>) -> Result<String, LaunchError> {
    let program = describe(&command);
    let spawn_error = |source| LaunchError::Spawn {
        program: program.clone(),
        source,
    };
    let mut command = tokio::process::Command::from(command);
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A test that times out drops this future; the command must not live on.
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(spawn_error)?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        match pipe.write_all(input.as_bytes()).await {
            // It exited without reading everything; its status and stderr below say why.
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
            result => result.map_err(spawn_error)?,
        }
        // Dropping the pipe sends EOF, which ends a `psql` or `mariadb` session.
        drop(pipe);
    }
    let output = child.wait_with_output().await.map_err(spawn_error)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(LaunchError::CommandFailed {
            program,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

/// The program and the program it runs, if it is a wrapper such as `setpriv`: enough to tell which step failed.
fn describe(command: &Command) -> String {
    let program = command.get_program().to_string_lossy();
    let wrapped = command
        .get_args()
        .skip_while(|arg| *arg != "--")
        .nth(1)
        .map(|arg| format!(" {}", arg.to_string_lossy()))
        .unwrap_or_default();
    format!("{program}{wrapped}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stdin_is_fed_and_stdout_returned() {
        let output = run(Command::new("cat"), Some("hello\n")).await.unwrap();

        assert_eq!(output, "hello\n");
    }

    #[tokio::test]
    async fn failure_carries_status_and_stderr() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo 'it broke' >&2; exit 4"]);

        let error = run(command, None).await.unwrap_err();

        assert!(matches!(
            error,
            LaunchError::CommandFailed { status, ref stderr, .. } if status.code() == Some(4) && stderr == "it broke"
        ));
    }

    #[test]
    fn wrapped_programs_are_named() {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=1", "--", "/usr/bin/initdb", "-D", "x"]);

        assert_eq!(describe(&command), "setpriv /usr/bin/initdb");
    }
}

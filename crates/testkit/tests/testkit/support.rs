//! Helpers the launcher tests share.

use std::path::Path;
use std::process::Output;

/// Runs a command to completion, with stdin closed.
pub async fn output(command: &mut tokio::process::Command) -> Output {
    command.stdin(std::process::Stdio::null()).output().await.unwrap()
}

/// stdout and stderr of a finished command, for assertion messages.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Whether `pid` is a live process (a zombie left to an init that does not reap counts as gone).
pub fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z "))
}

/// Waits up to ten seconds for `pid` to stop running and `dir` to disappear; says whether both happened.
pub async fn gone_within_ten_seconds(pid: u32, dir: &Path) -> bool {
    for _ in 0..200 {
        if !is_running(pid) && !dir.exists() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

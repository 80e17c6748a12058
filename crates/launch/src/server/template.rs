//! Cached template directories: an initialised data directory built once per machine and copied per server.
//!
//! `initdb` and `mariadb-install-db` each cost about a second, and a test suite starts dozens of servers, often
//! in parallel processes (nextest runs one process per test). The first launcher to need a template builds it
//! under an exclusive file lock, in a staging directory that it renames into place only when complete, so a
//! reader never sees a half-built template and a crash mid-build leaves nothing behind that looks finished.

use std::fs::{self, File, TryLockError};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{OsAccount, run};
use crate::LaunchError;

/// How long to wait for another process that is building the same template.
const LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// The template named `name` (e.g. `pg-template-15.20`), built by `build` into an empty staging directory if
/// it does not exist yet.
///
/// The directory is `<temp dir>/rotor-testkit-<name>-<uid>`; delete it to force a rebuild.
pub(crate) async fn cached_template<F, Fut>(name: &str, build: F) -> Result<PathBuf, LaunchError>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: Future<Output = Result<(), LaunchError>>,
{
    let uid = OsAccount::current()?.uid();
    let template = std::env::temp_dir().join(format!("rotor-testkit-{name}-{uid}"));
    if template.is_dir() {
        return Ok(template);
    }

    let lock_path = sibling(&template, "lock");
    let _lock = lock(&lock_path).await?;
    // Another process may have finished it while this one waited for the lock.
    if template.is_dir() {
        return Ok(template);
    }

    let staging = sibling(&template, "staging");
    match fs::remove_dir_all(&staging) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(LaunchError::io("remove stale staging directory", &staging, error));
        }
        _ => {}
    }
    fs::create_dir(&staging).map_err(|error| LaunchError::io("create directory", &staging, error))?;
    tracing::debug!(template = %template.display(), "building template");
    build(staging.clone()).await?;
    fs::rename(&staging, &template).map_err(|error| LaunchError::io("rename into place", &staging, error))?;
    Ok(template)
}

/// Copies `source` to `destination` with owners and modes (we run as root when the owner differs).
pub(crate) async fn copy_tree(source: &Path, destination: &Path) -> Result<(), LaunchError> {
    let mut command = Command::new("cp");
    command
        .arg("-a")
        .arg("--reflink=auto")
        .arg(source)
        .arg(destination);
    run(command, None).await.map(drop)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Takes the exclusive lock on `path`, polling so as not to block the async runtime. The lock is released when
/// the returned file is dropped, or by the kernel if this process dies.
async fn lock(path: &Path) -> Result<File, LaunchError> {
    let file = File::create(path).map_err(|error| LaunchError::io("create lock file", path, error))?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) if started.elapsed() < LOCK_TIMEOUT => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(TryLockError::WouldBlock) => {
                return Err(LaunchError::TemplateLocked {
                    path: path.to_path_buf(),
                    waited: started.elapsed(),
                });
            }
            Err(TryLockError::Error(error)) => return Err(LaunchError::io("lock", path, error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn template_is_built_once_then_reused() {
        let name = format!("unit-template-{}", std::process::id());
        let mut builds = 0;

        let first = cached_template(&name, |staging: PathBuf| {
            builds += 1;
            let written = fs::write(staging.join("marker"), "built")
                .map_err(|error| LaunchError::io("write", &staging, error));
            std::future::ready(written)
        })
        .await
        .unwrap();
        let second = cached_template(
            &name,
            |_staging: PathBuf| -> std::future::Ready<Result<(), LaunchError>> {
                panic!("the template exists; it must not be rebuilt")
            },
        )
        .await
        .unwrap();

        assert_eq!(first, second);
        assert_eq!(fs::read_to_string(first.join("marker")).unwrap(), "built");
        assert_eq!(builds, 1);
        fs::remove_dir_all(&first).unwrap();
        fs::remove_file(sibling(&first, "lock")).unwrap();
    }

    #[tokio::test]
    async fn failed_build_leaves_no_template() {
        let name = format!("unit-failed-template-{}", std::process::id());

        let result = cached_template(&name, |staging: PathBuf| {
            std::future::ready(Err(LaunchError::io(
                "build",
                staging,
                std::io::Error::other("boom"),
            )))
        })
        .await;

        assert!(result.is_err());
        let uid = OsAccount::current().unwrap().uid();
        let template = std::env::temp_dir().join(format!("rotor-testkit-{name}-{uid}"));
        assert!(!template.exists());
        let _ = fs::remove_dir_all(sibling(&template, "staging"));
        let _ = fs::remove_file(sibling(&template, "lock"));
    }
}

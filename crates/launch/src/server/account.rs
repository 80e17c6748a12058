//! The OS account a server runs as.
//!
//! `initdb` and `mariadbd` refuse to run as root, and tests on CI machines often do. When the test process is
//! root, servers run as their service account (`postgres`, `mysql`) through `setpriv`; otherwise they run as the
//! test process's own account and no ownership changes are needed.

use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::Command;

use crate::LaunchError;

/// An OS account, as `getent passwd` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OsAccount {
    name: String,
    uid: u32,
    gid: u32,
}

impl OsAccount {
    /// The account a server should be switched to: `service` when this process is root, `None` otherwise.
    pub(crate) fn for_server(service: &str) -> Result<Option<Self>, LaunchError> {
        if effective_uid()? == 0 {
            Self::lookup(service).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The account this process runs as.
    pub(crate) fn current() -> Result<Self, LaunchError> {
        Self::lookup(&effective_uid()?.to_string())
    }

    /// Looks an account up by name or numeric uid.
    fn lookup(key: &str) -> Result<Self, LaunchError> {
        let not_found = || LaunchError::AccountNotFound {
            account: key.to_owned(),
        };
        let output = Command::new("getent")
            .args(["passwd", key])
            .output()
            .map_err(|source| LaunchError::Spawn {
                program: "getent passwd".to_owned(),
                source,
            })?;
        if !output.status.success() {
            return Err(not_found());
        }
        let line = String::from_utf8_lossy(&output.stdout);
        let mut fields = line.trim_end().split(':');
        let (Some(name), Some(_password), Some(uid), Some(gid)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(not_found());
        };
        match (uid.parse(), gid.parse()) {
            (Ok(uid), Ok(gid)) => Ok(Self {
                name: name.to_owned(),
                uid,
                gid,
            }),
            _ => Err(not_found()),
        }
    }

    /// The account's login name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The account's numeric user id.
    pub(crate) fn uid(&self) -> u32 {
        self.uid
    }

    /// Makes the account the owner of `path` (not recursive).
    pub(crate) fn chown(&self, path: &Path) -> io::Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
    }
}

/// A command that runs `program` as `account`, or as this process's account when `account` is `None`.
///
/// `setpriv` execs the program, so the spawned child's pid is the program's own pid and signals reach it directly.
pub(crate) fn command_as(account: Option<&OsAccount>, program: &Path) -> Command {
    match account {
        Some(account) => {
            let mut command = Command::new("setpriv");
            command
                .arg(format!("--reuid={}", account.uid))
                .arg(format!("--regid={}", account.gid))
                .arg("--init-groups")
                .arg("--")
                .arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// The effective uid of this process, read without `unsafe`: `/proc/self` is owned by it.
fn effective_uid() -> Result<u32, LaunchError> {
    std::fs::metadata("/proc/self")
        .map(|metadata| metadata.uid())
        .map_err(|source| LaunchError::io("read owner of", "/proc/self", source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_account_matches_the_owner_of_proc_self() {
        let account = OsAccount::current().unwrap();

        assert_eq!(account.uid, effective_uid().unwrap());
        assert!(!account.name().is_empty());
    }

    #[test]
    fn unknown_account_is_reported_by_name() {
        let error = OsAccount::lookup("rotor-no-such-account").unwrap_err();

        assert!(
            matches!(error, LaunchError::AccountNotFound { account } if account == "rotor-no-such-account")
        );
    }

    #[test]
    fn command_as_an_account_goes_through_setpriv() {
        let account = OsAccount {
            name: "svc".to_owned(),
            uid: 42,
            gid: 43,
        };

        let command = command_as(Some(&account), Path::new("/bin/true"));
        let args: Vec<_> = command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();

        assert_eq!(command.get_program(), "setpriv");
        assert_eq!(
            args,
            ["--reuid=42", "--regid=43", "--init-groups", "--", "/bin/true"]
        );
    }
}

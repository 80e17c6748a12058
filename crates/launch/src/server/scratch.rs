//! The private temporary directory that holds everything one throwaway server writes.

use std::fs::{self, DirBuilder};
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use super::{OsAccount, random_token};
use crate::LaunchError;

/// A fresh directory under [`std::env::temp_dir`], mode 0700, owned by the server's account, removed on drop.
#[derive(Debug)]
pub(crate) struct ScratchDir {
    path: PathBuf,
    removed: bool,
}

impl ScratchDir {
    /// Creates `rotor-testkit-<kind>-<pid>-<random>`; `owner` receives it when the server runs as another account.
    pub(crate) fn create(kind: &str, owner: Option<&OsAccount>) -> Result<Self, LaunchError> {
        let name = format!("rotor-testkit-{kind}-{}-{}", std::process::id(), random_token(8));
        let path = std::env::temp_dir().join(name);
        create_private_dir(&path, owner)?;
        Ok(Self { path, removed: false })
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the private subdirectory `name`, owned by `owner`.
    pub(crate) fn subdir(&self, name: &str, owner: Option<&OsAccount>) -> Result<PathBuf, LaunchError> {
        let path = self.path.join(name);
        create_private_dir(&path, owner)?;
        Ok(path)
    }

    /// Removes the directory and everything in it. Running it again does nothing.
    pub(crate) fn remove(&mut self) -> Result<(), LaunchError> {
        if self.removed {
            return Ok(());
        }
        self.removed = true;
        match fs::remove_dir_all(&self.path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(LaunchError::io("remove directory", &self.path, error))
            }
            _ => Ok(()),
        }
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(error) = self.remove() {
            tracing::warn!(%error, "could not remove a throwaway server's directory");
        }
    }
}

/// Creates `path` (which must not exist yet) with mode 0700 and hands it to `owner`.
fn create_private_dir(path: &Path, owner: Option<&OsAccount>) -> Result<(), LaunchError> {
    DirBuilder::new()
        .mode(0o700)
        .create(path)
        .map_err(|error| LaunchError::io("create directory", path, error))?;
    if let Some(owner) = owner {
        owner
            .chown(path)
            .map_err(|error| LaunchError::io("change owner of", path, error))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_removes_the_directory_and_its_contents() {
        let dir = ScratchDir::create("unit", None).unwrap();
        let sub = dir.subdir("inner", None).unwrap();
        fs::write(sub.join("file"), "x").unwrap();
        let path = dir.path().to_path_buf();

        drop(dir);

        assert!(!path.exists());
    }

    #[test]
    fn directories_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = ScratchDir::create("unit", None).unwrap();

        let mode = fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;

        assert_eq!(mode, 0o700);
    }
}

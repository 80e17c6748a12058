//! A started server together with the directory it writes to, stopped and removed as one.

use std::fs;
use std::path::Path;

use super::{ScratchDir, ServerProcess};
use crate::LaunchError;

/// A server process and its scratch directory. Dropping it stops the server, then removes the directory.
#[derive(Debug)]
pub(crate) struct Running {
    // Declared before `dir`: fields drop in order, and the server must be stopped before its files go.
    process: ServerProcess,
    dir: ScratchDir,
}

impl Running {
    /// The server `process`, which writes into `dir`.
    pub(crate) fn new(process: ServerProcess, dir: ScratchDir) -> Self {
        Self { process, dir }
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.process.id()
    }

    /// The scratch directory.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The file `name` of the scratch directory as it is now, e.g. the server's log.
    pub(crate) fn read(&self, name: &str) -> Result<String, LaunchError> {
        read_text(&self.dir.path().join(name))
    }

    /// Stops the server, then removes its directory, reporting a failure to remove it.
    pub(crate) fn stop(mut self) -> Result<(), LaunchError> {
        self.process.stop();
        self.dir.remove()
    }
}

/// The text of a file a server writes (a log), decoded lossily: a server may log bytes that are not UTF-8.
pub(crate) fn read_text(path: &Path) -> Result<String, LaunchError> {
    fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|error| LaunchError::io("read", path, error))
}

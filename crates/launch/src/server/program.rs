//! Finding the installed programs the launchers run.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use crate::LaunchError;

/// The first of `candidates` that is an executable file, else `name` found on `PATH`.
pub(crate) fn find_program(name: &str, candidates: &[PathBuf]) -> Result<PathBuf, LaunchError> {
    let path_dirs = std::env::var_os("PATH").unwrap_or_default();
    let on_path = std::env::split_paths(&path_dirs).map(|dir| dir.join(name));
    candidates
        .iter()
        .cloned()
        .chain(on_path)
        .find(|path| is_executable(path))
        .ok_or_else(|| {
            let mut searched: Vec<String> =
                candidates.iter().map(|path| path.display().to_string()).collect();
            searched.push("$PATH".to_owned());
            LaunchError::ProgramNotFound {
                program: name.to_owned(),
                searched: searched.join(", "),
            }
        })
}

/// Whether `path` is a regular file (after symlinks) that someone may execute.
pub(crate) fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_win_over_path() {
        let found = find_program("sh", &[PathBuf::from("/bin/true")]).unwrap();

        assert_eq!(found, Path::new("/bin/true"));
    }

    #[test]
    fn missing_candidates_fall_back_to_path() {
        let found = find_program("sh", &[PathBuf::from("/nonexistent/sh")]).unwrap();

        assert!(found.ends_with("sh"));
        assert!(is_executable(&found));
    }

    #[test]
    fn a_program_found_nowhere_is_reported_with_the_places_searched() {
        let error = find_program("rotor-no-such-program", &[PathBuf::from("/opt/x")]).unwrap_err();

        assert!(error.to_string().contains("/opt/x, $PATH"), "{error}");
    }
}

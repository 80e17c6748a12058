//! Which PostgreSQL servers are installed, one per major version.
//!
//! Two places are searched: Debian's packages (`/usr/lib/postgresql/<major>/bin`) and the server wheels that
//! `scripts/setup` installs into a Python venv (`<venv>/lib/python3.*/site-packages/<package>/pginstall/bin`).
//! The venvs searched are `$VIRTUAL_ENV`, every venv whose `bin` directory is on `PATH`, and the repository's
//! own `.venv`. When two installations have the same major version, the packaged one wins.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::server::is_executable;

/// Where Debian-style packages install each major version's binaries.
pub(super) const PACKAGED_VERSIONS: &str = "/usr/lib/postgresql";

/// The repository's venv, which `scripts/setup` creates.
const REPOSITORY_VENV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv");

/// One installed PostgreSQL server: its major version, where its binaries are, and whether it was built with
/// OpenSSL (the PyPI wheel of PostgreSQL 18 is not, so TLS tests cannot run on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresInstallation {
    major: u32,
    bin_dir: PathBuf,
    tls: bool,
}

impl PostgresInstallation {
    /// The major version, e.g. `17`.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The directory holding `initdb`, `postgres` and `psql`.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// Whether the server can serve TLS (`pg_config --configure` names OpenSSL).
    pub fn supports_tls(&self) -> bool {
        self.tls
    }

    /// The installation whose binaries are in `bin_dir`, or `None` when there is no `postgres` there or it
    /// does not say its version.
    pub(super) fn at(bin_dir: PathBuf) -> Option<Self> {
        if !is_executable(&bin_dir.join("postgres")) {
            return None;
        }
        let version = command_output(&bin_dir.join("postgres"), "--version")?;
        let major = parse_major(&version)?;
        let configure = command_output(&bin_dir.join("pg_config"), "--configure").unwrap_or_default();
        let tls = configure.contains("--with-openssl") || configure.contains("--with-ssl=openssl");
        Some(Self { major, bin_dir, tls })
    }
}

/// Every installed PostgreSQL server, one per major version, ordered by major version.
pub fn postgres_installations() -> Vec<PostgresInstallation> {
    let mut found: Vec<PostgresInstallation> = Vec::new();
    for bin_dir in packaged_bin_dirs().into_iter().chain(wheel_bin_dirs()) {
        if let Some(installation) = PostgresInstallation::at(bin_dir)
            && !found.iter().any(|known| known.major == installation.major)
        {
            found.push(installation);
        }
    }
    found.sort_by_key(PostgresInstallation::major);
    found
}

/// The places [`postgres_installations`] searches, for error messages.
pub(super) fn searched_places() -> String {
    format!(
        "{PACKAGED_VERSIONS}/*/bin, <venv>/lib/python3.*/site-packages/*/pginstall/bin for $VIRTUAL_ENV, the \
         venvs on $PATH and {REPOSITORY_VENV} (scripts/setup installs them)"
    )
}

fn packaged_bin_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(PACKAGED_VERSIONS)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .collect();
    dirs.sort();
    dirs
}

fn wheel_bin_dirs() -> Vec<PathBuf> {
    let mut venvs: Vec<PathBuf> = std::env::var_os("VIRTUAL_ENV")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    let path = std::env::var_os("PATH").unwrap_or_default();
    venvs.extend(
        std::env::split_paths(&path)
            .filter_map(|dir| dir.parent().map(Path::to_path_buf))
            .filter(|venv| venv.join("pyvenv.cfg").is_file()),
    );
    venvs.push(PathBuf::from(REPOSITORY_VENV));
    let mut dirs = Vec::new();
    for venv in venvs {
        for lib in children(&venv.join("lib")) {
            for package in children(&lib.join("site-packages")) {
                let bin_dir = package.join("pginstall").join("bin");
                if bin_dir.is_dir() && !dirs.contains(&bin_dir) {
                    dirs.push(bin_dir);
                }
            }
        }
    }
    dirs
}

/// The entries of `dir`, sorted; none when it cannot be read.
fn children(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    entries
}

fn command_output(program: &Path, arg: &str) -> Option<String> {
    let output = Command::new(program).arg(arg).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The major version in `postgres --version` output: `postgres (PostgreSQL) 17.10` gives 17.
fn parse_major(version: &str) -> Option<u32> {
    version.split_whitespace().nth(2)?.split('.').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_major_version_is_read_from_the_version_line() {
        assert_eq!(parse_major("postgres (PostgreSQL) 17.10\n"), Some(17));
        assert_eq!(
            parse_major("postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"),
            Some(15)
        );
        assert_eq!(parse_major("postgres (PostgreSQL) 18beta1"), None);
        assert_eq!(parse_major("nonsense"), None);
    }

    #[test]
    fn installations_are_unique_per_major_and_ordered() {
        let found = postgres_installations();

        let majors: Vec<u32> = found.iter().map(PostgresInstallation::major).collect();
        let mut sorted = majors.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(majors, sorted);
        assert!(
            found
                .iter()
                .all(|installation| is_executable(&installation.bin_dir().join("initdb")))
        );
    }

    #[test]
    fn a_directory_without_a_server_is_no_installation() {
        assert_eq!(PostgresInstallation::at(PathBuf::from("/nonexistent/bin")), None);
    }
}

//! Where the release `bootstrap` binaries come from.
//!
//! The tests run exactly what is deployed: `scripts/build-lambdas` (cargo-lambda, zig linker)
//! writes `target/lambda/<arch>/<bin>/bootstrap`. Each test process asks for a build once per
//! binary and architecture, so a stale binary is never tested; when `scripts/build-lambdas` has
//! already run (as `scripts/test` does first), that build is a no-op.
//!
//! Concurrency: nextest runs every test in its own process, so builds are serialised by an
//! exclusive lock on `target/lambda/.build.lock`, and every test runs a private copy of the
//! binary taken under a shared lock. A later build can then replace the file while another
//! test's process is still executing its copy.
//!
//! Knobs, for the benchmark and for machines without cargo-lambda:
//! - `ROTOR_LAMBDA_DIR`: the base directory (default `<workspace>/target/lambda`);
//! - `ROTOR_E2E_SKIP_BUILD=1`: use what is there, build nothing.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, LazyLock, Mutex};

use tokio::sync::OnceCell;

/// A Lambda architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    /// `x86_64`, run natively.
    X86_64,
    /// `arm64`, run under `qemu-aarch64` on an x86_64 machine.
    Arm64,
}

impl Arch {
    /// The name `scripts/build-lambdas --arch` and the directory use.
    pub fn name(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64",
            Self::Arm64 => "arm64",
        }
    }
}

/// The functions of template.yaml.
pub const HMAC_KEY: &str = "hmac-key-rotator";
pub const MYSQL_SINGLE_USER: &str = "mysql-single-user";
pub const MYSQL_MULTI_USER: &str = "mysql-multi-user";
pub const POSTGRES_SINGLE_USER: &str = "postgres-single-user";
pub const POSTGRES_MULTI_USER: &str = "postgres-multi-user";
pub const IAM_ACCESS_KEY: &str = "iam-access-key-rotator";
pub const REDSHIFT_SINGLE_USER: &str = "redshift-single-user";
pub const REDSHIFT_MULTI_USER: &str = "redshift-multi-user";

/// The workspace root: this package lives in `<root>/tests`.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The base directory of the built functions: `<dir>/<arch>/<bin>/bootstrap`.
pub fn lambda_dir() -> PathBuf {
    std::env::var_os("ROTOR_LAMBDA_DIR").map_or_else(|| workspace_root().join("target/lambda"), PathBuf::from)
}

fn lock_file() -> File {
    let dir = lambda_dir();
    fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("create {}: {error}", dir.display()));
    let path = dir.join(".build.lock");
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|error| panic!("open {}: {error}", path.display()))
}

type Builds = HashMap<(Arch, String), Arc<OnceCell<PathBuf>>>;
static BUILDS: LazyLock<Mutex<Builds>> = LazyLock::new(Mutex::default);

/// Builds `bin` for `arch` (at most once per test process) and returns the path of its
/// `bootstrap`. Panics with the build's output when the build fails.
pub async fn bootstrap(bin: &str, arch: Arch) -> PathBuf {
    let cell = {
        let mut builds = BUILDS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(builds.entry((arch, bin.to_owned())).or_default())
    };
    let bin = bin.to_owned();
    cell.get_or_init(|| async move {
        tokio::task::spawn_blocking(move || build(&bin, arch))
            .await
            .unwrap_or_else(|error| panic!("the build task failed: {error}"))
    })
    .await
    .clone()
}

fn build(bin: &str, arch: Arch) -> PathBuf {
    let path = lambda_dir().join(arch.name()).join(bin).join("bootstrap");
    if std::env::var("ROTOR_E2E_SKIP_BUILD").is_ok_and(|value| value == "1") {
        assert!(
            path.is_file(),
            "ROTOR_E2E_SKIP_BUILD=1 but {} does not exist; run scripts/build-lambdas",
            path.display()
        );
        return path;
    }
    let lock = lock_file();
    lock.lock().expect("lock target/lambda/.build.lock");
    let script = workspace_root().join("scripts/build-lambdas");
    let output = Command::new(&script)
        .args(["--arch", arch.name(), "--bins", bin, "--no-zip"])
        .current_dir(workspace_root())
        .output()
        .unwrap_or_else(|error| panic!("run {}: {error}", script.display()));
    drop(lock);
    assert!(
        output.status.success(),
        "scripts/build-lambdas --arch {} --bins {bin} failed ({}):\n{}\n{}",
        arch.name(),
        output.status,
        tail(&output.stdout),
        tail(&output.stderr),
    );
    assert!(path.is_file(), "{} was not produced", path.display());
    path
}

/// Copies `bootstrap` to `into` under the shared lock, so no build rewrites it mid-copy.
pub fn private_copy(bootstrap: &Path, into: &Path) {
    let lock = lock_file();
    lock.lock_shared().expect("lock target/lambda/.build.lock");
    fs::copy(bootstrap, into)
        .unwrap_or_else(|error| panic!("copy {} to {}: {error}", bootstrap.display(), into.display()));
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

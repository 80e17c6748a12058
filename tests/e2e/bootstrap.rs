//! One running `bootstrap` process, started the way the Lambda service starts it.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::lambdas::{self, Arch};

/// The sysroot of the arm64 C library from `libc6-arm64-cross` (scripts/setup installs it).
const ARM64_SYSROOT: &str = "/usr/aarch64-linux-gnu";

/// Test credentials: moto checks no signature, and the process must never find real ones.
const ACCESS_KEY: &str = "testing";

/// How to start a function.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The binary, e.g. `mysql-single-user`.
    pub bin: &'static str,
    /// The architecture to build and run.
    pub arch: Arch,
    /// The `AWS_LAMBDA_LOG_LEVEL`.
    pub log_level: &'static str,
    /// More variables, e.g. a rotator's settings.
    pub env: Vec<(String, String)>,
}

impl Launch {
    /// `bin` for x86_64 at INFO.
    pub fn new(bin: &'static str) -> Self {
        Self {
            bin,
            arch: Arch::X86_64,
            log_level: "INFO",
            env: Vec::new(),
        }
    }

    /// The same launch for another architecture.
    #[must_use]
    pub fn arch(mut self, arch: Arch) -> Self {
        self.arch = arch;
        self
    }

    /// The same launch at another log level.
    #[must_use]
    pub fn log_level(mut self, level: &'static str) -> Self {
        self.log_level = level;
        self
    }
}

/// A running bootstrap. Dropping it kills the process, waits for it and deletes its directory,
/// also while a test panics.
#[derive(Debug)]
pub struct Bootstrap {
    child: Child,
    dir: PathBuf,
    /// When the process was spawned.
    pub started: Instant,
}

impl Bootstrap {
    /// Builds (once per test process) and starts `launch.bin` against the Runtime API at
    /// `runtime_api` and Secrets Manager at `secrets_manager_endpoint`.
    pub async fn spawn(launch: &Launch, runtime_api: &str, secrets_manager_endpoint: &str) -> Self {
        let built = lambdas::bootstrap(launch.bin, launch.arch).await;
        let dir = scratch_dir(launch.bin);
        let executable = dir.join("bootstrap");
        lambdas::private_copy(&built, &executable);

        let mut command = match launch.arch {
            Arch::X86_64 => Command::new(&executable),
            Arch::Arm64 => {
                let mut qemu = Command::new(find_qemu());
                qemu.arg("-L").arg(ARM64_SYSROOT).arg(&executable);
                qemu
            }
        };
        let home = dir.join("home");
        fs::create_dir_all(&home).expect("create the function's HOME");
        command
            .env_clear()
            .current_dir(&dir)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", &home)
            .env("LANG", "C.UTF-8")
            .env("TZ", ":UTC")
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", launch.bin)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_LAMBDA_LOG_LEVEL", launch.log_level)
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", ACCESS_KEY)
            .env("AWS_SESSION_TOKEN", ACCESS_KEY)
            // Nothing outside the test may configure the SDK: empty profile files, no IMDS.
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("SECRETS_MANAGER_ENDPOINT", secrets_manager_endpoint)
            .envs(launch.env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(output_file(&dir, "stdout"))
            .stderr(output_file(&dir, "stderr"));
        let started = Instant::now();
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("start {}: {error}", executable.display()));
        Self { child, dir, started }
    }

    /// The process id (of qemu, for arm64).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process wrote to stdout so far (its JSON logs).
    pub fn stdout(&self) -> String {
        read_output(&self.dir, "stdout")
    }

    /// Everything the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        read_output(&self.dir, "stderr")
    }

    /// Whether the process has exited, and how.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("poll the bootstrap process")
    }

    /// Waits up to `timeout` for the process to exit on its own.
    pub async fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        // `Duration::MAX` means no limit.
        let until = Instant::now().checked_add(timeout);
        loop {
            if let Some(status) = self.exit_status() {
                return Some(status);
            }
            if until.is_some_and(|until| Instant::now() >= until) {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The peak resident set size so far (`VmHWM` in `/proc/<pid>/status`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// CPU time the process has used so far, summed over its live threads
    /// (`/proc/<pid>/task/*/schedstat`, nanoseconds): unlike wall time, barely moved by other load
    /// on the machine.
    pub fn cpu_time(&self) -> Option<Duration> {
        let tasks = fs::read_dir(format!("/proc/{}/task", self.pid())).ok()?;
        let nanos = tasks
            .flatten()
            .filter_map(|task| fs::read_to_string(task.path().join("schedstat")).ok())
            .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
            .sum();
        Some(Duration::from_nanos(nanos))
    }

    /// A report for assertion messages: exit status and the end of both streams.
    pub fn diagnostics(&mut self) -> String {
        let status = self
            .exit_status()
            .map_or_else(|| "still running".to_owned(), |status| status.to_string());
        format!(
            "bootstrap {status}\n--- stdout (end) ---\n{}\n--- stderr (end) ---\n{}",
            last_lines(&self.stdout(), 30),
            last_lines(&self.stderr(), 30)
        )
    }
}

impl Drop for Bootstrap {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _already_gone = self.child.kill();
        }
        let _reaped = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

const SCRATCH_PREFIX: &str = "rotor-e2e-";

/// A fresh directory `<tmp>/rotor-e2e-<test pid>-<n>-<bin>` for one process.
fn scratch_dir(bin: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    if NEXT.load(Ordering::Relaxed) == 0 {
        rotor_testkit::remove_orphaned_dirs(SCRATCH_PREFIX);
    }
    let dir = std::env::temp_dir().join(format!(
        "{SCRATCH_PREFIX}{}-{}-{bin}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("create {}: {error}", dir.display()));
    dir
}

fn output_file(dir: &Path, name: &str) -> File {
    let path = dir.join(name);
    File::create(&path).unwrap_or_else(|error| panic!("create {}: {error}", path.display()))
}

fn read_output(dir: &Path, name: &str) -> String {
    fs::read(dir.join(name)).map_or_else(
        |_| String::new(),
        |bytes| String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

fn find_qemu() -> PathBuf {
    ["/usr/bin/qemu-aarch64", "/usr/bin/qemu-aarch64-static"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .expect("qemu-aarch64 not found; run scripts/setup (it installs qemu-user)")
}

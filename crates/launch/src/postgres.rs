//! A throwaway PostgreSQL cluster, started from the installed binaries for one test (or one demo).
//!
//! The cluster never shares anything with the machine's own PostgreSQL service (which trusts every login): it
//! has its own data directory, a free port on 127.0.0.1, and a unix socket in a private directory. Over TCP every
//! login needs a SCRAM-SHA-256 password (or MD5, with [`PostgresOptions::md5_passwords`]); only the private
//! socket is `trust`, for [`PostgresServer::psql`] and [`PostgresServer::admin_sql`]. [`PostgresOptions::major`] picks one of the installed
//! versions ([`postgres_installations`]).

mod installations;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use secrecy::{ExposeSecret as _, SecretString};

use crate::LaunchError;
use crate::secret::aws_secret;
use crate::server::{
    LOCALHOST, OsAccount, Running, ScratchDir, ServerCommand, StopSignal, cached_template, command_as,
    copy_tree, find_program, is_executable, random_password, run, spawn_until_ready, start_on_free_port,
};
use crate::throwaway::Server;
use crate::tls::{TestCa, TlsFiles};

use installations::{PACKAGED_VERSIONS, searched_places};
pub use installations::{PostgresInstallation, postgres_installations};

const SERVER: &str = "PostgreSQL";

/// The OS account the server runs as when the tests run as root.
const SERVICE_ACCOUNT: &str = "postgres";

/// The superuser role `initdb` creates.
const SUPERUSER: &str = "postgres";

/// Environment variable naming the directory that holds `initdb`, `postgres` and `psql`.
pub const POSTGRES_BIN_DIR_ENV: &str = "ROTOR_PG_BIN";

/// How a [`PostgresServer`] is set up. The default is plain TCP with password authentication.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct PostgresOptions {
    tls: bool,
    tls_names: Vec<String>,
    major: Option<u32>,
    md5: bool,
}

impl PostgresOptions {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires TLS on every TCP connection (`hostssl` accepted, `hostnossl` rejected), with a certificate for
    /// `localhost` and `127.0.0.1` signed by a CA made for this server; see [`Server::ca_cert_path`].
    pub fn tls(mut self, required: bool) -> Self {
        self.tls = required;
        self
    }

    /// Makes the TLS certificate valid for `name` as well, e.g. an RDS endpoint that a test
    /// reaches on loopback through a resolver override. Implies [`tls`](Self::tls).
    pub fn tls_name(mut self, name: &str) -> Self {
        self.tls = true;
        self.tls_names.push(name.to_owned());
        self
    }

    /// Runs the installed server of this major version (see [`postgres_installations`]) instead of the
    /// default one (`$ROTOR_PG_BIN`, else the newest packaged version).
    pub fn major(mut self, major: u32) -> Self {
        self.major = Some(major);
        self
    }

    /// Stores new passwords as MD5 (`password_encryption = md5`) and asks TCP clients for MD5 authentication
    /// (`md5` in `pg_hba.conf`; PostgreSQL still uses SCRAM for a role whose stored password is SCRAM).
    pub fn md5_passwords(mut self, md5: bool) -> Self {
        self.md5 = md5;
        self
    }
}

/// A running throwaway PostgreSQL server (see [`Server`] for what every server offers). Dropping it stops the
/// server and deletes all its files.
pub type PostgresServer = Server<Postgres>;

/// What is PostgreSQL's own in a [`PostgresServer`]: its binaries, version, socket and superuser password.
#[derive(Debug)]
pub struct Postgres {
    bin_dir: PathBuf,
    major: u32,
    socket_dir: PathBuf,
    /// `Debug` prints `[REDACTED]`.
    password: SecretString,
}

impl fmt::Debug for PostgresServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_as("PostgresServer", f)
    }
}

impl PostgresServer {
    /// Starts a server with the default options.
    ///
    /// # Errors
    /// See [`PostgresServer::start_with`].
    pub async fn start() -> Result<Self, LaunchError> {
        Self::start_with(PostgresOptions::default()).await
    }

    /// Starts a server: copies the cached `initdb` template (building it first if needed), starts `postgres` on
    /// a free port, waits until it accepts connections and gives the superuser a fresh random password.
    ///
    /// # Errors
    /// [`LaunchError::ProgramNotFound`] when no PostgreSQL installation is found (or none of the requested
    /// major version, or one without TLS support when TLS is requested), [`LaunchError::Exited`] or
    /// [`LaunchError::NotReady`] (with the end of the server log) when the server does not come up, and the
    /// other variants for failed setup steps.
    pub async fn start_with(options: PostgresOptions) -> Result<Self, LaunchError> {
        let installation = match options.major {
            Some(major) => find_major(major)?,
            None => {
                PostgresInstallation::at(find_bin_dir()?).ok_or_else(|| LaunchError::ProgramNotFound {
                    program: "a postgres that reports its version".to_owned(),
                    searched: format!("${POSTGRES_BIN_DIR_ENV}, {PACKAGED_VERSIONS}/*/bin, $PATH"),
                })?
            }
        };
        if options.tls && !installation.supports_tls() {
            return Err(LaunchError::ProgramNotFound {
                program: format!("PostgreSQL {} built with OpenSSL", installation.major()),
                searched: installation.bin_dir().display().to_string(),
            });
        }
        let (major, bin_dir) = (installation.major(), installation.bin_dir().to_path_buf());
        let account = OsAccount::for_server(SERVICE_ACCOUNT)?;
        let account = account.as_ref();
        let version = server_version(&bin_dir, account).await?;
        let template = cached_template(&format!("pg-template-{version}"), |staging| {
            init_template(&bin_dir, account, staging)
        })
        .await?;

        let dir = ScratchDir::create("pg", account)?;
        let data_dir = dir.path().join("data");
        copy_tree(&template.join("data"), &data_dir).await?;
        let socket_dir = dir.subdir("socket", account)?;
        let hba_file = dir.path().join("pg_hba.conf");
        fs::write(&hba_file, hba_rules(options.tls, options.md5))
            .map_err(|error| LaunchError::io("write", &hba_file, error))?;
        let tls = if options.tls {
            let ca = TestCa::generate_for(&options.tls_names)?;
            let files = ca.install_for(&dir.subdir("tls", account)?, account)?;
            Some((ca, files))
        } else {
            None
        };
        let log = dir.path().join("server.log");

        let tls_files = tls.as_ref().map(|(_, files)| files);
        let (process, port) = start_on_free_port(SERVER, |port| {
            let mut command = command_as(account, &bin_dir.join("postgres"));
            command.arg("-D").arg(&data_dir);
            for setting in settings(port, &socket_dir, &hba_file, tls_files, options.md5) {
                command.arg("-c").arg(setting);
            }
            let spec = ServerCommand {
                server: SERVER,
                command,
                log: &log,
                owner: account,
                stop_signal: StopSignal::Interrupt,
                directory: dir.path(),
            };
            spawn_until_ready(spec, || std::future::ready(accepts_connections(&data_dir)))
        })
        .await?;

        let server = Self {
            running: Running::new(process, dir),
            port,
            tls,
            kind: Postgres {
                bin_dir,
                major,
                socket_dir,
                password: SecretString::from(random_password()),
            },
        };
        server
            .admin_sql(&format!(
                "ALTER ROLE {SUPERUSER} PASSWORD '{}';\n",
                server.kind.password.expose_secret()
            ))
            .await?;
        tracing::debug!(port, dir = %server.running.dir().display(), tls = server.tls.is_some(), "PostgreSQL ready");
        Ok(server)
    }

    /// The superuser's name and password, which work over TCP (with TLS, if the server requires it).
    pub fn superuser(&self) -> (&str, &str) {
        (SUPERUSER, self.kind.password.expose_secret())
    }

    /// The private directory holding the server's unix socket, where the superuser is trusted without a
    /// password. Pass it as `host` to a client to connect through the socket.
    pub fn socket_dir(&self) -> &Path {
        &self.kind.socket_dir
    }

    /// The directory of the PostgreSQL binaries in use, which also holds the matching `psql`.
    pub fn bin_dir(&self) -> &Path {
        &self.kind.bin_dir
    }

    /// The server's major version, e.g. `15`.
    pub fn major(&self) -> u32 {
        self.kind.major
    }

    /// The server log so far: every connection and every statement (`log_connections`, `log_statement=all`).
    ///
    /// # Errors
    /// [`LaunchError::Io`] when the log cannot be read.
    pub fn log(&self) -> Result<String, LaunchError> {
        self.running.read("server.log")
    }

    /// Runs `sql` with `psql` as the superuser through the private socket and returns its unaligned,
    /// tuples-only output (`SELECT 1` gives `"1\n"`). Stops at the first error.
    ///
    /// # Errors
    /// [`LaunchError::CommandFailed`] with psql's error message when a statement fails.
    pub async fn psql(&self, sql: &str) -> Result<String, LaunchError> {
        let mut command = Command::new(self.kind.bin_dir.join("psql"));
        // The caller's PGHOST, PGSSLMODE, ... must not redirect or reconfigure this connection.
        for (name, _) in std::env::vars_os().filter(|(name, _)| name.to_string_lossy().starts_with("PG")) {
            command.env_remove(name);
        }
        command
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.kind.socket_dir)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", SUPERUSER, "-d", "postgres"]);
        run(command, Some(sql)).await
    }

    /// Runs `sql` as [`psql`](Self::psql) does, in a session that keeps its statements out of the server log:
    /// for set-up SQL that carries passwords, so that a test's checks on the log see only what the code under
    /// test sent. The session sets `log_statement = none` (the server logs every statement otherwise) and
    /// `log_min_error_statement = panic` (so a failing statement is not echoed either; psql's error, in the
    /// returned [`LaunchError::CommandFailed`], still says what failed). Connections are still logged.
    ///
    /// # Errors
    /// [`LaunchError::CommandFailed`] with psql's error message when a statement fails.
    pub async fn admin_sql(&self, sql: &str) -> Result<String, LaunchError> {
        self.psql(&format!(
            "SET log_statement = 'none';\nSET log_min_error_statement = 'panic';\n{sql}"
        ))
        .await
    }

    /// The secret JSON of `username` on this server, in AWS's format: `engine` `postgres`, `host`, `port` (a
    /// number), `username`, `password` and `dbname` `postgres`. When the server requires TLS the secret trusts
    /// its CA (`ssl_ca`, PEM); otherwise it says `"ssl": false`.
    pub fn secret_json(&self, username: &str, password: &str) -> serde_json::Value {
        let mut secret = aws_secret("postgres", self.port, username, password, self.ca_cert_pem());
        secret["dbname"] = serde_json::json!("postgres");
        secret
    }

    /// [`secret_json`](Self::secret_json) of the superuser: a master secret for alternating users.
    pub fn superuser_secret_json(&self) -> serde_json::Value {
        self.secret_json(SUPERUSER, self.kind.password.expose_secret())
    }
}

/// The binaries to use: `$ROTOR_PG_BIN`, else the newest `/usr/lib/postgresql/<major>/bin`, else wherever the
/// `postgres` on `PATH` really lives.
fn find_bin_dir() -> Result<PathBuf, LaunchError> {
    if let Some(dir) = std::env::var_os(POSTGRES_BIN_DIR_ENV) {
        let dir = PathBuf::from(dir);
        if !is_executable(&dir.join("postgres")) {
            return Err(LaunchError::ProgramNotFound {
                program: "postgres".to_owned(),
                searched: format!("{POSTGRES_BIN_DIR_ENV}={}", dir.display()),
            });
        }
        return Ok(dir);
    }
    let newest_packaged = fs::read_dir(PACKAGED_VERSIONS)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            is_executable(&bin.join("postgres")).then_some((major, bin))
        })
        .max_by_key(|(major, _)| *major);
    if let Some((_, bin)) = newest_packaged {
        return Ok(bin);
    }
    let on_path = find_program("postgres", &[]).map_err(|_| LaunchError::ProgramNotFound {
        program: "postgres".to_owned(),
        searched: format!("${POSTGRES_BIN_DIR_ENV}, {PACKAGED_VERSIONS}/*/bin, $PATH"),
    })?;
    // /usr/local/bin/postgres is often a symlink; psql and initdb sit next to its target.
    let real = fs::canonicalize(&on_path).map_err(|error| LaunchError::io("resolve", &on_path, error))?;
    Ok(real.parent().map_or(real.clone(), Path::to_path_buf))
}

/// The installed server of major version `major`.
fn find_major(major: u32) -> Result<PostgresInstallation, LaunchError> {
    postgres_installations()
        .into_iter()
        .find(|installation| installation.major() == major)
        .ok_or_else(|| LaunchError::ProgramNotFound {
            program: format!("PostgreSQL {major}"),
            searched: searched_places(),
        })
}

/// The full server version, e.g. `15.20`: the template cache key, so a minor upgrade rebuilds the template.
/// Asked as the account the server will run as, so binaries that account cannot read or run (an unpacked
/// wheel without read permission for others) fail here, with the command's error.
async fn server_version(bin_dir: &Path, account: Option<&OsAccount>) -> Result<String, LaunchError> {
    let mut command = command_as(account, &bin_dir.join("postgres"));
    command.arg("--version");
    let output = run(command, None).await?;
    // "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    output
        .split_whitespace()
        .nth(2)
        .filter(|version| version.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .map(str::to_owned)
        .ok_or_else(|| LaunchError::UnexpectedOutput {
            program: "postgres --version".to_owned(),
            output: output.trim().to_owned(),
        })
}

/// `initdb` into `staging/data`, as `account`. No password yet: each server sets its own.
async fn init_template(
    bin_dir: &Path,
    account: Option<&OsAccount>,
    staging: PathBuf,
) -> Result<(), LaunchError> {
    if let Some(account) = account {
        account
            .chown(&staging)
            .map_err(|error| LaunchError::io("change owner of", &staging, error))?;
    }
    let mut command = command_as(account, &bin_dir.join("initdb"));
    command
        .arg("-D")
        .arg(staging.join("data"))
        .args(["-U", SUPERUSER, "-E", "UTF8", "--locale=C"])
        .args([
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-instructions",
            "--no-sync",
        ]);
    run(command, None).await.map(drop)
}

/// `pg_hba.conf`: the private socket is trusted; TCP needs a password (SCRAM, or MD5 when `md5`), and TLS too
/// when required.
fn hba_rules(tls: bool, md5: bool) -> String {
    let method = if md5 { "md5" } else { "scram-sha-256" };
    if tls {
        format!(
            "local all all trust\nhostssl all all 127.0.0.1/32 {method}\nhostnossl all all 127.0.0.1/32 reject\n"
        )
    } else {
        format!("local all all trust\nhost all all 127.0.0.1/32 {method}\n")
    }
}

/// The `-c` settings the server starts with.
fn settings(port: u16, socket_dir: &Path, hba_file: &Path, tls: Option<&TlsFiles>, md5: bool) -> Vec<String> {
    let mut settings = vec![
        format!("port={port}"),
        format!("listen_addresses={LOCALHOST}"),
        format!("unix_socket_directories={}", socket_dir.display()),
        "unix_socket_permissions=0700".to_owned(),
        format!("hba_file={}", hba_file.display()),
        format!(
            "password_encryption={}",
            if md5 { "md5" } else { "scram-sha-256" }
        ),
        // The log goes to stderr, which is the log file: tests read it to check logins and statements.
        "logging_collector=off".to_owned(),
        "log_connections=on".to_owned(),
        "log_statement=all".to_owned(),
        // Throwaway data: durability is wasted time.
        "fsync=off".to_owned(),
        "synchronous_commit=off".to_owned(),
        "full_page_writes=off".to_owned(),
        "shared_buffers=32MB".to_owned(),
    ];
    if let Some(files) = tls {
        settings.push("ssl=on".to_owned());
        settings.push(format!("ssl_cert_file={}", files.server_cert().display()));
        settings.push(format!("ssl_key_file={}", files.server_key().display()));
    }
    settings
}

/// Whether the postmaster says it accepts connections: line 8 of `postmaster.pid` reads `ready` (what
/// `pg_ctl -w` waits for).
fn accepts_connections(data_dir: &Path) -> bool {
    fs::read_to_string(data_dir.join("postmaster.pid")).is_ok_and(|pid_file| {
        pid_file
            .lines()
            .nth(7)
            .is_some_and(|status| status.trim() == "ready")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_rules_reject_plain_tcp_and_keep_passwords() {
        let rules = hba_rules(true, false);

        assert!(rules.contains("hostnossl all all 127.0.0.1/32 reject"));
        assert!(rules.contains("hostssl all all 127.0.0.1/32 scram-sha-256"));
        assert!(
            !rules
                .lines()
                .any(|line| line.starts_with("host ") && line.ends_with("trust"))
        );
    }

    #[test]
    fn settings_listen_on_localhost_only_and_log_everything() {
        let settings = settings(5555, Path::new("/s"), Path::new("/h"), None, false);

        assert!(settings.contains(&"listen_addresses=127.0.0.1".to_owned()));
        assert!(settings.contains(&"log_statement=all".to_owned()));
        assert!(settings.contains(&"log_connections=on".to_owned()));
        assert!(!settings.iter().any(|setting| setting.starts_with("ssl")));
        assert!(settings.contains(&"password_encryption=scram-sha-256".to_owned()));
    }

    #[test]
    fn md5_servers_store_md5_and_ask_tcp_clients_for_md5() {
        let settings = settings(5555, Path::new("/s"), Path::new("/h"), None, true);
        let rules = hba_rules(false, true);

        assert!(settings.contains(&"password_encryption=md5".to_owned()));
        assert!(rules.contains("host all all 127.0.0.1/32 md5\n"), "{rules}");
        assert!(!rules.contains("scram"), "{rules}");
    }

    #[test]
    fn readiness_is_read_from_the_pid_file() {
        let dir = ScratchDir::create("unit", None).unwrap();
        let pid_file = dir.path().join("postmaster.pid");

        fs::write(&pid_file, "1\n/d\n0\n5432\n/s\n127.0.0.1\n1 2\nstarting\n").unwrap();
        let starting = accepts_connections(dir.path());
        fs::write(&pid_file, "1\n/d\n0\n5432\n/s\n127.0.0.1\n1 2\nready   \n").unwrap();
        let ready = accepts_connections(dir.path());

        assert!(!starting);
        assert!(ready);
    }

    #[tokio::test]
    async fn a_requested_major_version_is_the_one_that_runs() {
        for installation in postgres_installations() {
            let major = installation.major();
            let server = PostgresServer::start_with(PostgresOptions::new().major(major))
                .await
                .unwrap();

            let reported = server.psql("SHOW server_version_num").await.unwrap();

            assert_eq!(server.major(), major);
            assert_eq!(reported.trim().parse::<u32>().unwrap() / 10_000, major);
        }
    }

    #[tokio::test]
    async fn a_missing_major_version_names_the_places_searched() {
        let error = PostgresServer::start_with(PostgresOptions::new().major(3))
            .await
            .unwrap_err();

        assert!(error.to_string().contains("PostgreSQL 3 not found"), "{error}");
        assert!(error.to_string().contains("pginstall/bin"), "{error}");
    }

    #[tokio::test]
    async fn tls_on_a_build_without_openssl_is_refused_before_starting() {
        let Some(plain) = postgres_installations()
            .into_iter()
            .find(|installation| !installation.supports_tls())
        else {
            return;
        };
        let options = PostgresOptions::new().major(plain.major()).tls(true);

        let error = PostgresServer::start_with(options).await.unwrap_err();

        assert!(error.to_string().contains("built with OpenSSL"), "{error}");
    }

    #[tokio::test]
    async fn admin_sql_keeps_statements_out_of_the_log_even_when_they_fail() {
        let server = PostgresServer::start().await.unwrap();

        server
            .admin_sql("CREATE ROLE quiet LOGIN PASSWORD 'admin-sql-Password-1'")
            .await
            .unwrap();
        let failed = server
            .admin_sql("ALTER ROLE nobody PASSWORD 'failed-Password-1'")
            .await;
        server.psql("CREATE ROLE loud NOLOGIN").await.unwrap();

        let log = server.log().unwrap();
        assert!(failed.is_err());
        assert!(!log.contains("admin-sql-Password-1"), "{log}");
        assert!(!log.contains("failed-Password-1"), "{log}");
        assert!(log.contains("statement: CREATE ROLE loud"), "{log}");
        let quiet = server
            .psql("SELECT count(*) FROM pg_roles WHERE rolname = 'quiet'")
            .await
            .unwrap();
        assert_eq!(quiet.trim(), "1");
    }

    #[tokio::test]
    async fn secret_json_is_in_aws_format_and_trusts_the_ca_only_of_a_tls_server() {
        let plain = PostgresServer::start().await.unwrap();
        let tls = PostgresServer::start_with(PostgresOptions::new().tls(true))
            .await
            .unwrap();

        let app = plain.secret_json("app", "app-Password-1");
        let master = tls.superuser_secret_json();

        assert_eq!(
            app,
            serde_json::json!({
                "engine": "postgres", "host": "127.0.0.1", "port": plain.port(), "username": "app",
                "password": "app-Password-1", "dbname": "postgres", "ssl": false,
            })
        );
        assert_eq!(master["username"], tls.superuser().0);
        assert_eq!(master["password"], tls.superuser().1);
        assert_eq!(master["ssl_ca"].as_str(), tls.ca_cert_pem());
        assert_eq!(master.get("ssl"), None);
    }

    #[test]
    fn options_default_to_plain_tcp() {
        assert!(!PostgresOptions::new().tls);
        assert!(PostgresOptions::new().tls(true).tls);
        assert_eq!(PostgresOptions::new().major, None);
        assert!(!PostgresOptions::new().md5);
    }
}

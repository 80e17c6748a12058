//! A throwaway MariaDB server, started from the installed binaries for one test.
//!
//! It shares nothing with the machine's own MariaDB service: its own data directory, a free port on 127.0.0.1
//! and a unix socket in a private directory. `root` can only log in through that socket (`unix_socket` auth,
//! for [`MariaDbServer::mariadb`] and [`MariaDbServer::admin_sql`]); over TCP every login needs a password,
//! starting with the `admin` account.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use secrecy::{ExposeSecret as _, SecretString};

use crate::LaunchError;
use crate::secret::aws_secret;
use crate::server::{
    LOCALHOST, OsAccount, Running, ScratchDir, ServerCommand, StopSignal, cached_template, command_as,
    copy_tree, find_program, random_password, read_text, run, spawn_until_ready, start_on_free_port,
};
use crate::throwaway::Server;
use crate::tls::{TestCa, TlsFiles};

const SERVER: &str = "MariaDB";

/// The OS account the server runs as when the tests run as root.
const SERVICE_ACCOUNT: &str = "mysql";

/// The account with every privilege that tests use over TCP.
const ADMIN: &str = "admin";

/// The redo log size, identical at install and at start so the server does not resize it on every start.
const INNODB_LOG_FILE_SIZE: &str = "--innodb-log-file-size=8M";

/// How a [`MariaDbServer`] is set up. The default is plain TCP with password authentication.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct MariaDbOptions {
    tls: bool,
}

impl MariaDbOptions {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires TLS on every TCP connection (`require_secure_transport`), with a certificate for `localhost`
    /// and `127.0.0.1` signed by a CA made for this server; see [`Server::ca_cert_path`].
    pub fn tls(mut self, required: bool) -> Self {
        self.tls = required;
        self
    }
}

/// A running throwaway MariaDB server (see [`Server`] for what every server offers). Dropping it stops the
/// server and deletes all its files.
pub type MariaDbServer = Server<MariaDb>;

/// What is MariaDB's own in a [`MariaDbServer`]: its client, the socket account and the `admin` password.
#[derive(Debug)]
pub struct MariaDb {
    client: PathBuf,
    socket_user: String,
    /// `Debug` prints `[REDACTED]`.
    password: SecretString,
}

impl fmt::Debug for MariaDbServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_as("MariaDbServer", f)
    }
}

impl MariaDbServer {
    /// Starts a server with the default options.
    ///
    /// # Errors
    /// See [`MariaDbServer::start_with`].
    pub async fn start() -> Result<Self, LaunchError> {
        Self::start_with(MariaDbOptions::default()).await
    }

    /// Starts a server: copies the cached `mariadb-install-db` template (building it first if needed), starts
    /// `mariadbd` on a free port, waits until it answers and creates `admin` with a fresh random password.
    ///
    /// # Errors
    /// [`LaunchError::ProgramNotFound`] when MariaDB is not installed, [`LaunchError::Exited`] or
    /// [`LaunchError::NotReady`] (with the end of the error log) when the server does not come up, and the
    /// other variants for failed setup steps.
    pub async fn start_with(options: MariaDbOptions) -> Result<Self, LaunchError> {
        let server_binary = find_program("mariadbd", &[PathBuf::from("/usr/sbin/mariadbd")])?;
        let client = find_program("mariadb", &[])?;
        let admin_tool = find_program("mariadb-admin", &[])?;
        let account = OsAccount::for_server(SERVICE_ACCOUNT)?;
        let account = account.as_ref();
        // unix_socket auth maps the OS account of the client to the MariaDB account of the same name.
        let socket_user = OsAccount::current()?.name().to_owned();
        let version = server_version(&server_binary).await?;
        let template = cached_template(&format!("mariadb-template-{version}"), |staging| {
            install_template(account, &socket_user, staging)
        })
        .await?;

        let dir = ScratchDir::create("mariadb", account)?;
        let paths = ServerPaths { dir: dir.path() };
        copy_tree(&template.join("data"), &paths.data()).await?;
        dir.subdir("tmp", account)?;
        let tls = if options.tls {
            let ca = TestCa::generate()?;
            let files = ca.install_for(&dir.subdir("tls", account)?, account)?;
            Some((ca, files))
        } else {
            None
        };

        let tls_files = tls.as_ref().map(|(_, files)| files);
        let (socket, error_log) = (paths.socket(), paths.error_log());
        let (process, port) = start_on_free_port(SERVER, |port| {
            let mut command = command_as(account, &server_binary);
            command.args(server_arguments(port, &paths, tls_files));
            let spec = ServerCommand {
                server: SERVER,
                command,
                log: &error_log,
                owner: account,
                stop_signal: StopSignal::Terminate,
                directory: dir.path(),
            };
            spawn_until_ready(spec, || answers_ping(&admin_tool, &socket, &socket_user))
        })
        .await?;

        let server = Self {
            running: Running::new(process, dir),
            port,
            tls,
            kind: MariaDb {
                client,
                socket_user,
                password: SecretString::from(random_password()),
            },
        };
        server
            .admin_sql(&format!(
                "CREATE USER '{ADMIN}'@'%' IDENTIFIED BY '{password}';\n\
                 GRANT ALL PRIVILEGES ON *.* TO '{ADMIN}'@'%' WITH GRANT OPTION;\n",
                password = server.kind.password.expose_secret()
            ))
            .await?;
        tracing::debug!(port, dir = %server.running.dir().display(), tls = server.tls.is_some(), "MariaDB ready");
        Ok(server)
    }

    /// The `admin` account's name and password: every privilege, `WITH GRANT OPTION`, from any host, over TCP
    /// (with TLS, if the server requires it).
    pub fn admin(&self) -> (&str, &str) {
        (ADMIN, self.kind.password.expose_secret())
    }

    /// The server's private unix socket, where the test process's OS account logs in as itself (`root` when the
    /// tests run as root) without a password.
    pub fn socket_path(&self) -> PathBuf {
        self.paths().socket()
    }

    /// The general query log so far: every connection and every statement, verbatim.
    ///
    /// # Errors
    /// [`LaunchError::Io`] when the log cannot be read.
    pub fn general_log(&self) -> Result<String, LaunchError> {
        read_text(&self.paths().general_log())
    }

    /// The error log so far: startup, shutdown and warnings.
    ///
    /// # Errors
    /// [`LaunchError::Io`] when the log cannot be read.
    pub fn error_log(&self) -> Result<String, LaunchError> {
        read_text(&self.paths().error_log())
    }

    /// Runs `sql` with the `mariadb` client through the private socket, as the OS account of the test process
    /// (MariaDB's `root` when the tests run as root), and returns its tab-separated output without column names.
    /// Stops at the first error.
    ///
    /// # Errors
    /// [`LaunchError::CommandFailed`] with the client's error message when a statement fails.
    pub async fn mariadb(&self, sql: &str) -> Result<String, LaunchError> {
        let mut command = Command::new(&self.kind.client);
        command
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket_path().display()))
            .arg(format!("--user={}", self.kind.socket_user))
            .args(["--batch", "--skip-column-names"]);
        run(command, Some(sql)).await
    }

    /// Runs `sql` as [`mariadb`](Self::mariadb) does, in a session that keeps its statements out of the general
    /// query log (`SET SESSION sql_log_off = ON`): for set-up SQL that carries passwords, so that a test's checks
    /// on the log see only what the code under test sent. The server keeps no other statement log.
    ///
    /// # Errors
    /// [`LaunchError::CommandFailed`] with the client's error message when a statement fails.
    pub async fn admin_sql(&self, sql: &str) -> Result<String, LaunchError> {
        self.mariadb(&format!("SET SESSION sql_log_off = ON;\n{sql}"))
            .await
    }

    /// The secret JSON of `username` on this server, in AWS's format: `engine` `mariadb`, `host`, `port` (a
    /// number), `username` and `password`. When the server requires TLS the secret trusts its CA (`ssl_ca`,
    /// PEM); otherwise it says `"ssl": false`.
    pub fn secret_json(&self, username: &str, password: &str) -> serde_json::Value {
        aws_secret("mariadb", self.port, username, password, self.ca_cert_pem())
    }

    /// [`secret_json`](Self::secret_json) of the `admin` account: a master secret for alternating users.
    pub fn admin_secret_json(&self) -> serde_json::Value {
        self.secret_json(ADMIN, self.kind.password.expose_secret())
    }

    fn paths(&self) -> ServerPaths<'_> {
        ServerPaths {
            dir: self.running.dir(),
        }
    }
}

/// Where one server keeps its files, all inside its scratch directory.
#[derive(Debug, Clone, Copy)]
struct ServerPaths<'a> {
    dir: &'a Path,
}

impl ServerPaths<'_> {
    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn tmp(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("mysqld.sock")
    }

    fn error_log(&self) -> PathBuf {
        self.dir.join("error.log")
    }

    fn general_log(&self) -> PathBuf {
        self.dir.join("general.log")
    }
}

/// The server's command line. `--no-defaults` comes first, as mariadbd requires, so no `my.cnf` of the machine
/// applies.
fn server_arguments(port: u16, paths: &ServerPaths<'_>, tls: Option<&TlsFiles>) -> Vec<String> {
    let path = |option: &str, path: &Path| format!("--{option}={}", path.display());
    let mut arguments = vec![
        "--no-defaults".to_owned(),
        path("datadir", &paths.data()),
        path("tmpdir", &paths.tmp()),
        format!("--port={port}"),
        format!("--bind-address={LOCALHOST}"),
        path("socket", &paths.socket()),
        path("pid-file", &paths.dir.join("mysqld.pid")),
        path("log-error", &paths.error_log()),
        "--general-log=1".to_owned(),
        path("general-log-file", &paths.general_log()),
        "--skip-name-resolve".to_owned(),
        "--skip-log-bin".to_owned(),
        "--innodb-buffer-pool-size=32M".to_owned(),
        INNODB_LOG_FILE_SIZE.to_owned(),
        // Throwaway data: durability and a clean InnoDB shutdown are wasted time.
        "--innodb-flush-log-at-trx-commit=2".to_owned(),
        "--skip-innodb-doublewrite".to_owned(),
        "--innodb-fast-shutdown=2".to_owned(),
    ];
    if let Some(files) = tls {
        arguments.push(path("ssl-ca", files.ca_cert()));
        arguments.push(path("ssl-cert", files.server_cert()));
        arguments.push(path("ssl-key", files.server_key()));
        arguments.push("--require-secure-transport=ON".to_owned());
    }
    arguments
}

/// The version, e.g. `10.11.19`: the template cache key, so an upgrade rebuilds the template.
async fn server_version(server_binary: &Path) -> Result<String, LaunchError> {
    let mut command = Command::new(server_binary);
    command.arg("--version");
    let output = run(command, None).await?;
    // "/usr/sbin/mariadbd  Ver 10.11.19-MariaDB-0+deb12u1-log for debian-linux-gnu on x86_64 (Debian 12)"
    output
        .split_whitespace()
        .skip_while(|word| *word != "Ver")
        .nth(1)
        .and_then(|version| version.split('-').next())
        .filter(|version| !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .map(str::to_owned)
        .ok_or_else(|| LaunchError::UnexpectedOutput {
            program: format!("{} --version", server_binary.display()),
            output: output.trim().to_owned(),
        })
}

/// `mariadb-install-db` into `staging/data`, as `account`, with `root` and `socket_user` able to log in only
/// through the unix socket.
async fn install_template(
    account: Option<&OsAccount>,
    socket_user: &str,
    staging: PathBuf,
) -> Result<(), LaunchError> {
    if let Some(account) = account {
        account
            .chown(&staging)
            .map_err(|error| LaunchError::io("change owner of", &staging, error))?;
    }
    let install = find_program("mariadb-install-db", &[])?;
    let mut command = command_as(account, &install);
    command
        .arg("--no-defaults")
        .arg(format!("--datadir={}", staging.join("data").display()))
        .arg("--auth-root-authentication-method=socket")
        .arg(format!("--auth-root-socket-user={socket_user}"))
        .args(["--skip-test-db", "--skip-name-resolve", INNODB_LOG_FILE_SIZE])
        // The bootstrap server writes temporary files; the caller's TMPDIR may not be writable by `account`.
        .env("TMPDIR", &staging);
    run(command, None).await.map(drop)
}

/// Whether the server answers `mariadb-admin ping` on its socket (it answers before any login succeeds).
async fn answers_ping(admin_tool: &Path, socket: &Path, user: &str) -> bool {
    if !socket.exists() {
        return false;
    }
    let mut command = Command::new(admin_tool);
    command
        .arg("--no-defaults")
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--user={user}"))
        .args(["--connect-timeout=2", "ping"]);
    run(command, None).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> ServerPaths<'static> {
        ServerPaths { dir: Path::new("/w") }
    }

    #[test]
    fn no_defaults_comes_first_and_the_server_stays_on_localhost() {
        let arguments = server_arguments(4242, &paths(), None);

        assert_eq!(arguments[0], "--no-defaults");
        assert!(arguments.contains(&"--bind-address=127.0.0.1".to_owned()));
        assert!(arguments.contains(&"--port=4242".to_owned()));
        assert!(arguments.contains(&"--general-log-file=/w/general.log".to_owned()));
        assert!(!arguments.iter().any(|argument| argument.starts_with("--ssl")));
    }

    #[test]
    fn tls_requires_secure_transport() {
        let dir = ScratchDir::create("unit", None).unwrap();
        let files = TestCa::generate().unwrap().write_to(dir.path()).unwrap();

        let arguments = server_arguments(4242, &paths(), Some(&files));

        assert!(arguments.contains(&"--require-secure-transport=ON".to_owned()));
        assert!(
            arguments
                .iter()
                .any(|argument| argument.starts_with("--ssl-key="))
        );
    }

    #[tokio::test]
    async fn admin_sql_keeps_statements_out_of_the_general_log() {
        let server = MariaDbServer::start().await.unwrap();

        server
            .admin_sql("CREATE USER 'quiet'@'%' IDENTIFIED BY 'admin-sql-Pw-1'")
            .await
            .unwrap();
        server.mariadb("CREATE USER 'loud'@'%'").await.unwrap();

        let log = server.general_log().unwrap();
        assert!(!log.contains("admin-sql-Pw-1"), "{log}");
        assert!(log.contains("CREATE USER 'loud'"), "{log}");
        let quiet = server
            .mariadb("SELECT COUNT(*) FROM mysql.user WHERE User = 'quiet'")
            .await
            .unwrap();
        assert_eq!(quiet.trim(), "1");
    }

    #[tokio::test]
    async fn secret_json_is_in_aws_format_and_trusts_the_ca_only_of_a_tls_server() {
        let plain = MariaDbServer::start().await.unwrap();
        let tls = MariaDbServer::start_with(MariaDbOptions::new().tls(true))
            .await
            .unwrap();

        let app = plain.secret_json("app", "app-Pw-1");
        let master = tls.admin_secret_json();

        assert_eq!(
            app,
            serde_json::json!({
                "engine": "mariadb", "host": "127.0.0.1", "port": plain.port(), "username": "app",
                "password": "app-Pw-1", "ssl": false,
            })
        );
        assert_eq!(master["username"], tls.admin().0);
        assert_eq!(master["password"], tls.admin().1);
        assert_eq!(master["ssl_ca"].as_str(), tls.ca_cert_pem());
        assert_eq!(master.get("ssl"), None);
    }

    #[test]
    fn options_default_to_plain_tcp() {
        assert!(!MariaDbOptions::new().tls);
        assert!(MariaDbOptions::new().tls(true).tls);
    }
}

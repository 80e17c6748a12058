//! The throwaway MariaDB server enforces passwords (and TLS when asked) over TCP.

use std::process::Output;

use rotor_testkit::{MariaDbOptions, MariaDbServer};

use super::support::{output, text};

/// Runs a statement with the `mariadb` client over TCP as `user` with `password`, plus extra client options.
async fn query_over_tcp(
    server: &MariaDbServer,
    user: &str,
    password: &str,
    extra: &[&str],
    sql: &str,
) -> Output {
    output(
        tokio::process::Command::new("mariadb")
            .arg("--no-defaults")
            .args([
                "--protocol=tcp",
                "-h",
                server.host(),
                "-P",
                &server.port().to_string(),
            ])
            .arg(format!("--user={user}"))
            .arg(format!("--password={password}"))
            .args(["--connect-timeout=10", "--batch", "--skip-column-names"])
            .args(extra)
            .args(["-e", sql]),
    )
    .await
}

#[tokio::test]
async fn tcp_login_is_refused_with_a_wrong_password_and_accepted_with_the_right_one() {
    let server = MariaDbServer::start().await.unwrap();
    let (user, password) = server.admin();

    let wrong = query_over_tcp(&server, user, "not-the-password", &[], "SELECT 1").await;
    let right = query_over_tcp(&server, user, password, &[], "SELECT CURRENT_USER()").await;
    let root = query_over_tcp(&server, "root", "", &[], "SELECT 1").await;

    let (_, wrong_stderr) = text(&wrong);
    assert!(!wrong.status.success());
    assert!(
        wrong_stderr.contains("Access denied for user 'admin'"),
        "{wrong_stderr}"
    );
    let (right_stdout, right_stderr) = text(&right);
    assert!(right.status.success(), "{right_stderr}");
    assert_eq!(right_stdout.trim(), "admin@%");
    assert!(!root.status.success(), "root must only log in through the socket");
    assert!(server.ca_cert_path().is_none());
}

#[tokio::test]
async fn admin_can_create_users_that_log_in_over_tcp() {
    let server = MariaDbServer::start().await.unwrap();
    let (admin, admin_password) = server.admin();

    let created = query_over_tcp(
        &server,
        admin,
        admin_password,
        &[],
        "CREATE USER 'app'@'%' IDENTIFIED BY 'app-password-1'; GRANT SELECT ON mysql.* TO 'app'@'%'",
    )
    .await;
    let login = query_over_tcp(&server, "app", "app-password-1", &[], "SELECT 1").await;

    assert!(created.status.success(), "{}", text(&created).1);
    assert!(login.status.success(), "{}", text(&login).1);
}

#[tokio::test]
async fn root_runs_sql_through_the_socket_and_logs_are_readable() {
    let server = MariaDbServer::start().await.unwrap();

    let user = server.mariadb("SELECT CURRENT_USER()").await.unwrap();
    let error = server.mariadb("SELECT * FROM no_such_table").await.unwrap_err();
    let general_log = server.general_log().unwrap();

    assert!(user.trim().ends_with("@localhost"), "{user}");
    assert!(error.to_string().contains("no_such_table"), "{error}");
    assert!(general_log.contains("SELECT CURRENT_USER()"), "{general_log}");
    assert!(
        !general_log.contains(server.admin().1),
        "the admin password must not reach the general log"
    );
    assert!(server.error_log().unwrap().contains("ready for connections"));
}

#[tokio::test]
async fn tls_server_refuses_plaintext_and_accepts_a_verified_connection() {
    let server = MariaDbServer::start_with(MariaDbOptions::new().tls(true))
        .await
        .unwrap();
    let (user, password) = server.admin();
    let ca = format!("--ssl-ca={}", server.ca_cert_path().unwrap().display());

    let plaintext = query_over_tcp(&server, user, password, &["--skip-ssl"], "SELECT 1").await;
    let verified = query_over_tcp(
        &server,
        user,
        password,
        &["--ssl", &ca, "--ssl-verify-server-cert"],
        "SHOW STATUS LIKE 'Ssl_version'",
    )
    .await;

    assert!(!plaintext.status.success(), "a login without TLS must be refused");
    let (verified_stdout, verified_stderr) = text(&verified);
    assert!(verified.status.success(), "{verified_stderr}");
    assert!(verified_stdout.contains("TLSv1."), "{verified_stdout}");
}

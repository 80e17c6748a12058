//! The throwaway PostgreSQL server enforces passwords (and TLS when asked) over TCP.

use std::process::Output;

use rotor_testkit::{PostgresOptions, PostgresServer, TestCa};

use super::support::{output, text};

/// Runs `SELECT 1` with the server's own `psql` over TCP, as `user` with `password`, plus extra conninfo.
async fn select_one_over_tcp(server: &PostgresServer, user: &str, password: &str, extra: &str) -> Output {
    let conninfo = format!(
        "host={} port={} user={user} dbname=postgres connect_timeout=10 {extra}",
        server.host(),
        server.port()
    );
    output(
        tokio::process::Command::new(server.bin_dir().join("psql"))
            .args(["-X", "-A", "-t", "-c", "SELECT 1", &conninfo])
            .env("PGPASSWORD", password)
            .env_remove("PGSSLMODE"),
    )
    .await
}

#[tokio::test]
async fn tcp_login_is_refused_with_a_wrong_password_and_accepted_with_the_right_one() {
    let server = PostgresServer::start().await.unwrap();
    let (user, password) = server.superuser();

    let wrong = select_one_over_tcp(&server, user, "not-the-password", "").await;
    let right = select_one_over_tcp(&server, user, password, "").await;

    let (_, wrong_stderr) = text(&wrong);
    assert!(!wrong.status.success());
    assert!(
        wrong_stderr.contains("password authentication failed"),
        "{wrong_stderr}"
    );
    let (right_stdout, right_stderr) = text(&right);
    assert!(right.status.success(), "{right_stderr}");
    assert_eq!(right_stdout.trim(), "1");
    let log = server.log().unwrap();
    assert!(
        log.contains("password authentication failed for user \"postgres\""),
        "{log}"
    );
    assert!(log.contains("connection authorized: user=postgres"), "{log}");
    assert!(
        !log.contains(password),
        "the superuser password must not reach the server log"
    );
    assert!(server.ca_cert_path().is_none());
}

#[tokio::test]
async fn roles_created_through_the_socket_log_in_over_tcp_with_their_password() {
    let server = PostgresServer::start().await.unwrap();

    server
        .psql("CREATE ROLE app LOGIN PASSWORD 'app-password-1'")
        .await
        .unwrap();
    let stored = server
        .psql("SELECT rolpassword FROM pg_authid WHERE rolname = 'app'")
        .await
        .unwrap();
    let login = select_one_over_tcp(&server, "app", "app-password-1", "").await;

    assert!(stored.starts_with("SCRAM-SHA-256$"), "{stored}");
    assert!(login.status.success(), "{}", text(&login).1);
    assert!(server.log().unwrap().contains("statement: CREATE ROLE app"));
}

#[tokio::test]
async fn psql_reports_the_failing_statement() {
    let server = PostgresServer::start().await.unwrap();

    let error = server.psql("SELECT * FROM no_such_table").await.unwrap_err();

    assert!(error.to_string().contains("no_such_table"), "{error}");
}

#[tokio::test]
async fn concurrent_servers_have_their_own_port_and_password() {
    let (first, second) = tokio::join!(PostgresServer::start(), PostgresServer::start());
    let (first, second) = (first.unwrap(), second.unwrap());

    let crossed = select_one_over_tcp(&second, "postgres", first.superuser().1, "").await;

    assert_ne!(first.port(), second.port());
    assert_ne!(first.superuser().1, second.superuser().1);
    assert!(!crossed.status.success());
}

#[tokio::test]
async fn tls_server_refuses_plaintext_and_accepts_a_verified_connection() {
    let server = PostgresServer::start_with(PostgresOptions::new().tls(true))
        .await
        .unwrap();
    let (user, password) = server.superuser();
    let ca = server.ca_cert_path().unwrap().display().to_string();
    let other_ca_dir = server.work_dir().join("other-ca");
    std::fs::create_dir(&other_ca_dir).unwrap();
    let other_ca = TestCa::generate().unwrap().write_to(&other_ca_dir).unwrap();

    let plaintext = select_one_over_tcp(&server, user, password, "sslmode=disable").await;
    let verified = select_one_over_tcp(
        &server,
        user,
        password,
        &format!("sslmode=verify-full sslrootcert={ca}"),
    )
    .await;
    let by_name = output(
        tokio::process::Command::new(server.bin_dir().join("psql"))
            .args([
                "-X",
                "-A",
                "-t",
                "-c",
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            ])
            .arg(format!(
                "host=localhost port={} user={user} dbname=postgres sslmode=verify-full sslrootcert={ca}",
                server.port()
            ))
            .env("PGPASSWORD", password),
    )
    .await;
    let wrong_ca = select_one_over_tcp(
        &server,
        user,
        password,
        &format!("sslmode=verify-full sslrootcert={}", other_ca.ca_cert().display()),
    )
    .await;

    let (_, plaintext_stderr) = text(&plaintext);
    assert!(!plaintext.status.success());
    assert!(plaintext_stderr.contains("no encryption"), "{plaintext_stderr}");
    assert!(verified.status.success(), "{}", text(&verified).1);
    assert_eq!(text(&by_name).0.trim(), "t", "{}", text(&by_name).1);
    let (_, wrong_ca_stderr) = text(&wrong_ca);
    assert!(!wrong_ca.status.success());
    assert!(
        wrong_ca_stderr.contains("certificate verify failed"),
        "{wrong_ca_stderr}"
    );
    assert!(server.ca_cert_pem().unwrap().contains("BEGIN CERTIFICATE"));
}

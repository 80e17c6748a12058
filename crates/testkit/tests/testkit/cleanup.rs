//! No server outlives its test: not after a drop, not after a panic, not after the test process is killed.

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};

use rotor_testkit::{MariaDbServer, MotoServer, PostgresServer};

use super::support::{gone_within_ten_seconds, is_running};

/// Set in the helper process that [`a_killed_test_process_leaves_no_server_behind`] starts and kills.
const HELPER_ENV: &str = "ROTOR_TESTKIT_ORPHAN_HELPER";
const HELPER_TEST: &str = "testkit::cleanup::helper_starts_servers_and_waits_to_be_killed";

#[tokio::test]
async fn dropping_a_postgres_server_stops_it_and_removes_its_directory() {
    let server = PostgresServer::start().await.unwrap();
    let (pid, dir) = (server.pid(), server.work_dir().to_path_buf());
    assert!(is_running(pid) && dir.exists());

    drop(server);

    assert!(!is_running(pid));
    assert!(!dir.exists());
}

#[tokio::test]
async fn dropping_a_mariadb_server_stops_it_and_removes_its_directory() {
    let server = MariaDbServer::start().await.unwrap();
    let (pid, dir) = (server.pid(), server.work_dir().to_path_buf());
    assert!(is_running(pid) && dir.exists());

    drop(server);

    assert!(!is_running(pid));
    assert!(!dir.exists());
}

#[tokio::test]
async fn stopping_a_moto_server_stops_it_and_removes_its_directory() {
    let server = MotoServer::start().await.unwrap();
    let (pid, dir) = (server.pid(), server.work_dir().to_path_buf());
    assert!(is_running(pid) && dir.exists());

    server.stop().unwrap();

    assert!(!is_running(pid));
    assert!(!dir.exists());
}

#[tokio::test]
async fn a_panicking_test_still_stops_its_server() {
    let (sender, receiver) = tokio::sync::oneshot::channel();

    let outcome = tokio::spawn(async move {
        let server = PostgresServer::start().await.unwrap();
        sender
            .send((server.pid(), server.work_dir().to_path_buf()))
            .unwrap();
        panic!("the test fails while the server runs");
    })
    .await;
    let (pid, dir) = receiver.await.unwrap();

    assert!(outcome.unwrap_err().is_panic());
    assert!(!is_running(pid));
    assert!(!dir.exists());
}

#[tokio::test]
async fn a_killed_test_process_leaves_no_server_behind() {
    let mut helper = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            HELPER_TEST,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER_ENV, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(helper.stdout.take().unwrap()).lines();
    let mut servers: Vec<(u32, PathBuf)> = Vec::new();
    let read_servers = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            // libtest may print `test <name> ... ` on the same line, before the helper's first line.
            if line.ends_with("READY") {
                return;
            }
            if let Some((pid, dir)) = line
                .split_once("SERVER ")
                .and_then(|(_, rest)| rest.split_once(' '))
            {
                servers.push((pid.parse().unwrap(), PathBuf::from(dir)));
            }
        }
        panic!("the helper ended before its servers were ready");
    };
    tokio::time::timeout(Duration::from_secs(180), read_servers)
        .await
        .unwrap();
    assert_eq!(servers.len(), 3);
    assert!(servers.iter().all(|(pid, dir)| is_running(*pid) && dir.exists()));

    helper.start_kill().unwrap();
    helper.wait().await.unwrap();

    for (pid, dir) in servers {
        assert!(
            gone_within_ten_seconds(pid, &dir).await,
            "server {pid} or {} survived",
            dir.display()
        );
    }
}

#[tokio::test]
#[ignore = "a helper: a_killed_test_process_leaves_no_server_behind runs it in a process it then kills"]
async fn helper_starts_servers_and_waits_to_be_killed() {
    if std::env::var_os(HELPER_ENV).is_none() {
        return;
    }
    let postgres = PostgresServer::start().await.unwrap();
    let mariadb = MariaDbServer::start().await.unwrap();
    let moto = MotoServer::start().await.unwrap();
    for (pid, dir) in [
        (postgres.pid(), postgres.work_dir()),
        (mariadb.pid(), mariadb.work_dir()),
        (moto.pid(), moto.work_dir()),
    ] {
        println!("SERVER {pid} {}", dir.display());
    }
    println!("READY");
    tokio::time::sleep(Duration::from_secs(600)).await;
}

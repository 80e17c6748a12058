//! `Debug` of every testkit type that holds a credential, a key or a store of secrets prints
//! none of them.

use rotor_core::{InMemorySecretsManager, SecretValue};
use rotor_testkit::faults::FaultySecretsManager;
use rotor_testkit::{MariaDbOptions, MariaDbServer, PostgresOptions, PostgresServer, TestCa};

/// The base64 body of a PEM block: the lines between the armour.
fn pem_body(pem: &str) -> Vec<&str> {
    pem.lines()
        .filter(|line| !line.starts_with("-----") && !line.is_empty())
        .collect()
}

#[track_caller]
fn assert_absent(what: &str, debug: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!debug.contains(secret), "{what} prints a secret: {debug}");
    }
}

#[test]
fn the_test_ca_prints_no_private_key() {
    let ca = TestCa::generate().unwrap();
    let debug = format!("{ca:?} {ca:#?}");
    assert_absent("TestCa", &debug, &pem_body(ca.server_key_pem()));
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");
}

#[test]
fn the_faulty_store_prints_no_stored_value() {
    let model = InMemorySecretsManager::new();
    model
        .create_secret("s", &SecretValue::new(r#"{"password":"faulty-store-Pw-8c21"}"#))
        .unwrap();
    let store = FaultySecretsManager::new(model);
    assert_absent(
        "FaultySecretsManager",
        &format!("{store:?} {store:#?}"),
        &["faulty-store-Pw-8c21"],
    );
}

#[tokio::test]
async fn a_postgres_server_prints_neither_its_superuser_password_nor_its_key() {
    let server = PostgresServer::start_with(PostgresOptions::new().tls(true))
        .await
        .unwrap();
    let (_, password) = server.superuser();
    let debug = format!("{server:?} {server:#?}");
    assert!(debug.contains("PostgresServer"), "{debug}");
    assert_absent("PostgresServer", &debug, &[password, "PRIVATE KEY"]);
}

#[tokio::test]
async fn a_mariadb_server_prints_neither_its_admin_password_nor_its_key() {
    let server = MariaDbServer::start_with(MariaDbOptions::new().tls(true))
        .await
        .unwrap();
    let (_, password) = server.admin();
    let debug = format!("{server:?} {server:#?}");
    assert!(debug.contains("MariaDbServer"), "{debug}");
    assert_absent("MariaDbServer", &debug, &[password, "PRIVATE KEY"]);
}

//! The PostgreSQL rotation functions' release binaries against a throwaway PostgreSQL and moto.

use std::sync::Arc;
use std::time::Duration;

use rotor_testkit::{MotoServer, PostgresOptions, PostgresServer};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};

use super::bootstrap::Launch;
use super::lambdas::{POSTGRES_MULTI_USER, POSTGRES_SINGLE_USER};
use super::rotation::{Function, Secrets, field, new_token, rotate_cold};
use super::runtime_api::Outcome;

/// A throwaway PostgreSQL server; dropping it stops the server, also on panic.
pub struct Db {
    pub server: PostgresServer,
}

impl Db {
    pub async fn start(tls: bool) -> Self {
        let server = PostgresServer::start_with(PostgresOptions::new().tls(tls))
            .await
            .unwrap();
        Self { server }
    }

    /// Runs SQL as the superuser over the private socket, out of the server log.
    pub async fn psql(&self, sql: &str) {
        self.server.admin_sql(sql).await.unwrap();
    }

    /// A secret in AWS's format for `user`, with an unknown key. With TLS, it trusts the server's CA
    /// by file path, as a secret in a Lambda would point at a bundled file.
    pub fn secret(&self, user: &str, password: &str) -> Value {
        let mut secret = self.server.secret_json(user, password);
        secret["dbInstanceIdentifier"] = json!("throwaway");
        if let Some(ca) = self.server.ca_cert_path() {
            secret["ssl_ca"] = json!(ca.display().to_string());
        }
        secret
    }

    /// Whether `user` logs in over TCP with `password` (verified TLS when the server has it).
    pub async fn logs_in(&self, user: &str, password: &str) -> bool {
        let mut config = tokio_postgres::Config::new();
        config
            .host(self.server.host())
            .port(self.server.port())
            .user(user)
            .password(password)
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(10));
        let client = match self.server.ca_cert_pem() {
            Some(ca) => {
                config.ssl_mode(tokio_postgres::config::SslMode::Require);
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_config(ca));
                config.connect(tls).await.map(|(client, connection)| {
                    tokio::spawn(connection);
                    client
                })
            }
            None => config
                .connect(tokio_postgres::NoTls)
                .await
                .map(|(client, connection)| {
                    tokio::spawn(connection);
                    client
                }),
        };
        match client {
            Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
            Err(_) => false,
        }
    }
}

/// A rustls client that trusts only `ca_pem` and verifies the host name.
fn client_config(ca_pem: &str) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(certificate.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

fn credentials(secret: &Value) -> (String, String) {
    (
        field(secret, "username").to_owned(),
        field(secret, "password").to_owned(),
    )
}

#[tokio::test]
async fn postgres_single_user_rotates_over_verified_tls_and_only_the_new_password_logs_in() {
    let (db, moto) = (Db::start(true).await, MotoServer::start().await.unwrap());
    db.psql("CREATE ROLE app LOGIN PASSWORD 'initial-Password-1';")
        .await;
    let secrets = Secrets::new(&moto).await;
    let arn = secrets
        .create("app-db", &db.secret("app", "initial-Password-1"))
        .await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let mut function = Function::start(&Launch::new(POSTGRES_SINGLE_USER), &moto).await;

    function.rotate(&arn, &token).await;

    secrets.assert_rotated(&arn, &former, &token).await;
    let current = secrets.value(&arn, "AWSCURRENT").await;
    let (user, password) = credentials(&current);
    assert_eq!(user, "app");
    assert!(db.logs_in("app", &password).await, "the new AWSCURRENT logs in");
    assert!(
        !db.logs_in("app", "initial-Password-1").await,
        "the old password is gone"
    );
    assert_eq!(
        credentials(&secrets.value(&arn, "AWSPREVIOUS").await),
        ("app".to_owned(), "initial-Password-1".to_owned())
    );
    assert_eq!(
        current["dbInstanceIdentifier"], "throwaway",
        "unknown fields survive"
    );
}

#[tokio::test]
async fn postgres_multi_user_with_a_fresh_process_per_step_switches_to_the_clone() {
    let (db, moto) = (Db::start(false).await, MotoServer::start().await.unwrap());
    db.psql(
        "CREATE ROLE master LOGIN CREATEROLE PASSWORD 'master-Password-1';
         CREATE ROLE app LOGIN PASSWORD 'initial-Password-1';
         CREATE TABLE app_data (x int); ALTER TABLE app_data OWNER TO app;",
    )
    .await;
    let secrets = Secrets::new(&moto).await;
    let master_arn = secrets
        .create("db-master", &db.secret("master", "master-Password-1"))
        .await;
    let mut secret = db.secret("app", "initial-Password-1");
    secret["masterarn"] = json!(master_arn);
    let arn = secrets.create("app-db", &secret).await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();

    rotate_cold(&Launch::new(POSTGRES_MULTI_USER), &moto, &arn, &token).await;

    secrets.assert_rotated(&arn, &former, &token).await;
    let (user, password) = credentials(&secrets.value(&arn, "AWSCURRENT").await);
    assert_eq!(user, "app_clone");
    assert!(
        db.logs_in("app_clone", &password).await,
        "the new AWSCURRENT logs in"
    );
    assert!(
        db.logs_in("app", "initial-Password-1").await,
        "AWSPREVIOUS's user keeps working until the next rotation"
    );
}

/// The endpoint moto reports for a DB instance named `shop` in us-east-1.
const RDS_ENDPOINT: &str = "shop.aaaaaaaaaa.us-east-1.rds.amazonaws.com";

#[tokio::test]
async fn the_deployed_function_completes_an_rds_managed_master_through_aws_endpoint_url_rds() {
    let moto = MotoServer::start().await.unwrap();
    let master = moto
        .create_rds_managed_master("shop", "postgres_admin", "master-Password-1", 5432)
        .await
        .unwrap()
        .secret_arn;
    let store = Secrets::new(&moto).await;
    let child = json!({
        "engine": "postgres", "host": RDS_ENDPOINT, "port": 5432, "username": "app",
        "password": "app-Password-1", "masterarn": master,
    });
    // With the variable, RDS answers and the rotation gets as far as the database, whose name
    // does not resolve here; without it, the SDK asks the real RDS endpoint, which is not
    // reachable from this machine.
    for (with_endpoint, expected) in [(true, "PostgresUnreachable"), (false, "RdsUnreachable")] {
        let arn = store.create(&format!("rds-child-{}", new_token()), &child).await;
        let token = new_token();
        moto.start_rotation(&arn, &token).await.unwrap();
        let mut launch = Launch::new(POSTGRES_MULTI_USER);
        if with_endpoint {
            launch.env.push(("AWS_ENDPOINT_URL_RDS".into(), moto.endpoint()));
        }
        let mut function = Function::start(&launch, &moto).await;
        let created = function.step("createSecret", &arn, &token).await;
        assert!(matches!(created, Outcome::Response(_)), "{created:?}");

        let error = function.step("setSecret", &arn, &token).await.unwrap_error();

        assert_eq!(error.error_type, expected, "{error:?}");
    }
}

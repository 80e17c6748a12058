//! The MySQL/MariaDB rotation functions' release binaries against a throwaway MariaDB and moto.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, SslOpts};
use rotor_testkit::{MariaDbOptions, MariaDbServer, MotoServer};
use serde_json::{Value, json};

use super::bootstrap::Launch;
use super::lambdas::{MYSQL_MULTI_USER, MYSQL_SINGLE_USER};
use super::rotation::{Function, Secrets, field, new_token, rotate_cold};

/// A throwaway MariaDB; dropping it stops the server, also on panic.
pub struct Db {
    pub server: MariaDbServer,
}

impl Db {
    pub async fn start(tls: bool) -> Self {
        let server = MariaDbServer::start_with(MariaDbOptions::new().tls(tls))
            .await
            .unwrap();
        Self { server }
    }

    /// Runs SQL as root over the private socket, out of the general log.
    pub async fn sql(&self, sql: &str) {
        self.server.admin_sql(sql).await.unwrap();
    }

    /// A secret in AWS's format for `user`, with an unknown key. With TLS, it trusts the server's CA
    /// by file path (`ssl_ca`), as a secret in a Lambda would point at a bundled file.
    pub fn secret(&self, user: &str, password: &str) -> Value {
        let mut secret = self.server.secret_json(user, password);
        secret["proxy"] = json!({"keep": true});
        if let Some(ca) = self.server.ca_cert_path() {
            secret["ssl_ca"] = json!(ca.display().to_string());
        }
        secret
    }

    /// The admin account's secret, for `masterarn`.
    pub fn master_secret(&self) -> Value {
        let (user, password) = self.server.admin();
        self.secret(user, password)
    }

    /// Whether `user` logs in over TCP with `password` (verifying TLS when the server has it).
    pub async fn logs_in(&self, user: &str, password: &str) -> bool {
        let mut options = OptsBuilder::default()
            .ip_or_hostname(self.server.host())
            .tcp_port(self.server.port())
            .user(Some(user))
            .pass(Some(password))
            .prefer_socket(false);
        if let Some(ca) = self.server.ca_cert_pem() {
            let root = ca.as_bytes().to_vec();
            options = options.ssl_opts(SslOpts::default().with_root_certs(vec![root.into()]));
        }
        match Conn::new(options).await {
            Ok(mut conn) => {
                let works = conn.query_drop("SELECT 1").await.is_ok();
                let _ = conn.disconnect().await;
                works
            }
            Err(_) => false,
        }
    }
}

/// A secret's username and password.
fn credentials(secret: &Value) -> (String, String) {
    (
        field(secret, "username").to_owned(),
        field(secret, "password").to_owned(),
    )
}

#[tokio::test]
async fn mysql_single_user_rotates_over_verified_tls_and_only_the_new_password_logs_in() {
    let (db, moto) = (Db::start(true).await, MotoServer::start().await.unwrap());
    db.sql("CREATE USER 'app'@'%' IDENTIFIED BY 'initial-pw' REQUIRE SSL;")
        .await;
    let secrets = Secrets::new(&moto).await;
    let arn = secrets.create("app-db", &db.secret("app", "initial-pw")).await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let mut function = Function::start(&Launch::new(MYSQL_SINGLE_USER), &moto).await;

    function.rotate(&arn, &token).await;

    secrets.assert_rotated(&arn, &former, &token).await;
    let current = secrets.value(&arn, "AWSCURRENT").await;
    let (user, password) = credentials(&current);
    assert_eq!(user, "app");
    assert!(db.logs_in("app", &password).await, "the new AWSCURRENT logs in");
    assert!(!db.logs_in("app", "initial-pw").await, "the old password is gone");
    assert_eq!(
        credentials(&secrets.value(&arn, "AWSPREVIOUS").await),
        ("app".to_owned(), "initial-pw".to_owned())
    );
    assert_eq!(current["proxy"], json!({"keep": true}), "unknown fields survive");
}

#[tokio::test]
async fn mysql_multi_user_with_a_fresh_process_per_step_switches_to_the_clone() {
    let (db, moto) = (Db::start(false).await, MotoServer::start().await.unwrap());
    db.sql(
        "CREATE DATABASE shop; CREATE TABLE shop.t (a INT);
         CREATE USER 'app'@'%' IDENTIFIED BY 'initial-pw';
         GRANT SELECT, INSERT ON shop.* TO 'app'@'%';",
    )
    .await;
    let secrets = Secrets::new(&moto).await;
    let master_arn = secrets.create("db-master", &db.master_secret()).await;
    let mut secret = db.secret("app", "initial-pw");
    secret["masterarn"] = json!(master_arn);
    let arn = secrets.create("app-db", &secret).await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();

    rotate_cold(&Launch::new(MYSQL_MULTI_USER), &moto, &arn, &token).await;

    secrets.assert_rotated(&arn, &former, &token).await;
    let (user, password) = credentials(&secrets.value(&arn, "AWSCURRENT").await);
    assert_eq!(user, "app_clone");
    assert!(
        db.logs_in("app_clone", &password).await,
        "the new AWSCURRENT logs in"
    );
    assert!(
        db.logs_in("app", "initial-pw").await,
        "AWSPREVIOUS's user keeps working until the next rotation"
    );
    assert_eq!(
        secrets.value(&arn, "AWSCURRENT").await["masterarn"],
        json!(master_arn)
    );
}

#[tokio::test]
async fn a_password_wrong_everywhere_fails_set_secret_with_a_typed_error_and_changes_nothing() {
    let (db, moto) = (Db::start(false).await, MotoServer::start().await.unwrap());
    db.sql("CREATE USER 'app'@'%' IDENTIFIED BY 'the-real-pw';").await;
    let secrets = Secrets::new(&moto).await;
    let arn = secrets.create("app-db", &db.secret("app", "wrong-pw")).await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let mut function = Function::start(&Launch::new(MYSQL_SINGLE_USER), &moto).await;
    let created = function.step("createSecret", &arn, &token).await;
    function.assert_succeeded("createSecret", &created);

    let error = function.step("setSecret", &arn, &token).await.unwrap_error();

    assert_eq!(error.error_type, "NoWorkingCredential", "{error:?}");
    assert!(
        error.header.is_some(),
        "Lambda-Runtime-Function-Error-Type is sent"
    );
    let pending = secrets.value(&arn, "AWSPENDING").await;
    assert!(
        !error.error_message.contains(field(&pending, "password")),
        "the message holds no password"
    );
    assert_eq!(secrets.version_with(&arn, "AWSCURRENT").await, former);
    assert!(db.logs_in("app", "the-real-pw").await, "nothing changed");
}

//! A PostgreSQL server standing in for Redshift on the wire: md5 passwords and md5
//! authentication, a `dev` database (Redshift's default), and secrets in AWS's Redshift format.

use rotor_core::fault::FaultPoints;
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    InMemorySecretsManager, RotationSettings, Rotator, SecretJson, SecretValue, SecretsManager, StagingLabel,
};
use rotor_postgres::sql::{quote_identifier, quote_literal};
use rotor_redshift::REDSHIFT_EXCLUDE_CHARACTERS;
use rotor_testkit::{PostgresOptions, PostgresServer};
use serde_json::{Value, json};

/// A throwaway server (stopped and deleted on drop, also on panic).
pub struct Db {
    pub server: PostgresServer,
}

impl Db {
    /// Plain TCP, md5 passwords, md5 logins, and a `dev` database.
    pub async fn start() -> Self {
        Self::start_with(PostgresOptions::new()).await
    }

    /// As [`start`](Self::start), with `options` (e.g. TLS under a Redshift endpoint's name).
    pub async fn start_with(options: PostgresOptions) -> Self {
        let server = PostgresServer::start_with(options.md5_passwords(true))
            .await
            .expect("start PostgreSQL");
        let db = Self { server };
        db.sql("CREATE DATABASE dev;").await;
        db
    }

    /// Runs SQL as the superuser over the private socket, out of the server log.
    pub async fn sql(&self, sql: &str) -> String {
        self.server.admin_sql(sql).await.expect("admin SQL")
    }

    /// Runs SQL as the superuser in the `dev` database.
    pub async fn dev_sql(&self, sql: &str) -> String {
        self.sql(&format!("\\connect dev\n{sql}")).await
    }

    /// Creates a user with a password, as Redshift's `CREATE USER` does.
    pub async fn create_user(&self, name: &str, password: &str) {
        self.sql(&format!(
            "CREATE USER {} PASSWORD {};",
            quote_identifier(name),
            quote_literal(password)
        ))
        .await;
    }

    /// The stored password of `user`.
    pub async fn stored_password(&self, user: &str) -> String {
        self.sql(&format!(
            "SELECT rolpassword FROM pg_authid WHERE rolname = {};",
            quote_literal(user)
        ))
        .await
        .trim()
        .to_owned()
    }

    /// The secret of `username` in AWS's Redshift format: `engine` `redshift`, no `dbname` (so
    /// the default `dev` applies), the port as a string and an unknown key.
    pub fn secret(&self, username: &str, password: &str) -> Value {
        let mut secret = self.server.secret_json(username, password);
        secret["engine"] = json!("redshift");
        secret["port"] = json!(self.server.port().to_string());
        secret["clusterIdentifier"] = json!("throwaway");
        if let Some(object) = secret.as_object_mut() {
            object.remove("dbname");
        }
        secret
    }

    /// The superuser's secret (Redshift's admin user is a superuser), stored in `model`.
    pub fn store_master(&self, model: &InMemorySecretsManager) -> String {
        let (user, password) = self.server.superuser();
        model
            .create_secret(
                "master",
                &SecretValue::new(self.secret(user, password).to_string()),
            )
            .unwrap()
    }

    /// Connects to `dev` as `user` over TCP, as an application would.
    pub async fn connect(
        &self,
        user: &str,
        password: &str,
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, connection) = tokio_postgres::Config::new()
            .host(self.server.host())
            .port(self.server.port())
            .user(user)
            .password(password)
            .dbname("dev")
            .connect(tokio_postgres::NoTls)
            .await?;
        tokio::spawn(connection);
        Ok(client)
    }

    /// Whether `user` logs in with `password`.
    pub async fn can_login(&self, user: &str, password: &str) -> bool {
        self.connect(user, password).await.is_ok()
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        self.server.log().expect("read server log")
    }

    /// Failed password logins in the server log so far.
    pub fn failed_logins(&self) -> usize {
        self.log().matches("password authentication failed").count()
    }

    /// Checks that `user` stores the md5 hash of `password` and that the plaintext never reached
    /// the server log (for a server whose TCP logins need TLS, which [`connect`](Self::connect)
    /// does not speak).
    pub async fn assert_md5_hash(&self, user: &str, password: &str) {
        assert_eq!(
            self.stored_password(user).await,
            postgres_protocol_md5(user, password),
            "{user} stores the md5 hash of its new password"
        );
        assert!(
            !self.log().contains(password),
            "the plaintext reached the server log"
        );
    }

    /// Checks that `user` stores the md5 hash of `password`, logs in with it over md5, and that
    /// the plaintext never reached the server log.
    pub async fn assert_md5_login(&self, user: &str, password: &str) {
        self.assert_md5_hash(user, password).await;
        assert!(self.can_login(user, password).await, "{user} logs in");
        assert!(
            self.log().contains(&format!(
                "connection authenticated: identity=\"{user}\" method=md5"
            )),
            "{user} logged in with md5"
        );
        assert!(
            !self.log().contains(password),
            "the plaintext reached the server log"
        );
    }
}

/// `md5` + hex(md5(password ‖ user)), computed independently of the crate under test.
fn postgres_protocol_md5(user: &str, password: &str) -> String {
    let output = std::process::Command::new("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(format!("{password}{user}").as_bytes())?;
            child.wait_with_output()
        })
        .expect("md5sum");
    let text = String::from_utf8(output.stdout).expect("md5sum prints hex");
    format!("md5{}", text.split_whitespace().next().expect("a hash"))
}

/// The test kit's harness with Redshift's defaults.
pub struct Harness<R>(pub rotor_testkit::harness::Harness<R>);

impl<R> std::ops::Deref for Harness<R> {
    type Target = rotor_testkit::harness::Harness<R>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<R: Rotator> Harness<R> {
    /// Stores `secret` as AWSCURRENT in `model` and builds the rotator with recording fault
    /// points.
    pub fn with_store(
        model: InMemorySecretsManager,
        secret: &Value,
        rotator: impl FnOnce(FaultPoints) -> R,
    ) -> Self {
        Self(rotor_testkit::harness::Harness::new(
            model,
            &secret.to_string(),
            RotationSettings::new(REDSHIFT_EXCLUDE_CHARACTERS),
            rotator,
        ))
    }

    /// The value carrying `label`, if any.
    pub async fn value(&self, label: StagingLabel) -> Option<SecretJson> {
        let version = self
            .model()
            .get_secret_value(&self.arn, VersionSelector::stage(label))
            .await
            .ok()?;
        Some(SecretJson::parse(&version.value).unwrap())
    }

    /// `(username, password)` of the version carrying `label`.
    pub async fn credential(&self, label: StagingLabel) -> (String, String) {
        let value = self
            .value(label)
            .await
            .unwrap_or_else(|| panic!("no {label:?} value"));
        let field = |name: &str| value.get(name).and_then(Value::as_str).unwrap().to_owned();
        (field("username"), field("password"))
    }
}

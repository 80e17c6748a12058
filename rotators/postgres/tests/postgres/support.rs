//! A throwaway server with helpers to create roles and check logins, and a harness that plays
//! Secrets Manager around a rotator.

use std::time::Duration;

use rotor_core::fault::FaultPoints;
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    Classify, InMemorySecretsManager, RotationError, RotationSettings, Rotator, SecretJson, SecretValue,
    SecretsManager, StagingLabel,
};
use rotor_postgres::POSTGRES_EXCLUDE_CHARACTERS;
use rotor_postgres::sql::{quote_identifier, quote_literal};
use rotor_testkit::{PostgresOptions, PostgresServer};
use serde_json::{Value, json};

/// A throwaway PostgreSQL server (stopped and deleted on drop, also on panic).
pub struct Db {
    pub server: PostgresServer,
}

impl Db {
    /// Plain TCP with SCRAM passwords; secrets must say `"ssl": false`.
    pub async fn start() -> Self {
        Self {
            server: PostgresServer::start().await.expect("start PostgreSQL"),
        }
    }

    /// TCP only with TLS, certificate from a CA made for this server.
    pub async fn start_tls() -> Self {
        Self::start_with(PostgresOptions::new().tls(true)).await
    }

    /// A server started with `options`.
    pub async fn start_with(options: PostgresOptions) -> Self {
        Self {
            server: PostgresServer::start_with(options)
                .await
                .expect("start PostgreSQL"),
        }
    }

    /// A master as RDS makes it: not a superuser, but `CREATEROLE CREATEDB` and a member (with
    /// ADMIN OPTION) of `rds_superuser`, a NOLOGIN role holding the predefined roles an RDS
    /// master can hand out. What it may do to other roles follows the server's version rules.
    pub async fn create_rds_master(&self, name: &str, password: &str) {
        self.psql(&format!(
            "CREATE ROLE rds_superuser NOLOGIN;
             GRANT pg_read_all_data, pg_write_all_data, pg_monitor, pg_signal_backend
                TO rds_superuser WITH ADMIN OPTION;
             CREATE ROLE {name} LOGIN CREATEROLE CREATEDB PASSWORD {password};
             GRANT rds_superuser TO {name} WITH ADMIN OPTION;",
            name = quote_identifier(name),
            password = quote_literal(password),
        ))
        .await;
    }

    /// Runs `sql` as the superuser with `SET ROLE creator`, so objects and roles it creates are
    /// `creator`'s, as if `creator` had logged in (PostgreSQL 16 and later give a `CREATEROLE`
    /// creator ADMIN OPTION on the roles it creates).
    pub async fn psql_as(&self, creator: &str, sql: &str) -> String {
        self.psql(&format!(
            "SET ROLE {};\n{sql}\nRESET ROLE;",
            quote_identifier(creator)
        ))
        .await
    }

    /// Creates a login role as `creator` (see [`Db::psql_as`]).
    pub async fn create_user_as(&self, creator: &str, name: &str, password: &str, options: &str) {
        self.psql_as(
            creator,
            &format!(
                "CREATE ROLE {} LOGIN {options} PASSWORD {};",
                quote_identifier(name),
                quote_literal(password)
            ),
        )
        .await;
    }

    /// The stored password of `role` (`pg_authid.rolpassword`): a verifier, never a plaintext.
    pub async fn stored_password(&self, role: &str) -> String {
        self.psql(&format!(
            "SELECT rolpassword FROM pg_authid WHERE rolname = {};",
            quote_literal(role)
        ))
        .await
        .trim()
        .to_owned()
    }

    /// Whether a role named `role` exists.
    pub async fn role_exists(&self, role: &str) -> bool {
        self.psql(&format!(
            "SELECT count(*) FROM pg_roles WHERE rolname = {};",
            quote_literal(role)
        ))
        .await
        .trim()
            == "1"
    }

    fn tls(&self) -> bool {
        self.server.ca_cert_pem().is_some()
    }

    /// Runs SQL as the superuser over the private socket, out of the server log, so set-up
    /// passwords do not pollute the checks on it.
    pub async fn psql(&self, sql: &str) -> String {
        self.server.admin_sql(sql).await.expect("psql")
    }

    /// Creates a login role with a password (plus extra `CREATE ROLE` options).
    pub async fn create_user(&self, name: &str, password: &str, options: &str) {
        self.psql(&format!(
            "CREATE ROLE {} LOGIN {options} PASSWORD {};",
            quote_identifier(name),
            quote_literal(password)
        ))
        .await;
    }

    /// The secret JSON for a user on this server (the launcher's, in AWS's format, trusting this
    /// server's CA or saying `"ssl": false`), with the port as a string and an unknown key, both of
    /// which rotations must keep as they are.
    pub fn secret(&self, username: &str, password: &str) -> Value {
        let mut secret = self.server.secret_json(username, password);
        secret["port"] = json!(self.server.port().to_string());
        secret["dbInstanceIdentifier"] = json!("throwaway");
        secret
    }

    /// Connects as `user` over TCP exactly as an application would.
    pub async fn connect(
        &self,
        user: &str,
        password: &str,
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let mut config = tokio_postgres::Config::new();
        config
            .host(self.server.host())
            .port(self.server.port())
            .user(user)
            .password(password)
            .dbname("postgres")
            .application_name("rotor-test")
            .connect_timeout(Duration::from_secs(10));
        if self.tls() {
            let mode = rotor_core::database::TlsMode::VerifyFull {
                ca_bundle: self.server.ca_cert_pem().map(str::to_owned),
            };
            let tls = rotor_postgres::client_config(&mode).unwrap().unwrap();
            config.ssl_mode(tokio_postgres::config::SslMode::Require);
            let (client, connection) = config
                .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
                .await?;
            tokio::spawn(connection);
            Ok(client)
        } else {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            Ok(client)
        }
    }

    /// Whether `user` can log in with `password`.
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

    /// Sessions the rotator opened (application_name=rotor-postgres) so far.
    pub fn rotor_sessions(&self) -> usize {
        self.log()
            .lines()
            .filter(|line| {
                line.contains("connection authorized") && line.contains("application_name=rotor-postgres")
            })
            .count()
    }
}

/// The test kit's harness with PostgreSQL's defaults, plus the checks these tests share.
pub struct Harness<R>(rotor_testkit::harness::Harness<R>);

impl<R> std::ops::Deref for Harness<R> {
    type Target = rotor_testkit::harness::Harness<R>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<R: Rotator> Harness<R> {
    /// Stores `secret` as AWSCURRENT (plus any `others`, e.g. a master secret, created first by
    /// the caller through [`Harness::model`]) and builds the rotator with recording fault points.
    pub fn new(secret: &Value, rotator: impl FnOnce(FaultPoints) -> R) -> Self {
        Self::with_store(InMemorySecretsManager::new(), secret, rotator)
    }

    /// Like [`Harness::new`] with a store that already holds other secrets.
    pub fn with_store(
        model: InMemorySecretsManager,
        secret: &Value,
        rotator: impl FnOnce(FaultPoints) -> R,
    ) -> Self {
        let settings = RotationSettings::new(POSTGRES_EXCLUDE_CHARACTERS);
        Self(rotor_testkit::harness::Harness::new(
            model,
            &secret.to_string(),
            settings,
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
        (field(&value, "username"), field(&value, "password"))
    }
}

/// A string field of a secret.
pub fn field(value: &SecretJson, name: &str) -> String {
    value
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_owned()
}

/// The stable error name of a failed step.
pub fn error_type(error: &RotationError) -> &'static str {
    Classify::error_type(error)
}

/// A master secret for `db` stored in `model`; returns its ARN.
pub fn store_master(model: &InMemorySecretsManager, db: &Db, user: &str, password: &str) -> String {
    model
        .create_secret("master", &SecretValue::new(db.secret(user, password).to_string()))
        .unwrap()
}

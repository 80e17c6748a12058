//! A throwaway MariaDB per test, and a harness that plays Secrets Manager around a rotator.

use std::collections::BTreeMap;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, SslOpts};
use rotor_core::fault::FaultPoints;
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    InMemorySecretsManager, RotationError, RotationSettings, Rotator, SecretJson, SecretsManager,
    StagingLabel, Step,
};
use rotor_mysql::{Account, Quoting};
use rotor_testkit::{MariaDbOptions, MariaDbServer};
use serde_json::{Value, json};

/// A throwaway MariaDB server; dropping it stops the server and deletes its files, also on panic.
pub struct Db {
    pub server: MariaDbServer,
}

/// The server's failed-login counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    pub aborted_connects: u64,
    pub access_denied_errors: u64,
}

impl Db {
    pub async fn start() -> Self {
        Self {
            server: MariaDbServer::start().await.unwrap(),
        }
    }

    pub async fn start_tls() -> Self {
        Self {
            server: MariaDbServer::start_with(MariaDbOptions::new().tls(true))
                .await
                .unwrap(),
        }
    }

    /// Runs SQL as root through the private socket, out of the general log (so set-up passwords do not
    /// pollute the checks on it).
    pub async fn sql(&self, sql: &str) -> String {
        self.server.admin_sql(sql).await.unwrap()
    }

    /// Creates `'user'@'host'` with `password`.
    pub async fn create_user(&self, user: &str, host: &str, password: &str) {
        let quoting = Quoting::DEFAULT;
        self.sql(&format!(
            "CREATE USER {} IDENTIFIED BY {}",
            quoting.account(&Account::new(user, host)),
            quoting.literal(password)
        ))
        .await;
    }

    /// A single-user secret for `user` (the launcher's, in AWS's format) with the port as a string and a
    /// custom key that rotations must keep. Plaintext (`"ssl": false`) even on a TLS server: the TLS tests
    /// add the CA themselves, or prove that plaintext is refused.
    pub fn secret(&self, user: &str, password: &str) -> Value {
        let mut secret = plaintext(self.server.secret_json(user, password));
        secret["port"] = json!(self.server.port().to_string());
        secret["proxy"] = json!({"keep": [1, true]});
        secret
    }

    /// The admin account's secret, for `masterarn`; plaintext like [`Db::secret`].
    pub fn master_secret(&self) -> Value {
        plaintext(self.server.admin_secret_json())
    }

    fn options(&self, user: &str, password: &str) -> OptsBuilder {
        let options = OptsBuilder::default()
            .ip_or_hostname(self.server.host())
            .tcp_port(self.server.port())
            .user(Some(user))
            .pass(Some(password))
            .prefer_socket(false);
        match self.server.ca_cert_pem() {
            Some(ca) => {
                options.ssl_opts(SslOpts::default().with_root_certs(vec![ca.as_bytes().to_vec().into()]))
            }
            None => options,
        }
    }

    /// Whether `user` logs in over TCP with `password` (a refused attempt counts as a failed login).
    pub async fn logs_in(&self, user: &str, password: &str) -> bool {
        match Conn::new(self.options(user, password)).await {
            Ok(mut conn) => {
                let works = conn.query_drop("SELECT 1").await.is_ok();
                let _ = conn.disconnect().await;
                works
            }
            Err(_) => false,
        }
    }

    pub async fn login_failures(&self) -> LoginFailures {
        let status = self
            .sql("SHOW GLOBAL STATUS WHERE Variable_name IN ('Aborted_connects', 'Access_denied_errors')")
            .await;
        let values: BTreeMap<&str, u64> = status
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(name, value)| (name, value.trim().parse().unwrap()))
            .collect();
        LoginFailures {
            aborted_connects: values["Aborted_connects"],
            access_denied_errors: values["Access_denied_errors"],
        }
    }

    /// `authentication_string` of an account.
    pub async fn stored_hash(&self, account: &Account) -> String {
        let quoting = Quoting::DEFAULT;
        self.sql(&format!(
            "SELECT authentication_string FROM mysql.user WHERE User = {} AND Host = {}",
            quoting.literal(&account.user),
            quoting.literal(&account.host)
        ))
        .await
        .trim()
        .to_owned()
    }

    /// `SHOW GRANTS` of an account with the account itself replaced by `<grantee>` and the password hash
    /// removed, sorted, so that two accounts' grants can be compared.
    pub async fn grants(&self, account: &Account) -> Vec<String> {
        let quoting = Quoting::DEFAULT;
        // As SHOW GRANTS prints the account, then as the client's batch mode escapes backslashes.
        let printed = format!(
            "`{}`@`{}`",
            account.user.replace('`', "``"),
            account.host.replace('`', "``")
        )
        .replace('\\', "\\\\");
        let rows = self
            .sql(&format!("SHOW GRANTS FOR {}", quoting.account(account)))
            .await;
        let mut grants: Vec<String> = rows
            .lines()
            .map(|row| {
                let row = row.replace(&printed, "<grantee>");
                const IDENTIFIED: &str = " IDENTIFIED BY PASSWORD '";
                match row.find(IDENTIFIED) {
                    Some(start) => {
                        let hash = start + IDENTIFIED.len();
                        let end = hash + row[hash..].find('\'').unwrap() + 1;
                        format!("{}{}", &row[..start], &row[end..])
                    }
                    None => row,
                }
            })
            .collect();
        grants.sort();
        grants
    }

    /// Whether the account exists.
    pub async fn exists(&self, account: &Account) -> bool {
        let quoting = Quoting::DEFAULT;
        let found = self
            .sql(&format!(
                "SELECT COUNT(*) FROM mysql.user WHERE User = {} AND Host = {}",
                quoting.literal(&account.user),
                quoting.literal(&account.host)
            ))
            .await;
        found.trim() == "1"
    }
}

/// `secret` without TLS: no CA, `"ssl": false`.
fn plaintext(mut secret: Value) -> Value {
    if let Some(fields) = secret.as_object_mut() {
        fields.remove("ssl_ca");
        fields.insert("ssl".into(), json!(false));
    }
    secret
}

/// The test kit's harness, plus the checks these tests share.
pub struct Harness<R>(rotor_testkit::harness::Harness<R>);

impl<R> std::ops::Deref for Harness<R> {
    type Target = rotor_testkit::harness::Harness<R>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<R: Rotator> Harness<R> {
    /// `secret` builds the rotated secret's JSON; it may first create other secrets (a master) in the model.
    pub fn new(
        rotator: impl FnOnce(FaultPoints) -> R,
        secret: impl FnOnce(&InMemorySecretsManager) -> Value,
    ) -> Self {
        Self::with_settings(
            rotator,
            secret,
            RotationSettings::new(rotor_core::password::DEFAULT_EXCLUDE_CHARACTERS),
        )
    }

    pub fn with_settings(
        rotator: impl FnOnce(FaultPoints) -> R,
        secret: impl FnOnce(&InMemorySecretsManager) -> Value,
        settings: RotationSettings,
    ) -> Self {
        let model = InMemorySecretsManager::new();
        let value = secret(&model).to_string();
        Self(rotor_testkit::harness::Harness::new(
            model, &value, settings, rotator,
        ))
    }

    /// A whole rotation that must succeed; returns its token.
    pub async fn rotate(&self) -> String {
        let token = self.start_rotation();
        for step in Step::ALL {
            self.step(&token, step)
                .await
                .unwrap_or_else(|error| panic!("{step}: {error}"));
        }
        token
    }

    pub async fn value(&self, selector: VersionSelector<'_>) -> SecretJson {
        let version = self.model().get_secret_value(&self.arn, selector).await.unwrap();
        SecretJson::parse(&version.value).unwrap()
    }

    pub async fn current(&self) -> SecretJson {
        self.value(VersionSelector::stage(StagingLabel::Current)).await
    }

    pub async fn previous(&self) -> SecretJson {
        self.value(VersionSelector::stage(StagingLabel::Previous)).await
    }

    /// Stores `value` as a new version with no staging label, as a cancelled rotation leaves it: put as
    /// AWSPENDING, then CancelRotateSecret.
    pub async fn put_unlabelled_version(&self, value: &Value) {
        let token = self.put_version(value, &[StagingLabel::Pending]).await;
        assert_eq!(self.cancel_rotation(), Some(token));
    }

    /// Stores `value` as a new version with `stages`, as a writer of the secret could with PutSecretValue.
    /// Returns its version id. No stages means AWSCURRENT, as in Secrets Manager.
    pub async fn put_version(&self, value: &Value, stages: &[StagingLabel]) -> String {
        let token = uuid_like();
        let put = rotor_core::secrets_manager::PutSecretValue {
            secret_id: &self.arn,
            client_request_token: &token,
            value: &rotor_core::SecretValue::new(value.to_string()),
            stages,
            rotation_token: None,
        };
        self.model().put_secret_value(put).await.unwrap();
        token
    }

    /// Whether the pending version of `token` has a value.
    pub async fn has_pending_value(&self, token: &str) -> bool {
        self.model()
            .get_secret_value(&self.arn, VersionSelector::pending(token))
            .await
            .is_ok()
    }
}

/// A fresh client request token.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "00000000-0000-4000-8000-{:012}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// How many times the rotator opened a connection, from the fault points' operation log.
pub fn connects<R>(harness: &Harness<R>) -> usize {
    harness
        .faults
        .log()
        .iter()
        .filter(|label| label.starts_with("connect:"))
        .count()
}

/// A secret's username and password.
pub fn credentials(secret: &SecretJson) -> (String, String) {
    let password = secret.password().unwrap();
    (
        secret.required_str("username").unwrap().to_owned(),
        secrecy::ExposeSecret::expose_secret(&password).to_owned(),
    )
}

/// The stable type name of a step's error.
pub fn error_type(error: &RotationError) -> &'static str {
    rotor_core::Classify::error_type(error)
}

//! The Redshift rotation functions' release binaries, behind the Runtime API, against moto and
//! PostgreSQL as Redshift's wire stand-in: md5 password storage and md5 logins over verified TLS.

use rotor_testkit::{MotoServer, PostgresOptions, PostgresServer};
use serde_json::{Value, json};

use super::bootstrap::Launch;
use super::lambdas::{REDSHIFT_MULTI_USER, REDSHIFT_SINGLE_USER};
use super::rotation::{Function, Secrets, field, leaked, new_token, rotate_cold};

/// A throwaway server standing in for Redshift; dropping it stops the server, also on panic.
pub struct Db {
    pub server: PostgresServer,
}

impl Db {
    /// TLS required (verified by the functions), md5 passwords and md5 logins, and Redshift's
    /// default database `dev`.
    pub async fn start() -> Self {
        let options = PostgresOptions::new().tls(true).md5_passwords(true);
        let server = PostgresServer::start_with(options).await.unwrap();
        let db = Self { server };
        db.sql("CREATE DATABASE dev;").await;
        db
    }

    /// Runs SQL as the superuser over the private socket, out of the server log.
    pub async fn sql(&self, sql: &str) -> String {
        self.server.admin_sql(sql).await.unwrap()
    }

    /// A secret in AWS's Redshift format: `engine` `redshift`, no `dbname` (the default `dev`
    /// applies), the CA the function must verify against, and an unknown key.
    pub fn secret(&self, user: &str, password: &str) -> Value {
        let mut secret = self.server.secret_json(user, password);
        secret["engine"] = json!("redshift");
        secret["clusterIdentifier"] = json!("throwaway");
        if let Some(object) = secret.as_object_mut() {
            object.remove("dbname");
        }
        secret
    }

    /// The superuser's secret: Redshift's admin user is a superuser.
    pub fn master_secret(&self) -> Value {
        let (user, password) = self.server.superuser();
        self.secret(user, password)
    }

    /// The stored password of `user`.
    pub async fn stored_password(&self, user: &str) -> String {
        let query = format!("SELECT rolpassword FROM pg_authid WHERE rolname = '{user}';");
        self.sql(&query).await.trim().to_owned()
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        self.server.log().unwrap()
    }
}

/// Checks what every Redshift rotation must leave: `user` stores an md5 hash (never the
/// plaintext), logged in over md5 during the rotation, and the plaintext is in no server or
/// function log.
async fn assert_md5_only(db: &Db, user: &str, password: &str, function_output: &str) {
    let stored = db.stored_password(user).await;
    assert!(
        stored.starts_with("md5") && stored.len() == 35,
        "{user} stores an md5 hash"
    );
    assert!(
        db.log().contains(&format!(
            "connection authenticated: identity=\"{user}\" method=md5"
        )),
        "{user} logged in with md5"
    );
    assert_eq!(leaked(&db.log(), &[password]), Vec::<&str>::new(), "server log");
    assert_eq!(
        leaked(function_output, &[password]),
        Vec::<&str>::new(),
        "function log"
    );
}

#[tokio::test]
async fn redshift_single_user_sets_an_md5_hash_over_verified_tls() {
    let (db, moto) = (Db::start().await, MotoServer::start().await.unwrap());
    db.sql("CREATE USER solo PASSWORD 'initial-Password-1';").await;
    let secrets = Secrets::new(&moto).await;
    let arn = secrets
        .create("solo-redshift", &db.secret("solo", "initial-Password-1"))
        .await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();
    let mut function = Function::start(&Launch::new(REDSHIFT_SINGLE_USER), &moto).await;

    function.rotate(&arn, &token).await;

    secrets.assert_rotated(&arn, &former, &token).await;
    let current = secrets.value(&arn, "AWSCURRENT").await;
    assert_eq!(field(&current, "username"), "solo");
    assert_eq!(
        field(&current, "clusterIdentifier"),
        "throwaway",
        "unknown keys survive"
    );
    assert!(current.get("dbname").is_none(), "no key is added");
    let password = field(&current, "password").to_owned();
    assert_md5_only(&db, "solo", &password, &function.output()).await;
}

#[tokio::test]
async fn redshift_multi_user_with_a_fresh_process_per_step_creates_the_clone_as_an_md5_user() {
    let (db, moto) = (Db::start().await, MotoServer::start().await.unwrap());
    db.sql(
        "CREATE USER app PASSWORD 'initial-Password-1';
         CREATE GROUP readers;
         ALTER GROUP readers ADD USER app;",
    )
    .await;
    let secrets = Secrets::new(&moto).await;
    let master = secrets.create("redshift-admin", &db.master_secret()).await;
    let mut secret = db.secret("app", "initial-Password-1");
    secret["masterarn"] = json!(master);
    let arn = secrets.create("app-redshift", &secret).await;
    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    moto.start_rotation(&arn, &token).await.unwrap();

    rotate_cold(&Launch::new(REDSHIFT_MULTI_USER), &moto, &arn, &token).await;

    secrets.assert_rotated(&arn, &former, &token).await;
    let current = secrets.value(&arn, "AWSCURRENT").await;
    assert_eq!(field(&current, "username"), "app_clone");
    let password = field(&current, "password").to_owned();
    assert_md5_only(&db, "app_clone", &password, "").await;
    let groups = db
        .sql("SELECT g.groname FROM pg_group g JOIN pg_user u ON u.usesysid = ANY (g.grolist) WHERE u.usename = 'app_clone';")
        .await;
    assert_eq!(groups.trim(), "readers", "the clone joins the original's group");
    assert_eq!(
        field(&secrets.value(&arn, "AWSPREVIOUS").await, "username"),
        "app",
        "AWSPREVIOUS keeps the original user"
    );
}

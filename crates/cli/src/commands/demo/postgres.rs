//! `rotor demo` (PostgreSQL): a throwaway PostgreSQL server from the installed binaries, TLS
//! required and verified, and both rotation strategies. The proof logs in with `psql` exactly as
//! an application would: the new password works, the old one does not (single user), and with
//! alternating users the previous user keeps working until its own password is rotated away.

use std::process::Stdio;

use rotor_core::password::PasswordPolicy;
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{SecretJson, SecretsManager, StagingLabel};
use rotor_launch::{PostgresOptions, PostgresServer};
use rotor_postgres::POSTGRES_EXCLUDE_CHARACTERS;
use rotor_postgres::sql::{quote_identifier, quote_literal};
use secrecy::ExposeSecret;
use serde_json::json;

use super::{Demo, Proof};
use crate::output::{Exit, Output};
use crate::rotators::RotatorName;
use crate::timeline;

/// The throwaway server and how to log in to it.
struct Database {
    server: PostgresServer,
}

impl Database {
    /// Creates a login role, with SQL that stays out of the server log.
    async fn create_role(&self, name: &str, password: &str) -> Result<(), String> {
        let sql = format!(
            "CREATE ROLE {} LOGIN PASSWORD {};",
            quote_identifier(name),
            quote_literal(password)
        );
        self.server
            .admin_sql(&sql)
            .await
            .map(drop)
            .map_err(|error| error.to_string())
    }

    /// Whether `psql` logs in over TCP with TLS verified against the server's CA, as an
    /// application would. The password travels in `PGPASSWORD`, never on the command line.
    async fn can_login(&self, user: &str, password: &str) -> bool {
        let Some(ca) = self.server.ca_cert_path() else {
            return false;
        };
        let mut command = tokio::process::Command::new(self.server.bin_dir().join("psql"));
        for (name, _) in std::env::vars_os().filter(|(name, _)| name.to_string_lossy().starts_with("PG")) {
            command.env_remove(name);
        }
        let target = format!(
            "host={} port={} user={user} dbname=postgres sslmode=verify-full sslrootcert={} connect_timeout=10",
            self.server.host(),
            self.server.port(),
            ca.display()
        );
        command
            .args(["-X", "-w", "-q", "-c", "SELECT 1", &target])
            .env("PGPASSWORD", password)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command.status().await.is_ok_and(|status| status.success())
    }
}

fn new_password() -> Result<String, String> {
    PasswordPolicy::new(POSTGRES_EXCLUDE_CHARACTERS)
        .generate()
        .map(|password| password.expose_secret().to_owned())
        .map_err(|error| error.to_string())
}

/// `username` and `password` of the version carrying `label`.
async fn credential(demo: &Demo, arn: &str, label: StagingLabel) -> Option<(String, String)> {
    let version = demo
        .store()
        .get_secret_value(arn, VersionSelector::stage(label))
        .await
        .ok()?;
    let json = SecretJson::parse(&version.value).ok()?;
    let username = json.required_str("username").ok()?.to_owned();
    let password = json.password().ok()?.expose_secret().to_owned();
    Some((username, password))
}

/// Runs the demo.
pub(super) async fn run(output: Output) -> Exit {
    output.line(
        "rotor demo: rotate PostgreSQL passwords with both strategies, on this machine, with no AWS account",
    );
    let server = match PostgresServer::start_with(PostgresOptions::new().tls(true)).await {
        Ok(server) => server,
        Err(error) => {
            output.note(format!("error: cannot start a throwaway PostgreSQL: {error}"));
            output.note(
                "  what to do: install PostgreSQL (scripts/setup does), or point ROTOR_PG_BIN at the directory \
                 holding initdb and postgres; `rotor demo hmac-key` needs no database",
            );
            return Exit::Failure;
        }
    };
    let db = Database { server };
    output.line(format!(
        "postgres: a throwaway server on {}:{}, TLS required (verify-full against its own CA)",
        db.server.host(),
        db.server.port()
    ));
    let Some(demo) = Demo::start(output) else {
        return Exit::Failure;
    };
    let single = single_user(&db, &demo, output).await;
    let alternating = alternating_users(&db, &demo, output).await;
    let exit = match (single, alternating) {
        (Ok(Exit::Success), Ok(Exit::Success)) => Exit::Success,
        (Err(problem), _) | (_, Err(problem)) => {
            output.note(format!("error: {problem}"));
            Exit::Failure
        }
        _ => Exit::Failure,
    };
    if exit == Exit::Success {
        output.line("\nboth strategies rotated, and every claim above was checked by logging in with psql");
    }
    exit
}

async fn single_user(db: &Database, demo: &Demo, output: Output) -> Result<Exit, String> {
    const NAME: &str = "demo/postgres-single-user";
    output.line("\n1. single user: demo_app changes its own password");
    let initial = new_password()?;
    db.create_role("demo_app", &initial).await?;
    let arn = demo
        .seed(
            NAME,
            db.server.secret_json("demo_app", &initial).to_string(),
            output,
        )
        .ok_or("seeding failed")?;
    let before = demo.labels(&arn).await;
    if demo
        .rotate(&arn, NAME, RotatorName::PostgresSingleUser, output)
        .await
        .is_none()
    {
        return Ok(Exit::Failure);
    }
    let after = demo.labels(&arn).await;
    let current = credential(demo, &arn, StagingLabel::Current)
        .await
        .ok_or("no AWSCURRENT")?;
    let previous = credential(demo, &arn, StagingLabel::Previous)
        .await
        .ok_or("no AWSPREVIOUS")?;
    output.line(format!("labels before: {}", timeline::labels(&before)));
    output.line(format!("labels after:  {}", timeline::labels(&after)));
    let mut proof = Proof::new(output);
    proof.check(
        db.can_login("demo_app", &current.1).await,
        "the new password (AWSCURRENT) logs in as demo_app",
    );
    proof.check(
        previous.1 == initial && !db.can_login("demo_app", &previous.1).await,
        "the old password (AWSPREVIOUS) no longer logs in",
    );
    Ok(proof.exit())
}

async fn alternating_users(db: &Database, demo: &Demo, output: Output) -> Result<Exit, String> {
    const NAME: &str = "demo/postgres-multi-user";
    output.line("\n2. alternating users: the master sets the password of demo_multi or demo_multi_clone");
    let initial = new_password()?;
    db.create_role("demo_multi", &initial).await?;
    let master = db.server.superuser_secret_json().to_string();
    let master_arn = demo
        .seed("demo/postgres-master", master, output)
        .ok_or("seeding failed")?;
    let mut child = db.server.secret_json("demo_multi", &initial);
    child["masterarn"] = json!(master_arn);
    let arn = demo
        .seed(NAME, child.to_string(), output)
        .ok_or("seeding failed")?;

    if demo
        .rotate(&arn, NAME, RotatorName::PostgresMultiUser, output)
        .await
        .is_none()
    {
        return Ok(Exit::Failure);
    }
    let first = credential(demo, &arn, StagingLabel::Current)
        .await
        .ok_or("no AWSCURRENT")?;
    let mut proof = Proof::new(output);
    proof.check(
        first.0 == "demo_multi_clone" && db.can_login(&first.0, &first.1).await,
        "AWSCURRENT is demo_multi_clone, and its new password logs in",
    );
    proof.check(
        db.can_login("demo_multi", &initial).await,
        "AWSPREVIOUS (demo_multi) still logs in: clients holding it keep working during the switch",
    );

    if demo
        .rotate(&arn, NAME, RotatorName::PostgresMultiUser, output)
        .await
        .is_none()
    {
        return Ok(Exit::Failure);
    }
    let second = credential(demo, &arn, StagingLabel::Current)
        .await
        .ok_or("no AWSCURRENT")?;
    let mut again = Proof::new(output);
    again.check(
        second.0 == "demo_multi" && db.can_login("demo_multi", &second.1).await,
        "AWSCURRENT is demo_multi again, with a new password that logs in",
    );
    again.check(
        !db.can_login("demo_multi", &initial).await,
        "demo_multi's first password no longer logs in",
    );
    again.check(
        db.can_login(&first.0, &first.1).await,
        "AWSPREVIOUS (demo_multi_clone) still logs in",
    );
    Ok(if proof.proven && again.proven {
        Exit::Success
    } else {
        Exit::Failure
    })
}

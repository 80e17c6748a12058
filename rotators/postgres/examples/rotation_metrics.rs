//! Measures one rotation of each strategy against a throwaway local PostgreSQL (TLS required,
//! SCRAM passwords): Secrets Manager calls per step, database sessions, failed logins and wall
//! time.
//!
//! ```text
//! cargo run --release -p rotor-postgres --example rotation_metrics [rounds]
//! ```
//!
//! Secrets Manager is core's in-memory model (no network), so the wall time is the database's
//! and the rotator's share. Passwords are generated locally (rotor's default).
#![expect(clippy::print_stdout, reason = "an example that reports numbers")]

use std::time::{Duration, Instant};

use rotor_core::{
    Deadline, InMemorySecretsManager, RotationEvent, RotationFunction, RotationSettings, Rotator,
    SecretValue, Step,
};
use rotor_postgres::POSTGRES_EXCLUDE_CHARACTERS;
use rotor_postgres::sql::{quote_identifier, quote_literal};
use rotor_postgres::{AlternatingUsers, SingleUser};
use rotor_testkit::faults::FaultySecretsManager;
use rotor_testkit::{PostgresOptions, PostgresServer};
use serde_json::json;

type Error = Box<dyn std::error::Error>;

/// What one rotation cost.
#[derive(Debug, Default)]
struct Measurement {
    calls: Vec<(Step, Vec<String>)>,
    sessions: usize,
    failed_logins: usize,
    wall: Duration,
}

fn secret(server: &PostgresServer, user: &str, password: &str) -> serde_json::Value {
    json!({
        "engine": "postgres",
        "host": server.host(),
        "port": server.port(),
        "username": user,
        "password": password,
        "dbname": "postgres",
        "ssl_ca": server.ca_cert_pem(),
    })
}

fn count(log: &str, needle: &str) -> usize {
    log.lines()
        .filter(|line| {
            line.contains(needle) && (needle != "connection authorized" || line.contains("rotor-postgres"))
        })
        .count()
}

async fn rotate<R: Rotator>(
    server: &PostgresServer,
    function: &RotationFunction<R, FaultySecretsManager<InMemorySecretsManager>>,
    arn: &str,
) -> Result<Measurement, Error> {
    let log_before = server.log()?;
    let token = function.secrets().inner().start_rotation(arn)?;
    let mut measurement = Measurement::default();
    let started = Instant::now();
    for step in Step::ALL {
        function.secrets().faults().clear_log();
        let event = RotationEvent::new(arn, &token, step);
        function
            .invoke(&event, Deadline::after(Duration::from_secs(30)))
            .await?;
        measurement.calls.push((step, function.secrets().faults().log()));
    }
    measurement.wall = started.elapsed();
    // The server writes its log asynchronously; give the last lines a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = server.log()?;
    let new = log.get(log_before.len()..).unwrap_or_default();
    measurement.sessions = count(new, "connection authorized");
    measurement.failed_logins = count(new, "password authentication failed");
    Ok(measurement)
}

fn report(name: &str, measurements: &[Measurement]) {
    let Some(first) = measurements.first() else { return };
    println!("## {name}");
    let mut total = 0;
    for (step, calls) in &first.calls {
        total += calls.len();
        let step = step.to_string();
        println!(
            "  {step:<13} {:>2} Secrets Manager calls: {}",
            calls.len(),
            calls.join(", ")
        );
    }
    println!("  total         {total:>2} Secrets Manager calls");
    let sessions: Vec<usize> = measurements.iter().map(|m| m.sessions).collect();
    let failed: Vec<usize> = measurements.iter().map(|m| m.failed_logins).collect();
    let mut walls: Vec<Duration> = measurements.iter().map(|m| m.wall).collect();
    walls.sort();
    println!("  DB sessions per rotation: {sessions:?}");
    println!("  failed logins per rotation: {failed:?}");
    println!(
        "  wall time per rotation: median {:.1} ms, min {:.1} ms, max {:.1} ms ({} rotations)",
        walls[walls.len() / 2].as_secs_f64() * 1e3,
        walls[0].as_secs_f64() * 1e3,
        walls[walls.len() - 1].as_secs_f64() * 1e3,
        walls.len()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let rounds: usize = std::env::args().nth(1).map_or(Ok(5), |arg| arg.parse())?;
    let server = PostgresServer::start_with(PostgresOptions::new().tls(true)).await?;
    let setup = |user: &str, options: &str, password: &str| {
        format!(
            "SET log_statement = 'none'; CREATE ROLE {} LOGIN {options} PASSWORD {};",
            quote_identifier(user),
            quote_literal(password)
        )
    };
    server.psql(&setup("single", "", "initial-single-1")).await?;
    server.psql(&setup("multi", "", "initial-multi-1")).await?;
    server
        .psql(&setup("master", "CREATEROLE", "master-password-1"))
        .await?;
    let settings = RotationSettings::new(POSTGRES_EXCLUDE_CHARACTERS);

    let store = InMemorySecretsManager::new();
    let arn = store.create_secret(
        "single",
        &SecretValue::new(secret(&server, "single", "initial-single-1").to_string()),
    )?;
    let single = RotationFunction::new(
        SingleUser::new(),
        FaultySecretsManager::new(store),
        settings.clone(),
    );
    let mut measurements = Vec::new();
    for _ in 0..rounds {
        measurements.push(rotate(&server, &single, &arn).await?);
    }
    report("single user (postgres-single-user)", &measurements);

    let store = InMemorySecretsManager::new();
    let master = store.create_secret(
        "master",
        &SecretValue::new(secret(&server, "master", "master-password-1").to_string()),
    )?;
    let mut child = secret(&server, "multi", "initial-multi-1");
    child["masterarn"] = json!(master);
    let arn = store.create_secret("multi", &SecretValue::new(child.to_string()))?;
    let multi = RotationFunction::new(
        AlternatingUsers::new(),
        FaultySecretsManager::new(store),
        settings,
    );
    let mut measurements = Vec::new();
    for _ in 0..rounds.max(2) {
        measurements.push(rotate(&server, &multi, &arn).await?);
    }
    report(
        "alternating users (postgres-multi-user; the first rotation creates the clone)",
        &measurements,
    );
    server.stop()?;
    Ok(())
}

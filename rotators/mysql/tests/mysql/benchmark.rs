//! What one MariaDB rotation costs, per step: Secrets Manager calls, database sessions, failed logins and
//! wall time. Not part of the normal run; reproduce with
//!
//! ```text
//! cargo test --release -p rotor-mysql --test tests -- --ignored --nocapture benchmark
//! ```
#![expect(clippy::print_stderr, reason = "the benchmark reports its numbers")]

use std::time::{Duration, Instant};

use rotor_core::{Rotator, SecretValue, Step};
use rotor_mysql::{AlternatingUsers, SingleUser};
use serde_json::{Value, json};

use super::alternating::{grant_fixture, original_named};
use super::support::{Db, Harness};

const ROTATIONS: usize = 7;

#[derive(Debug, Default, Clone)]
struct StepCost {
    calls: Vec<String>,
    sessions: usize,
    statements: usize,
    failed_logins: u64,
    times: Vec<Duration>,
}

async fn measure<R: Rotator>(db: &Db, harness: &Harness<R>) -> Vec<StepCost> {
    let mut costs = vec![StepCost::default(); Step::ALL.len()];
    for _ in 0..ROTATIONS {
        let token = harness.start_rotation();
        for (index, step) in Step::ALL.into_iter().enumerate() {
            harness.store().faults().clear_log();
            harness.faults.clear_log();
            let before = db.login_failures().await;
            let started = Instant::now();
            harness.step(&token, step).await.unwrap();
            let elapsed = started.elapsed();
            let after = db.login_failures().await;
            let log = harness.faults.log();
            let cost = &mut costs[index];
            cost.calls = harness.store().faults().log();
            cost.sessions = log.iter().filter(|label| label.starts_with("connect:")).count();
            cost.statements = log.len() - cost.sessions;
            cost.failed_logins += after.aborted_connects - before.aborted_connects;
            cost.times.push(elapsed);
        }
    }
    costs
}

fn report(title: &str, costs: &[StepCost]) {
    eprintln!("\n{title} ({ROTATIONS} rotations; counts are per rotation, time is the median)");
    eprintln!(
        "{:<13} {:>8} {:>9} {:>11} {:>14} {:>10}  calls",
        "step", "SM calls", "sessions", "statements", "failed logins", "median ms"
    );
    for (step, cost) in Step::ALL.into_iter().zip(costs) {
        let mut times = cost.times.clone();
        times.sort();
        let median = times[times.len() / 2].as_secs_f64() * 1000.0;
        eprintln!(
            "{:<13} {:>8} {:>9} {:>11} {:>14} {:>10.2}  {}",
            step.to_string(),
            cost.calls.len(),
            cost.sessions,
            cost.statements,
            cost.failed_logins,
            median,
            cost.calls.join(", ")
        );
    }
}

fn verified(db: &Db, mut secret: Value) -> Value {
    let fields = secret.as_object_mut().unwrap();
    fields.remove("ssl");
    fields.insert("ssl_ca".into(), json!(db.server.ca_cert_pem().unwrap()));
    secret
}

#[tokio::test]
#[ignore = "benchmark: run explicitly with --ignored --nocapture"]
async fn benchmark_one_mariadb_rotation() {
    let db = Db::start_tls().await;
    db.create_user("app", "%", "initial-pw").await;
    let secret = verified(&db, db.secret("app", "initial-pw"));
    let single = Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| secret,
    );
    report("single user, MariaDB, verified TLS", &measure(&db, &single).await);

    grant_fixture(&db).await;
    original_named(&db, "multi").await;
    let (mut secret, master) = (
        verified(&db, db.secret("multi", "initial-pw")),
        verified(&db, db.master_secret()),
    );
    let multi = Harness::new(
        |faults| AlternatingUsers::new().with_fault_points(faults),
        move |model| {
            secret["masterarn"] = model
                .create_secret("master", &SecretValue::new(master.to_string()))
                .unwrap()
                .into();
            secret
        },
    );
    report(
        "alternating users, MariaDB, verified TLS, 4 grants + default role",
        &measure(&db, &multi).await,
    );
}

//! What one healthy rotation costs in Secrets Manager calls and database sessions, per step, on
//! the PostgreSQL stand-in: the figures BENCHMARKS.md gives for Redshift, asserted.

use rotor_core::{InMemorySecretsManager, Rotator, Step};
use rotor_redshift::{AlternatingUsers, SingleUser};
use serde_json::json;

use super::support::{Db, Harness};

const INITIAL: &str = "initial-Password-1";

/// The Secrets Manager operations this kit calls.
const SECRETS_MANAGER: [&str; 5] = [
    "DescribeSecret",
    "GetSecretValue",
    "PutSecretValue",
    "UpdateSecretVersionStage",
    "ListSecretVersionIds",
];

/// Per step of one rotation: (Secrets Manager calls, database connections).
async fn per_step<R: Rotator>(harness: &Harness<R>) -> Vec<(usize, usize)> {
    let token = harness.start_rotation();
    let mut counts = Vec::new();
    for step in Step::ALL {
        harness.faults.clear_log();
        harness.store().faults().clear_log();
        harness.step(&token, step).await.unwrap();
        let calls = harness
            .store()
            .faults()
            .log()
            .iter()
            .filter(|label| SECRETS_MANAGER.contains(&label.as_str()))
            .count();
        let log = harness.faults.log();
        let sessions = log.iter().filter(|label| label.starts_with("connect:")).count();
        counts.push((calls, sessions));
    }
    counts
}

#[tokio::test]
async fn single_user_makes_twelve_secrets_manager_calls_and_two_sessions() {
    let db = Db::start().await;
    db.create_user("solo", INITIAL).await;
    let harness = Harness::with_store(
        InMemorySecretsManager::new(),
        &db.secret("solo", INITIAL),
        |faults| SingleUser::new().with_fault_points(faults),
    );

    let counts = per_step(&harness).await;

    assert_eq!(counts, [(4, 0), (3, 1), (2, 1), (3, 0)]);
    assert_eq!(db.failed_logins(), 0);
}

#[tokio::test]
async fn alternating_users_make_thirteen_secrets_manager_calls_and_three_sessions() {
    let db = Db::start().await;
    db.create_user("app", INITIAL).await;
    let model = InMemorySecretsManager::new();
    let mut secret = db.secret("app", INITIAL);
    secret["masterarn"] = json!(db.store_master(&model));
    let harness = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });

    let counts = per_step(&harness).await;

    assert_eq!(counts, [(4, 0), (4, 2), (2, 1), (3, 0)]);
    assert_eq!(db.failed_logins(), 0);
}

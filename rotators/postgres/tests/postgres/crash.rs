//! Crash recovery: a crash at every Secrets Manager call and at every database operation, before
//! and after it takes effect, followed by Secrets Manager-style retries. AWSCURRENT must always
//! log in afterwards.

use rotor_core::{Rotator, StagingLabel};
use rotor_postgres::{AlternatingUsers, SingleUser};
use rotor_testkit::PostgresOptions;
use rotor_testkit::faults::FaultTiming;
use serde_json::json;

use super::support::{Db, Harness, store_master};
use super::versions;

const INITIAL: &str = "initial-Password-1";
const MASTER: &str = "master-Password-1";

/// Where the fault strikes.
#[derive(Debug, Clone, Copy)]
enum Target {
    SecretsManager,
    Database,
}

/// How the crashed rotation is retried.
#[derive(Debug, Clone, Copy)]
enum Retry {
    /// Secrets Manager retries the rotation with the same token.
    SameToken,
    /// The rotation is cancelled (AWSPENDING removed from its version) and a new one starts.
    NewRotation,
}

async fn single_user() -> (Db, Harness<SingleUser>) {
    let db = Db::start().await;
    db.create_user("app", INITIAL, "").await;
    let harness = Harness::new(&db.secret("app", INITIAL), |faults| {
        SingleUser::new().with_fault_points(faults)
    });
    (db, harness)
}

/// An RDS-like master that created `app` and its group, on the default server.
async fn alternating_users() -> (Db, Harness<AlternatingUsers>) {
    let db = Db::start().await;
    let harness = alternating_users_on(&db).await;
    (db, harness)
}

async fn alternating_users_on(db: &Db) -> Harness<AlternatingUsers> {
    db.create_rds_master("master", MASTER).await;
    db.create_user_as("master", "app", INITIAL, "").await;
    db.psql_as("master", "CREATE ROLE readers NOLOGIN; GRANT readers TO app;")
        .await;
    db.psql("ALTER ROLE app SET search_path = public;").await;
    let model = rotor_core::InMemorySecretsManager::new();
    let master_arn = store_master(&model, db, "master", MASTER);
    let mut secret = db.secret("app", INITIAL);
    secret["masterarn"] = json!(master_arn);
    Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    })
}

/// Arms the k-th operation of `target`; returns whether a fault is still waiting.
fn arm<R: Rotator>(harness: &Harness<R>, target: Target, k: usize, timing: FaultTiming) {
    match target {
        Target::SecretsManager => harness.store().faults().arm(k, timing),
        Target::Database => harness.faults.arm(k, timing),
    }
}

fn still_armed<R: Rotator>(harness: &Harness<R>, target: Target) -> bool {
    let armed = match target {
        Target::SecretsManager => harness.store().faults().armed(),
        Target::Database => harness.faults.armed(),
    };
    harness.store().faults().disarm();
    harness.faults.disarm();
    armed
}

/// Crashes a rotation at every operation of `target`, each timing and each retry style, and
/// checks that the retries converge to an AWSCURRENT that logs in. With `fresh_clone`, every
/// rotation starts from `app` without a clone, so the clone-creation path is crashed too.
/// Returns how many crashes were injected.
async fn crash_everywhere<R: Rotator>(
    db: &Db,
    harness: &Harness<R>,
    target: Target,
    fresh_clone: bool,
) -> usize {
    let mut crashes = 0;
    for timing in [FaultTiming::BeforeApply, FaultTiming::AfterApply] {
        for retry in [Retry::SameToken, Retry::NewRotation] {
            for k in 1.. {
                if fresh_clone {
                    if harness.credential(StagingLabel::Current).await.0 == "app_clone" {
                        harness.rotate().await.unwrap();
                    }
                    db.psql("DROP ROLE IF EXISTS app_clone;").await;
                }
                let token = harness.start_rotation();
                arm(harness, target, k, timing);
                let crashed = harness.run_steps(&token).await;
                if still_armed(harness, target) {
                    crashed.unwrap_or_else(|error| panic!("no fault fired, yet {error:?}"));
                    break;
                }
                crashes += 1;
                let context = format!("{target:?} operation {k} {timing:?}, {retry:?}");
                match retry {
                    Retry::SameToken => harness.run_steps(&token).await,
                    Retry::NewRotation => {
                        harness.cancel_rotation();
                        harness.rotate().await.map(drop)
                    }
                }
                .unwrap_or_else(|error| panic!("{context}: retry failed: {error:?}"));
                let (user, password) = harness.credential(StagingLabel::Current).await;
                assert!(
                    db.can_login(&user, &password).await,
                    "{context}: AWSCURRENT does not log in"
                );
            }
        }
    }
    crashes
}

#[tokio::test]
async fn single_user_converges_after_a_crash_at_every_secrets_manager_call() {
    let (db, harness) = single_user().await;
    let crashes = crash_everywhere(&db, &harness, Target::SecretsManager, false).await;
    assert!(crashes >= 40, "{crashes} crashes");
}

#[tokio::test]
async fn single_user_converges_after_a_crash_at_every_database_operation() {
    let (db, harness) = single_user().await;
    let crashes = crash_everywhere(&db, &harness, Target::Database, false).await;
    assert!(crashes >= 24, "{crashes} crashes");
}

#[tokio::test]
async fn alternating_users_converge_after_a_crash_at_every_secrets_manager_call() {
    let (db, harness) = alternating_users().await;
    // The Secrets Manager calls are the same whether or not the clone exists yet.
    let crashes = crash_everywhere(&db, &harness, Target::SecretsManager, false).await;
    assert!(crashes >= 40, "{crashes} crashes");
}

/// A scenario of the version matrix ([`versions`]): every statement of the clone's creation and
/// of the password changes, under the server's version rules.
pub async fn alternating_users_converge_after_a_crash_at_every_database_operation(major: u32) {
    let Some(db) = versions::start(major, PostgresOptions::new(), false).await else {
        return;
    };
    let harness = alternating_users_on(&db).await;
    let crashes = crash_everywhere(&db, &harness, Target::Database, true).await;
    assert!(crashes >= 60, "{crashes} crashes");
}

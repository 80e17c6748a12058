//! Crashes at every database operation and every Secrets Manager call, then Secrets Manager-style retries:
//! the same step again with the same token, then a new rotation. Both must converge.

use rotor_core::fault::FaultTiming;
use rotor_core::{Rotator, Step};
use rotor_mysql::SingleUser;

use super::alternating::{alternating, grant_fixture, original_named};
use super::support::{Db, Harness, credentials};

const TIMINGS: [FaultTiming; 2] = [FaultTiming::BeforeApply, FaultTiming::AfterApply];

/// Runs the four steps; a step that fails is retried once with the same token and must then succeed.
/// Returns whether any step failed.
async fn rotate_with_retries<R: Rotator>(harness: &Harness<R>, token: &str) -> bool {
    let mut failed = false;
    for step in Step::ALL {
        if harness.step(token, step).await.is_err() {
            failed = true;
            harness
                .step(token, step)
                .await
                .unwrap_or_else(|error| panic!("retrying {step}: {error}"));
        }
    }
    failed
}

/// AWSCURRENT logs in, and so does a following rotation's AWSCURRENT.
async fn assert_converged<R: Rotator>(db: &Db, harness: &Harness<R>, what: &str) {
    let (user, password) = credentials(&harness.current().await);
    assert!(
        db.logs_in(&user, &password).await,
        "{what}: AWSCURRENT must log in"
    );
    harness.rotate().await;
    let (user, password) = credentials(&harness.current().await);
    assert!(
        db.logs_in(&user, &password).await,
        "{what}: the next rotation must work too"
    );
}

fn single_user(db: &Db, user: &str) -> Harness<SingleUser> {
    let secret = db.secret(user, "initial-pw");
    Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| secret,
    )
}

#[tokio::test]
async fn single_user_converges_after_a_crash_at_every_database_operation() {
    let db = Db::start().await;
    db.create_user("probe", "%", "initial-pw").await;
    let probe = single_user(&db, "probe");
    probe.faults.clear_log();
    probe.rotate().await;
    let operations = probe.faults.log();
    assert_eq!(
        operations,
        [
            "connect:current",
            "SELECT identity",
            "SET PASSWORD",
            "connect:pending",
            "SELECT identity"
        ]
    );

    for k in 1..=operations.len() {
        for timing in TIMINGS {
            let user = format!("app_{k}_{timing:?}");
            db.create_user(&user, "%", "initial-pw").await;
            let harness = single_user(&db, &user);
            let token = harness.start_rotation();
            harness.faults.arm(k, timing);
            assert!(
                rotate_with_retries(&harness, &token).await,
                "operation {k} {timing:?} was injected"
            );
            assert!(
                !db.logs_in(&user, "initial-pw").await,
                "operation {k} {timing:?}: the old password is gone"
            );
            assert_converged(&db, &harness, &format!("operation {k} {timing:?}")).await;
        }
    }
}

#[tokio::test]
async fn single_user_converges_after_a_crash_at_every_secrets_manager_call() {
    let db = Db::start().await;
    db.create_user("probe", "%", "initial-pw").await;
    let probe = single_user(&db, "probe");
    let token = probe.start_rotation();
    probe.store().faults().clear_log();
    rotate_with_retries(&probe, &token).await;
    let calls = probe.store().faults().log().len();

    for k in 1..=calls {
        for timing in TIMINGS {
            let user = format!("sm_{k}_{timing:?}");
            db.create_user(&user, "%", "initial-pw").await;
            let harness = single_user(&db, &user);
            let token = harness.start_rotation();
            harness.store().faults().arm(k, timing);
            assert!(
                rotate_with_retries(&harness, &token).await,
                "call {k} {timing:?} was injected"
            );
            assert_converged(&db, &harness, &format!("call {k} {timing:?}")).await;
        }
    }
}

#[tokio::test]
async fn alternating_users_converge_after_a_crash_at_every_database_operation() {
    let db = Db::start().await;
    grant_fixture(&db).await;
    original_named(&db, "probe").await;
    let probe = alternating(&db, "probe", "initial-pw");
    probe.faults.clear_log();
    probe.rotate().await;
    let operations = probe.faults.log();
    assert!(operations.contains(&"CREATE USER".to_owned()) && operations.contains(&"GRANT role".to_owned()));

    for k in 1..=operations.len() {
        for timing in TIMINGS {
            let user = format!("app_{k}_{timing:?}");
            let original = original_named(&db, &user).await;
            let harness = alternating(&db, &user, "initial-pw");
            let token = harness.start_rotation();
            harness.faults.arm(k, timing);
            assert!(
                rotate_with_retries(&harness, &token).await,
                "operation {k} {timing:?} was injected"
            );
            let clone = original.with_user(&format!("{user}_clone"));
            assert_eq!(
                db.grants(&clone).await,
                db.grants(&original).await,
                "operation {k} {timing:?}"
            );
            assert!(
                db.logs_in(&user, "initial-pw").await,
                "the original keeps working meanwhile"
            );
            assert_converged(&db, &harness, &format!("operation {k} {timing:?}")).await;
        }
    }
}

#[tokio::test]
async fn alternating_users_converge_after_a_crash_at_every_secrets_manager_call() {
    let db = Db::start().await;
    grant_fixture(&db).await;
    original_named(&db, "probe").await;
    let probe = alternating(&db, "probe", "initial-pw");
    let token = probe.start_rotation();
    probe.store().faults().clear_log();
    rotate_with_retries(&probe, &token).await;
    let calls = probe.store().faults().log().len();

    for k in 1..=calls {
        for timing in TIMINGS {
            let user = format!("sm_{k}_{timing:?}");
            original_named(&db, &user).await;
            let harness = alternating(&db, &user, "initial-pw");
            let token = harness.start_rotation();
            harness.store().faults().arm(k, timing);
            assert!(
                rotate_with_retries(&harness, &token).await,
                "call {k} {timing:?} was injected"
            );
            assert_converged(&db, &harness, &format!("call {k} {timing:?}")).await;
        }
    }
}

#[tokio::test]
async fn a_clone_left_by_a_crashed_and_abandoned_rotation_is_adopted_by_the_next_one() {
    let db = Db::start().await;
    grant_fixture(&db).await;
    original_named(&db, "app").await;
    let harness = alternating(&db, "app", "initial-pw");
    let abandoned = harness.start_rotation();
    harness.step(&abandoned, Step::CreateSecret).await.unwrap();
    // Crash right after CREATE USER (the 6th operation: 2 for current, 2 for master, the read, the create).
    harness.faults.arm(6, FaultTiming::AfterApply);
    assert!(harness.step(&abandoned, Step::SetSecret).await.is_err());
    assert_eq!(
        harness.faults.log().last().map(String::as_str),
        Some("CREATE USER")
    );
    assert_eq!(harness.cancel_rotation(), Some(abandoned));

    // The clone holds the abandoned version's password: a recent version proves it is this secret's.
    harness.rotate().await;

    let (user, password) = credentials(&harness.current().await);
    assert_eq!(user, "app_clone");
    assert!(db.logs_in(&user, &password).await);
}

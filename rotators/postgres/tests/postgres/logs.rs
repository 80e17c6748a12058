//! No secret in logs: a full rotation of each kind, captured at TRACE in production's format.

use rotor_core::StagingLabel;
use rotor_core::database::Engine;
use rotor_postgres::{AlternatingUsers, SingleUser};
use rotor_testkit::capture::LogCapture;
use serde_json::json;

use super::support::{Db, Harness, store_master};

const INITIAL: &str = "initial-Password-1";
const MASTER: &str = "master-Password-1";

#[tokio::test]
async fn trace_logs_of_full_rotations_hold_no_password_and_no_verifier() {
    let db = Db::start_tls().await;
    db.create_user("app", INITIAL, "").await;
    db.create_rds_master("master", MASTER).await;
    let capture = LogCapture::start_capping(rotor_postgres::Postgres::LOG_TARGETS);

    let single = Harness::new(&db.secret("app", INITIAL), |faults| {
        SingleUser::new().with_fault_points(faults)
    });
    single.rotate().await.unwrap();
    let token = single.start_rotation();
    single.run_steps(&token).await.unwrap();
    // Repeat a step, and fail one, so the retry and error paths log too.
    single.step(&token, rotor_core::Step::SetSecret).await.unwrap();
    let (_, single_new) = single.credential(StagingLabel::Current).await;
    let (_, single_old) = single.credential(StagingLabel::Previous).await;

    let model = rotor_core::InMemorySecretsManager::new();
    let master_arn = store_master(&model, &db, "master", MASTER);
    let mut secret = db.secret("app", &single_new);
    secret["masterarn"] = json!(master_arn);
    let alternating = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });
    alternating.rotate().await.unwrap();
    let (_, clone_password) = alternating.credential(StagingLabel::Current).await;
    db.psql("ALTER ROLE app_clone PASSWORD 'x-behind-our-back';")
        .await;
    alternating.rotate().await.unwrap_err();

    let text = capture.text();
    assert!(text.contains("rotation step succeeded"), "the capture works");
    assert!(text.contains("rotation step failed"), "the error path ran");
    assert_eq!(
        capture.leaked(&[INITIAL, MASTER, &single_old, &single_new, &clone_password]),
        Vec::<&str>::new()
    );
    assert!(!text.contains("SCRAM-SHA-256$"), "no verifier in the logs");
}

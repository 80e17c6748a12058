//! Bad input: refused with a typed error before anything is created.

use rotor_core::{Classify, InMemorySecretsManager, RotationError, StagingLabel, Step};
use rotor_redshift::{AlternatingUsers, SingleUser};
use serde_json::json;

use super::support::{Db, Harness};

#[tokio::test]
async fn a_secret_of_another_engine_is_refused_at_create_secret_and_nothing_is_stored() {
    let db = Db::start().await;
    db.create_user("app", "initial-Password-1").await;
    for engine in ["postgres", "aurora-postgresql", "mysql"] {
        let mut secret = db.secret("app", "initial-Password-1");
        secret["engine"] = json!(engine);
        secret["masterarn"] = json!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:master-AbCdEf");
        let single = Harness::with_store(InMemorySecretsManager::new(), &secret, |faults| {
            SingleUser::new().with_fault_points(faults)
        });
        let alternating = Harness::with_store(InMemorySecretsManager::new(), &secret, |faults| {
            AlternatingUsers::new().with_fault_points(faults)
        });

        for (step, error, pending) in [
            {
                let (step, error) = single.rotate().await.unwrap_err();
                (step, error, single.value(StagingLabel::Pending).await)
            },
            {
                let (step, error) = alternating.rotate().await.unwrap_err();
                (step, error, alternating.value(StagingLabel::Pending).await)
            },
        ] {
            assert_eq!(step, Step::CreateSecret, "{engine}");
            assert_eq!(
                error.error_type(),
                RotationError::MALFORMED_SECRET,
                "{engine}: {error}"
            );
            assert!(error.to_string().contains("engine"), "{engine}: {error}");
            assert!(pending.is_none(), "{engine}: nothing was stored");
        }
        assert!(single.faults.log().is_empty(), "no database was contacted");
    }
}

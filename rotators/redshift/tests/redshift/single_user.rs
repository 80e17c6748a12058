//! Single user on the PostgreSQL stand-in: the user sets its own md5 hash.

use rotor_core::{InMemorySecretsManager, StagingLabel, Step};
use rotor_redshift::SingleUser;
use serde_json::json;

use super::support::{Db, Harness};

const INITIAL: &str = "initial-Password-1";

#[tokio::test]
async fn single_user_rotation_stores_an_md5_hash_and_never_the_plaintext() {
    let db = Db::start().await;
    db.create_user("solo", INITIAL).await;
    let harness = Harness::with_store(
        InMemorySecretsManager::new(),
        &db.secret("solo", INITIAL),
        |faults| SingleUser::new().with_fault_points(faults),
    );

    let token = harness.rotate().await.unwrap();

    let (user, password) = harness.credential(StagingLabel::Current).await;
    assert_eq!(user, "solo");
    assert_ne!(password, INITIAL);
    db.assert_md5_login("solo", &password).await;
    assert!(
        !db.can_login("solo", INITIAL).await,
        "the old password no longer works"
    );
    assert_eq!(
        harness.credential(StagingLabel::Previous).await,
        ("solo".to_owned(), INITIAL.to_owned())
    );
    let current = harness.value(StagingLabel::Current).await.unwrap();
    assert_eq!(current.get("engine"), Some(&json!("redshift")));
    assert_eq!(current.get("port"), Some(&json!(db.server.port().to_string())));
    assert_eq!(current.get("clusterIdentifier"), Some(&json!("throwaway")));
    assert_eq!(current.get("dbname"), None, "the default database stays implicit");
    assert!(
        db.log().contains("application_name=rotor-redshift"),
        "sessions are named rotor-redshift"
    );

    // Secrets Manager retrying a step of a finished rotation changes nothing.
    harness.step(&token, Step::SetSecret).await.unwrap();
    assert!(db.can_login("solo", &password).await);
}

//! `password_encryption = md5`: rotor stores md5 verifiers there (computed on the client, never
//! the plaintext), so clients that only speak md5 keep logging in.

use rotor_core::{InMemorySecretsManager, StagingLabel};
use rotor_postgres::{AlternatingUsers, SingleUser};
use rotor_testkit::PostgresOptions;
use serde_json::json;

use super::support::{Db, Harness, store_master};
use super::versions;

const INITIAL: &str = "initial-Password-1";
const MASTER: &str = "master-Password-1";

/// Checks that `role` stores exactly the md5 verifier of `password`, that an md5 login with it
/// works, and that the plaintext never reached the server log.
async fn assert_md5_login(db: &Db, role: &str, password: &str) {
    assert_eq!(
        db.stored_password(role).await,
        postgres_protocol::password::md5(password.as_bytes(), role),
        "{role} stores the md5 verifier of its new password"
    );
    assert!(db.can_login(role, password).await, "{role} logs in");
    assert!(
        db.log().contains(&format!(
            "connection authenticated: identity=\"{role}\" method=md5"
        )),
        "{role} logged in with md5 authentication"
    );
    assert!(
        !db.log().contains(password),
        "the plaintext reached the server log"
    );
}

/// A scenario of the version matrix ([`versions`]): a single-user rotation, then three
/// alternating-users rotations (create the clone, set the original, set the clone).
pub async fn md5_servers_keep_md5_verifiers_for_both_rotators(major: u32) {
    let options = PostgresOptions::new().md5_passwords(true);
    let Some(db) = versions::start(major, options, false).await else {
        return;
    };
    db.create_user("solo", INITIAL, "").await;
    assert!(
        db.stored_password("solo").await.starts_with("md5"),
        "the server stores md5"
    );
    let single = Harness::new(&db.secret("solo", INITIAL), |faults| {
        SingleUser::new().with_fault_points(faults)
    });

    single.rotate().await.unwrap();

    let (_, password) = single.credential(StagingLabel::Current).await;
    assert_md5_login(&db, "solo", &password).await;
    assert!(!db.can_login("solo", INITIAL).await);

    db.create_rds_master("master", MASTER).await;
    db.create_user_as("master", "app", INITIAL, "").await;
    let model = InMemorySecretsManager::new();
    let master_arn = store_master(&model, &db, "master", MASTER);
    let mut secret = db.secret("app", INITIAL);
    secret["masterarn"] = json!(master_arn);
    let alternating = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });
    for expected in ["app_clone", "app", "app_clone"] {
        alternating.rotate().await.unwrap();

        let (user, password) = alternating.credential(StagingLabel::Current).await;
        assert_eq!(user, expected);
        assert_md5_login(&db, &user, &password).await;
    }
}

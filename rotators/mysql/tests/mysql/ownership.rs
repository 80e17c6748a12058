//! Alternating users change no existing account without evidence that writing the secret cannot forge, and
//! never rotate one host row of a user that has several.

use rotor_core::{StagingLabel, Step};
use rotor_mysql::Account;

use super::alternating::{alternating, grant_fixture, original_named};
use super::support::{Db, credentials, error_type};

#[tokio::test]
async fn a_forged_awsprevious_naming_a_foreign_clone_is_refused_and_the_clone_is_untouched() {
    let db = Db::start().await;
    grant_fixture(&db).await;
    original_named(&db, "app").await;
    db.create_user("app_clone", "127.0.0.1", "someone-elses-pw").await;
    let foreign = Account::new("app_clone", "127.0.0.1");
    let (hash, grants) = (db.stored_hash(&foreign).await, db.grants(&foreign).await);
    let harness = alternating(&db, "app", "initial-pw");
    // Two PutSecretValue calls: AWSPREVIOUS now "names the clone", with a password the writer made up.
    let mut forged = db.secret("app_clone", "made-up-pw");
    forged["masterarn"] = harness.current().await.get("masterarn").unwrap().clone();
    let mut current = db.secret("app", "initial-pw");
    current["masterarn"] = forged["masterarn"].clone();
    harness.put_version(&forged, &[StagingLabel::Current]).await;
    harness.put_version(&current, &[StagingLabel::Current]).await;
    assert_eq!(credentials(&harness.previous().await).0, "app_clone");
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlNotOurAlternate", "{error}");
    assert_eq!(db.stored_hash(&foreign).await, hash, "its password is untouched");
    assert_eq!(db.grants(&foreign).await, grants, "and its grants");
    assert!(db.logs_in("app_clone", "someone-elses-pw").await);
}

#[tokio::test]
async fn pending_naming_an_original_that_accepts_no_stored_password_is_refused_and_left_alone() {
    let db = Db::start().await;
    grant_fixture(&db).await;
    // The writer's own clone account, and someone else's account that it names as the original.
    let victim = original_named(&db, "victim").await;
    db.sql("SET PASSWORD FOR 'victim'@'127.0.0.1' = PASSWORD('the-victims-pw')")
        .await;
    db.create_user("victim_clone", "127.0.0.1", "writers-pw").await;
    let hash = db.stored_hash(&victim).await;
    let harness = alternating(&db, "victim_clone", "writers-pw");
    // A forged AWSPREVIOUS naming the original proves nothing either.
    let mut forged = db.secret("victim", "a-guess");
    forged["masterarn"] = harness.current().await.get("masterarn").unwrap().clone();
    let mut current = db.secret("victim_clone", "writers-pw");
    current["masterarn"] = forged["masterarn"].clone();
    harness.put_version(&forged, &[StagingLabel::Current]).await;
    harness.put_version(&current, &[StagingLabel::Current]).await;
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    let before = db.grants(&Account::new("victim_clone", "127.0.0.1")).await;

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlNotOurOriginal", "{error}");
    assert_eq!(
        db.stored_hash(&victim).await,
        hash,
        "the original's password is untouched"
    );
    assert!(db.logs_in("victim", "the-victims-pw").await);
    assert_eq!(
        db.grants(&Account::new("victim_clone", "127.0.0.1")).await,
        before,
        "the writer's account gained none of the original's grants"
    );
}

#[tokio::test]
async fn the_original_is_rotated_when_it_holds_awspending_after_a_crash() {
    let db = Db::start().await;
    grant_fixture(&db).await;
    original_named(&db, "app").await;
    let harness = alternating(&db, "app", "initial-pw");
    harness.rotate().await;
    // Second rotation: AWSPENDING names the original. Crash after its ALTER USER, then retry.
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();
    let (_, pending_password) = credentials(
        &harness
            .value(rotor_core::secrets_manager::VersionSelector::pending(&token))
            .await,
    );
    db.sql(&format!(
        "SET PASSWORD FOR 'app'@'127.0.0.1' = PASSWORD('{pending_password}')"
    ))
    .await;
    // AWSPREVIOUS (the original's old password) no longer proves anything; AWSPENDING's does.
    for step in [Step::SetSecret, Step::TestSecret, Step::FinishSecret] {
        harness.step(&token, step).await.unwrap();
    }

    let (user, password) = credentials(&harness.current().await);
    assert_eq!((user.as_str(), password), ("app", pending_password));
}

#[tokio::test]
async fn a_user_with_rows_at_two_hosts_is_refused_before_anything_changes() {
    let db = Db::start().await;
    grant_fixture(&db).await;
    original_named(&db, "app").await;
    // The same user at a wider host, with another password: clients outside 127.0.0.1 log in there.
    db.create_user("app", "%", "wildcard-pw").await;
    let wildcard = Account::new("app", "%");
    let wildcard_hash = db.stored_hash(&wildcard).await;
    let harness = alternating(&db, "app", "initial-pw");
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlOtherHostRow", "{error}");
    assert!(error.to_string().contains("'app'@'%'"), "{error}");
    assert!(
        !db.exists(&Account::new("app_clone", "127.0.0.1")).await,
        "no clone that only some clients could use"
    );
    assert_eq!(db.stored_hash(&wildcard).await, wildcard_hash);
    assert!(db.logs_in("app", "initial-pw").await);
}

#[tokio::test]
async fn a_clone_row_at_another_host_is_refused_before_anything_changes() {
    let db = Db::start().await;
    grant_fixture(&db).await;
    original_named(&db, "app").await;
    db.create_user("app_clone", "10.%", "stray-pw").await;
    let harness = alternating(&db, "app", "initial-pw");
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlOtherHostRow", "{error}");
    assert!(!db.exists(&Account::new("app_clone", "127.0.0.1")).await);
}

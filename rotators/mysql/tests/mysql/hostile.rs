//! Hostile names and passwords, and proof that no secret reaches a log.

use rotor_core::database::Engine;
use rotor_core::{RotationSettings, SecretValue};
use rotor_mysql::{Account, AlternatingUsers, SingleUser, native_password_hash};
use rotor_testkit::capture::LogCapture;
use secrecy::{ExposeSecret, SecretString};

use super::support::{Db, Harness, credentials};

/// Quotes, backslashes, a semicolon, a comment, a backtick, an `@` and non-ASCII text.
const HOSTILE_USER: &str = "o'k\\\"; DROP USER root; -- `é@日本";
const HOSTILE_PASSWORD: &str = "p'w\\\"; --`é";

/// Passwords may hold every character GetRandomPassword can produce, quotes and backslashes included.
fn anything_goes() -> RotationSettings {
    RotationSettings::new("")
}

#[tokio::test]
async fn single_user_rotates_a_hostile_name_with_passwords_of_any_character() {
    let db = Db::start().await;
    db.create_user(HOSTILE_USER, "%", HOSTILE_PASSWORD).await;
    let secret = db.secret(HOSTILE_USER, HOSTILE_PASSWORD);
    let harness = Harness::with_settings(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| secret,
        anything_goes(),
    );

    for _ in 0..3 {
        harness.rotate().await;
    }

    let (user, password) = credentials(&harness.current().await);
    assert_eq!(user, HOSTILE_USER);
    assert!(db.logs_in(HOSTILE_USER, &password).await);
    assert!(!db.logs_in(HOSTILE_USER, HOSTILE_PASSWORD).await);
    assert!(
        db.exists(&Account::new("root", "localhost")).await,
        "no statement was injected"
    );
}

#[tokio::test]
async fn alternating_users_rotate_a_hostile_name() {
    let db = Db::start().await;
    db.create_user(HOSTILE_USER, "%", HOSTILE_PASSWORD).await;
    db.sql(&format!(
        "CREATE DATABASE `we``ird`; GRANT SELECT ON `we``ird`.* TO {}",
        rotor_mysql::Quoting::DEFAULT.account(&Account::new(HOSTILE_USER, "%"))
    ))
    .await;
    let (mut secret, master) = (db.secret(HOSTILE_USER, HOSTILE_PASSWORD), db.master_secret());
    let harness = Harness::with_settings(
        |faults| AlternatingUsers::new().with_fault_points(faults),
        move |model| {
            secret["masterarn"] = model
                .create_secret("master", &SecretValue::new(master.to_string()))
                .unwrap()
                .into();
            secret
        },
        anything_goes(),
    );

    harness.rotate().await;
    harness.rotate().await;

    let original = Account::new(HOSTILE_USER, "%");
    let clone = original.with_user(&format!("{HOSTILE_USER}_clone"));
    assert_eq!(db.grants(&clone).await, db.grants(&original).await);
    for version in [harness.current().await, harness.previous().await] {
        let (user, password) = credentials(&version);
        assert!(db.logs_in(&user, &password).await, "{user}");
    }
    assert!(
        db.exists(&Account::new("root", "localhost")).await,
        "no statement was injected"
    );
}

#[tokio::test]
async fn no_password_or_hash_reaches_the_captured_logs() {
    let capture = LogCapture::start_capping(rotor_mysql::MySql::LOG_TARGETS);
    let db = Db::start().await;
    db.create_user("app", "%", "initial-pw-0001").await;
    db.create_user("multi", "%", "initial-pw-0002").await;
    let secret = db.secret("app", "initial-pw-0001");
    let single = Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| secret,
    );
    let (mut secret, master) = (db.secret("multi", "initial-pw-0002"), db.master_secret());
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

    let mut secrets = vec![
        "initial-pw-0001".to_owned(),
        "initial-pw-0002".to_owned(),
        db.server.admin().1.to_owned(),
    ];
    for _ in 0..2 {
        single.rotate().await;
        multi.rotate().await;
        secrets.push(credentials(&single.current().await).1);
        secrets.push(credentials(&multi.current().await).1);
    }
    // A refused login and a failing step log too.
    let wrong = db.secret("app", "wrong-pw-0003");
    let failing = Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| wrong,
    );
    let token = failing.start_rotation();
    failing
        .step(&token, rotor_core::Step::CreateSecret)
        .await
        .unwrap();
    assert!(failing.step(&token, rotor_core::Step::SetSecret).await.is_err());
    secrets.push("wrong-pw-0003".to_owned());

    let hashes: Vec<String> = secrets
        .iter()
        .map(|password| {
            let hash = native_password_hash(&SecretString::from(password.clone()));
            hash.expose_secret().trim_start_matches('*').to_owned()
        })
        .collect();
    let needles: Vec<&str> = secrets.iter().chain(&hashes).map(String::as_str).collect();
    assert!(
        capture.text().contains("rotation step succeeded"),
        "the capture works"
    );
    assert_eq!(capture.leaked(&needles), Vec::<&str>::new());
}

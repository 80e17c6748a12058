//! Rotation against a MariaDB that requires TLS: verified TLS works, anything less is refused.

use rotor_core::Step;
use rotor_mysql::{Account, SingleUser};
use rotor_testkit::TestCa;
use serde_json::{Value, json};

use super::support::{Db, Harness, credentials, error_type};

/// A secret that trusts `ca` (inline PEM) and, like a console-made secret, has no `ssl` key.
fn verified(db: &Db, user: &str, password: &str, ca: &str) -> Value {
    let mut secret = db.secret(user, password);
    let fields = secret.as_object_mut().unwrap();
    fields.remove("ssl");
    fields.insert("ssl_ca".into(), json!(ca));
    secret
}

fn single_user(secret: Value) -> Harness<SingleUser> {
    Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| secret,
    )
}

#[tokio::test]
async fn a_tls_required_server_rotates_over_verified_tls() {
    let db = Db::start_tls().await;
    db.create_user("app", "%", "initial-pw").await;
    db.sql("ALTER USER 'app'@'%' REQUIRE SSL").await;
    let ca = db.server.ca_cert_pem().unwrap().to_owned();
    let harness = single_user(verified(&db, "app", "initial-pw", &ca));
    let before = db.login_failures().await;

    harness.rotate().await;

    assert_eq!(db.login_failures().await, before);
    let (_, password) = credentials(&harness.current().await);
    assert!(db.logs_in("app", &password).await);
    assert!(!db.logs_in("app", "initial-pw").await);
    let general_log = db.server.general_log().unwrap();
    assert!(
        !general_log.contains("Ssl_cipher"),
        "the guarantee is the client's verified handshake, not the server's view, which a TLS-terminating \
         proxy would make false after the password changed"
    );
}

#[tokio::test]
async fn test_secret_connects_only_over_verified_tls() {
    let db = Db::start_tls().await;
    db.create_user("app", "%", "initial-pw").await;
    let ca = db.server.ca_cert_pem().unwrap().to_owned();
    let other_ca = TestCa::generate().unwrap();
    let harness = single_user(verified(&db, "app", "initial-pw", &ca));
    // An AWSPENDING whose password works but which trusts another CA: testSecret must not accept the server.
    let token = harness.start_rotation();
    let put = rotor_core::secrets_manager::PutSecretValue {
        secret_id: &harness.arn,
        client_request_token: &token,
        value: &rotor_core::SecretValue::new(
            verified(&db, "app", "initial-pw", other_ca.ca_cert_pem()).to_string(),
        ),
        stages: &[rotor_core::StagingLabel::Pending],
        rotation_token: None,
    };
    rotor_core::SecretsManager::put_secret_value(harness.model(), put)
        .await
        .unwrap();

    let error = harness.step(&token, Step::TestSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlTlsHandshake", "{error}");
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused_and_nothing_changes() {
    let db = Db::start_tls().await;
    db.create_user("app", "%", "initial-pw").await;
    let other_ca = TestCa::generate().unwrap();
    let harness = single_user(verified(&db, "app", "initial-pw", other_ca.ca_cert_pem()));
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlTlsHandshake", "{error}");
    assert!(db.logs_in("app", "initial-pw").await, "nothing changed");
}

#[tokio::test]
async fn system_roots_alone_do_not_trust_a_private_ca() {
    let db = Db::start_tls().await;
    db.create_user("app", "%", "initial-pw").await;
    let mut secret = db.secret("app", "initial-pw");
    secret.as_object_mut().unwrap().remove("ssl");
    let harness = single_user(secret);
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlTlsHandshake", "{error}");
    assert!(db.logs_in("app", "initial-pw").await);
}

#[tokio::test]
async fn plaintext_to_a_tls_required_server_is_refused_and_nothing_changes() {
    let db = Db::start_tls().await;
    db.create_user("app", "%", "initial-pw").await;
    let harness = single_user(db.secret("app", "initial-pw"));
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(
        rotor_core::Classify::class(&error),
        rotor_core::ErrorClass::AuthFailure,
        "{error}"
    );
    assert!(db.logs_in("app", "initial-pw").await);
}

#[tokio::test]
async fn the_clone_inherits_the_originals_tls_requirement() {
    let db = Db::start_tls().await;
    db.create_user("app", "127.0.0.1", "initial-pw").await;
    db.sql("ALTER USER 'app'@'127.0.0.1' REQUIRE SSL").await;
    let ca = db.server.ca_cert_pem().unwrap().to_owned();
    // Both the child and the master trust the server's CA.
    let master = {
        let mut master = db.master_secret();
        let fields = master.as_object_mut().unwrap();
        fields.remove("ssl");
        fields.insert("ssl_ca".into(), json!(ca));
        master
    };
    let child = verified(&db, "app", "initial-pw", &ca);
    let harness = Harness::new(
        |faults| rotor_mysql::AlternatingUsers::new().with_fault_points(faults),
        move |model| {
            let arn = model
                .create_secret("master", &rotor_core::SecretValue::new(master.to_string()))
                .unwrap();
            let mut child = child;
            child["masterarn"] = arn.into();
            child
        },
    );

    harness.rotate().await;

    let clone = Account::new("app_clone", "127.0.0.1");
    let grants = db.grants(&clone).await;
    assert!(
        grants.iter().any(|grant| grant.contains("REQUIRE SSL")),
        "{grants:?}"
    );
    let (user, password) = credentials(&harness.current().await);
    assert!(db.logs_in(&user, &password).await);
}

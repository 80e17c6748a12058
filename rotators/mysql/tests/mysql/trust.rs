//! The trust boundary: a writer of the child secret cannot make the master rotate itself, and no stored
//! credential is sent to a server other than the one it was recorded for.

use rotor_core::{Classify, ErrorClass, SecretValue, StagingLabel, Step};
use rotor_mysql::{Account, AlternatingUsers, SingleUser};
use serde_json::Value;

use super::alternating::{alternating, grant_fixture, original_named};
use super::fake_server::FakeMySqlServer;
use super::support::{Db, Harness, error_type};

/// Runs rotations as Secrets Manager would, `attempts` times: a failed rotation is retried with its token.
async fn attempt_rotations<R: rotor_core::Rotator>(harness: &Harness<R>, attempts: usize) -> Vec<String> {
    let mut failures = Vec::new();
    let mut unfinished: Option<String> = None;
    for _ in 0..attempts {
        let token = unfinished.take().unwrap_or_else(|| harness.start_rotation());
        for step in Step::ALL {
            if let Err(error) = harness.step(&token, step).await {
                assert_eq!(error.class(), ErrorClass::Permanent, "{error}");
                failures.push(error_type(&error).to_owned());
                unfinished = Some(token.clone());
                break;
            }
        }
    }
    failures
}

#[tokio::test]
async fn a_child_secret_holding_a_copy_of_the_masters_credentials_never_rotates_the_master() {
    let db = Db::start().await;
    let (admin, admin_password) = db.server.admin();
    let clone = Account::new(format!("{admin}_clone"), "%");

    let failures = attempt_rotations(&child_of_master(&db, admin, admin_password), 2).await;

    assert_eq!(failures, ["MasterInPair", "MasterInPair"]);
    assert!(
        db.logs_in(admin, admin_password).await,
        "the master's AWSCURRENT still logs in"
    );
    assert!(!db.exists(&clone).await, "no clone of the master was made");

    // The writer also owns an account named like the master's clone: AWSPENDING would name the master.
    db.create_user(&clone.user, "%", "writers-pw").await;
    let failures = attempt_rotations(&child_of_master(&db, &clone.user, "writers-pw"), 2).await;

    assert_eq!(failures, ["MasterInPair", "MasterInPair"]);
    assert!(db.logs_in(admin, admin_password).await);
}

/// A child secret that is the master secret with another user and password, and `masterarn` pointing at the
/// master secret.
fn child_of_master(db: &Db, user: &str, password: &str) -> Harness<AlternatingUsers> {
    let master = db.master_secret();
    Harness::new(
        |faults| AlternatingUsers::new().with_fault_points(faults),
        |model| {
            let arn = model
                .create_secret("master", &SecretValue::new(master.to_string()))
                .unwrap();
            let mut child = master.clone();
            child["username"] = Value::from(user);
            child["password"] = Value::from(password);
            child["masterarn"] = arn.into();
            child
        },
    )
}

#[tokio::test]
async fn an_older_single_user_password_is_never_sent_to_a_server_a_newer_version_points_at() {
    let db = Db::start().await;
    db.create_user("app", "%", "the-live-pw").await;
    let fake = FakeMySqlServer::start().await;
    let secret = db.secret("app", "the-live-pw");
    let harness = Harness::new(
        |faults| SingleUser::new().with_fault_points(faults),
        move |_| secret,
    );
    // A writer who cannot read the secret points a new AWSCURRENT at a server they run. The live password
    // is AWSPREVIOUS now.
    let mut redirected = db.secret("app", "writer-does-not-know");
    redirected["port"] = fake.port().into();
    harness.put_version(&redirected, &[StagingLabel::Current]).await;
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "NoWorkingCredential", "{error}");
    assert!(
        !fake.attempts().is_empty(),
        "the redirected versions did go there"
    );
    assert!(
        !fake.received_password("the-live-pw"),
        "AWSPREVIOUS's password never reached the other server"
    );
    assert!(db.logs_in("app", "the-live-pw").await, "nothing changed");
}

#[tokio::test]
async fn an_ownership_probe_never_sends_a_version_to_a_server_it_points_at() {
    let db = Db::start().await;
    grant_fixture(&db).await;
    original_named(&db, "app").await;
    // A clone-named account with a plugin whose hash cannot be compared, so ownership needs a login probe.
    db.sql("CREATE USER 'app_clone'@'127.0.0.1' IDENTIFIED VIA unix_socket")
        .await;
    let fake = FakeMySqlServer::start().await;
    let harness = alternating(&db, "app", "initial-pw");
    let masterarn = harness.current().await.get("masterarn").unwrap().clone();
    // An unlabelled version for the clone's name that points at another server.
    let mut elsewhere = db.secret("app_clone", "an-older-clone-pw");
    elsewhere["port"] = fake.port().into();
    elsewhere["masterarn"] = masterarn;
    harness.put_unlabelled_version(&elsewhere).await;
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "MySqlNotOurAlternate", "{error}");
    assert_eq!(fake.connections(), 0, "nothing was sent to the other server");
    let plugin = db
        .sql("SELECT plugin FROM mysql.user WHERE User = 'app_clone'")
        .await;
    assert_eq!(plugin.trim(), "unix_socket", "the account is untouched");
}

//! The AWS adapter against moto's IAM and STS: a whole rotation with Secrets Manager in moto
//! too, moto's two-key limit and its GetCallerIdentity, and the conformance suite with a crash
//! at every IAM and Secrets Manager call.
//!
//! moto's GetCallerIdentity finds the user by the access key id alone: it checks neither the
//! signature nor the key's status, and answers `user/moto` for a key it does not know. So here
//! "the key works" is ListAccessKeys showing it active plus GetCallerIdentity naming the user;
//! that the secret part matches is proven by the in-memory model only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rotor_core::fault::FaultPoints;
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    Classify, Deadline, RotationEvent, RotationFunction, RotationSettings, SecretJson, SecretsManager,
    StagingLabel, Step,
};
use rotor_iam_access_key::iam::{IamApi, IamError, KeyStatus};
use rotor_iam_access_key::{
    ACCESS_KEY_ID_FIELD, AwsIam, IamAccessKeyRotator, SECRET_ACCESS_KEY_FIELD, USER_NAME_FIELD,
};
use rotor_testkit::MotoServer;
use rotor_testkit::capture::LogCapture;
use rotor_testkit::conformance::{self, Fixture};
use secrecy::SecretString;

use super::conformance::retired;
use super::support::secret_json;

const TOKEN: &str = "6f9619ff-8b86-4011-b42d-00c04fc964ff";

async fn iam(moto: &MotoServer) -> (AwsIam, aws_sdk_iam::Client) {
    let config = moto.sdk_config().await;
    (AwsIam::from_config(&config), aws_sdk_iam::Client::new(&config))
}

/// Creates `user` with one key and returns the secret JSON holding it.
async fn user_with_key(client: &aws_sdk_iam::Client, user: &str) -> (String, String) {
    client.create_user().user_name(user).send().await.unwrap();
    let created = client.create_access_key().user_name(user).send().await.unwrap();
    let key = created.access_key().unwrap();
    let secret = key.secret_access_key().to_owned();
    (secret_json(user, key.access_key_id(), &secret), secret)
}

/// Whether the key is an active key of the secret's user and STS names the user for it.
async fn works(iam: &AwsIam, secret: &SecretJson) -> bool {
    let (Ok(user), Ok(id), Ok(key)) = (
        secret.required_str(USER_NAME_FIELD),
        secret.required_str(ACCESS_KEY_ID_FIELD),
        secret.required_str(SECRET_ACCESS_KEY_FIELD),
    ) else {
        return false;
    };
    let active = iam.list_access_keys(user).await.is_ok_and(|keys| {
        keys.iter()
            .any(|found| found.id == id && found.status == KeyStatus::Active)
    });
    let arn = iam.caller_identity(id, &SecretString::from(key)).await;
    active && arn.is_ok_and(|arn| arn.ends_with(&format!(":user/{user}")))
}

#[tokio::test]
async fn moto_enforces_the_two_key_limit_and_names_the_user_of_a_key_in_sts() {
    let moto = MotoServer::start().await.unwrap();
    let (iam, client) = iam(&moto).await;
    let (initial, secret) = user_with_key(&client, "limited").await;
    let initial = SecretJson::parse(&rotor_core::SecretValue::new(initial)).unwrap();
    let id = initial.required_str(ACCESS_KEY_ID_FIELD).unwrap();

    iam.create_access_key("limited").await.unwrap();
    let third = iam.create_access_key("limited").await.unwrap_err();
    assert_eq!(
        third,
        IamError::LimitExceeded {
            user: "limited".into()
        }
    );

    let arn = iam
        .caller_identity(id, &SecretString::from(secret))
        .await
        .unwrap();
    assert_eq!(arn, "arn:aws:iam::123456789012:user/limited");
    let unknown = iam
        .caller_identity("AKIAUNKNOWNKEY000000", &SecretString::from("x"))
        .await
        .unwrap();
    assert!(
        !unknown.ends_with("user/limited"),
        "moto's fallback identity: {unknown}"
    );
    let missing = iam.list_access_keys("nobody").await.unwrap_err();
    assert_eq!(
        missing,
        IamError::UserNotFound {
            user: "nobody".into()
        }
    );
    let gone = iam
        .delete_access_key("limited", "AKIAUNKNOWNKEY000000")
        .await
        .unwrap_err();
    assert_eq!(Classify::error_type(&gone), "IamAccessKeyNotFound", "{gone}");
}

#[tokio::test]
async fn two_rotations_through_moto_keep_the_current_key_working_and_retire_the_others() {
    let moto = MotoServer::start().await.unwrap();
    let (iam, client) = iam(&moto).await;
    let (initial, initial_secret) = user_with_key(&client, "deployer").await;
    let value: serde_json::Value = serde_json::from_str(&initial).unwrap();
    let arn = moto.create_secret("deployer-key", &value, &[]).await.unwrap();
    let capture = LogCapture::start();
    let function = RotationFunction::new(
        IamAccessKeyRotator::new(iam.clone()),
        moto.secrets_manager().await,
        RotationSettings::new(""),
    );
    let mut secrets = vec![initial_secret];
    for token in [TOKEN, "7a9619ff-8b86-4011-b42d-00c04fc964ff"] {
        moto.start_rotation(&arn, token).await.unwrap();
        for step in Step::ALL {
            let event = RotationEvent::new(&arn, token, step);
            function
                .invoke(&event, Deadline::after(Duration::from_secs(30)))
                .await
                .unwrap();
        }
        let read = |label| {
            function
                .secrets()
                .get_secret_value(&arn, VersionSelector::stage(label))
        };
        let current = SecretJson::parse(&read(StagingLabel::Current).await.unwrap().value).unwrap();
        let previous = SecretJson::parse(&read(StagingLabel::Previous).await.unwrap().value).unwrap();
        assert!(works(&iam, &current).await, "AWSCURRENT works");
        assert!(!works(&iam, &previous).await, "AWSPREVIOUS is inactive");
        assert_eq!(current.required_str("team").unwrap(), "platform");
        let keys = iam.list_access_keys("deployer").await.unwrap();
        assert_eq!(keys.len(), 2);
        assert!(retired(&keys, &current, Some(&previous)));
        secrets.push(current.required_str(SECRET_ACCESS_KEY_FIELD).unwrap().to_owned());
    }
    drop(function);
    let needles: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert!(
        capture.text().contains("created the new access key"),
        "the capture works"
    );
    assert_eq!(capture.leaked(&needles), Vec::<&str>::new());
}

#[tokio::test]
async fn moto_two_foreign_keys_are_refused_before_anything_is_created() {
    let moto = MotoServer::start().await.unwrap();
    let (iam, client) = iam(&moto).await;
    client.create_user().user_name("shared").send().await.unwrap();
    for _key in 0..2 {
        client
            .create_access_key()
            .user_name("shared")
            .send()
            .await
            .unwrap();
    }
    // Older than this rotation by more than the clock tolerance, so not its orphans.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let value: serde_json::Value = serde_json::json!({"UserName": "shared"});
    let arn = moto.create_secret("shared-key", &value, &[]).await.unwrap();
    moto.start_rotation(&arn, TOKEN).await.unwrap();
    let function = RotationFunction::new(
        IamAccessKeyRotator::new(iam.clone()),
        moto.secrets_manager().await,
        RotationSettings::new(""),
    );
    let event = RotationEvent::new(&arn, TOKEN, Step::CreateSecret);
    let error = function
        .invoke(&event, Deadline::after(Duration::from_secs(30)))
        .await
        .unwrap_err();
    assert_eq!(
        Classify::error_type(&error),
        "IamUserHasForeignAccessKeys",
        "{error}"
    );
    assert_eq!(iam.list_access_keys("shared").await.unwrap().len(), 2);
}

/// One moto user per scenario; the rotator calls moto's IAM and STS through the AWS adapter.
struct MotoKeys {
    iam: AwsIam,
    initial: String,
    faults: FaultPoints,
}

impl Fixture for MotoKeys {
    type Rotator = IamAccessKeyRotator<AwsIam>;
    const SECRET_FIELDS: &'static [&'static str] = &[SECRET_ACCESS_KEY_FIELD];

    fn initial_value(&self) -> String {
        self.initial.clone()
    }

    fn rotator(&self) -> Self::Rotator {
        IamAccessKeyRotator::new(self.iam.clone()).with_faults(self.faults.clone())
    }

    async fn current_works(&self, secret: &SecretJson) -> bool {
        works(&self.iam, secret).await
    }

    async fn finish_hook_done(&self, current: &SecretJson, previous: Option<&SecretJson>) -> bool {
        let user = current.required_str(USER_NAME_FIELD).unwrap_or_default();
        let keys = self.iam.list_access_keys(user).await.unwrap_or_default();
        retired(&keys, current, previous)
    }

    fn fault_points(&self) -> Option<FaultPoints> {
        Some(self.faults.clone())
    }
}

#[tokio::test]
async fn the_rotator_conforms_against_moto_iam_with_a_crash_at_every_call() {
    let moto = MotoServer::start().await.unwrap();
    let (iam, client) = iam(&moto).await;
    let users = AtomicUsize::new(0);
    let report = conformance::run(async || {
        let user = format!("scenario-{}", users.fetch_add(1, Ordering::Relaxed));
        let (initial, _) = user_with_key(&client, &user).await;
        MotoKeys {
            iam: iam.clone(),
            initial,
            faults: FaultPoints::recording(),
        }
    })
    .await;
    assert_eq!(report.lockouts, 0);
    assert_eq!(report.external_operations.len(), 5, "{report}");
    assert_eq!(report.crashes_not_fired, 0, "{report}");
}

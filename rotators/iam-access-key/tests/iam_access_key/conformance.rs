//! The conformance suite on the in-memory IAM model, with a crash before and after every
//! Secrets Manager call and every IAM and STS call of a rotation.

use rotor_core::SecretJson;
use rotor_core::fault::FaultPoints;
use rotor_iam_access_key::iam::{AccessKey, KeyStatus};
use rotor_iam_access_key::{
    ACCESS_KEY_ID_FIELD, IamAccessKeyRotator, InMemoryIam, SECRET_ACCESS_KEY_FIELD, USER_NAME_FIELD,
};
use rotor_testkit::conformance::{self, Fixture};

use super::support::seeded;

/// A user's keys in the in-memory model; the live credential is an active key with its secret.
struct Keys {
    iam: InMemoryIam,
    initial: String,
    faults: FaultPoints,
}

fn key_of(secret: &SecretJson) -> Option<(&str, &str, &str)> {
    Some((
        secret.required_str(USER_NAME_FIELD).ok()?,
        secret.required_str(ACCESS_KEY_ID_FIELD).ok()?,
        secret.required_str(SECRET_ACCESS_KEY_FIELD).ok()?,
    ))
}

/// The finish hook is done when the user has no key but AWSCURRENT's and AWSPREVIOUS's, and
/// AWSPREVIOUS's is inactive.
pub fn retired(keys: &[AccessKey], current: &SecretJson, previous: Option<&SecretJson>) -> bool {
    let current = current.required_str(ACCESS_KEY_ID_FIELD).ok();
    let previous = previous.and_then(|previous| previous.required_str(ACCESS_KEY_ID_FIELD).ok());
    keys.iter().all(|key| {
        let id = Some(key.id.as_str());
        id == current || (id == previous && key.status == KeyStatus::Inactive)
    })
}

impl Fixture for Keys {
    type Rotator = IamAccessKeyRotator<InMemoryIam>;
    const SECRET_FIELDS: &'static [&'static str] = &[SECRET_ACCESS_KEY_FIELD];

    fn initial_value(&self) -> String {
        self.initial.clone()
    }

    fn rotator(&self) -> Self::Rotator {
        IamAccessKeyRotator::new(self.iam.clone()).with_faults(self.faults.clone())
    }

    async fn current_works(&self, secret: &SecretJson) -> bool {
        key_of(secret).is_some_and(|(user, id, secret)| self.iam.works(user, id, secret))
    }

    async fn finish_hook_done(&self, current: &SecretJson, previous: Option<&SecretJson>) -> bool {
        let user = current.required_str(USER_NAME_FIELD).unwrap_or_default();
        retired(&self.iam.keys(user), current, previous)
    }

    fn fault_points(&self) -> Option<FaultPoints> {
        Some(self.faults.clone())
    }
}

#[tokio::test]
async fn the_iam_access_key_rotator_conforms_with_a_crash_at_every_call() {
    let report = conformance::run(async || {
        let (iam, initial, _) = seeded();
        Keys {
            iam,
            initial,
            faults: FaultPoints::recording(),
        }
    })
    .await;
    assert_eq!(report.lockouts, 0);
    assert_eq!(
        report.external_operations,
        [
            "ListAccessKeys",
            "CreateAccessKey",
            "GetCallerIdentity",
            "ListAccessKeys",
            "UpdateAccessKey"
        ]
    );
    assert_eq!(
        report.crashes_injected,
        2 * (report.calls_in_a_rotation() + report.external_operations.len()),
        "{report}"
    );
    assert!(report.elapsed.as_secs() < 20, "{report}");
}

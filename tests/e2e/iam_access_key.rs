//! The IAM access key rotator's release binary, behind the Runtime API, against moto's Secrets
//! Manager, IAM and STS: two rotations, the second of which deletes the oldest key to stay
//! within IAM's two-key limit, and no secret access key in the function's log.

use rotor_testkit::MotoServer;
use serde_json::{Value, json};

use super::bootstrap::Launch;
use super::lambdas::IAM_ACCESS_KEY;
use super::rotation::{Function, Secrets, field, leaked, new_token, start_next_rotation};

const USER: &str = "ci-deployer";

/// IAM (moto) as its users see it, through the SDK.
pub struct Iam {
    client: aws_sdk_iam::Client,
}

impl Iam {
    pub async fn new(moto: &MotoServer) -> Self {
        Self {
            client: aws_sdk_iam::Client::new(&moto.sdk_config().await),
        }
    }

    /// Creates `user` with one access key and returns the secret in the rotator's format, with
    /// an unknown key.
    pub async fn user_with_key(&self, user: &str) -> Value {
        self.client.create_user().user_name(user).send().await.unwrap();
        let created = self
            .client
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .unwrap();
        let key = created.access_key().unwrap();
        json!({
            "UserName": user,
            "AccessKeyId": key.access_key_id(),
            "SecretAccessKey": key.secret_access_key(),
            "Team": "platform",
        })
    }

    /// The user's access keys: id → status.
    pub async fn keys(&self, user: &str) -> Vec<(String, String)> {
        let listed = self
            .client
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .unwrap();
        let mut keys: Vec<(String, String)> = listed
            .access_key_metadata()
            .iter()
            .map(|key| {
                let status = key.status().map(|status| status.as_str().to_owned());
                (
                    key.access_key_id().unwrap_or_default().to_owned(),
                    status.unwrap_or_default(),
                )
            })
            .collect();
        keys.sort();
        keys
    }
}

/// The function, with IAM and STS at moto too.
fn launch(moto: &MotoServer) -> Launch {
    let mut launch = Launch::new(IAM_ACCESS_KEY);
    launch.env.push(("AWS_ENDPOINT_URL".to_owned(), moto.endpoint()));
    launch
}

#[tokio::test]
async fn the_iam_access_key_rotator_binary_rotates_twice_within_the_two_key_limit() {
    let moto = MotoServer::start().await.unwrap();
    let (secrets, iam) = (Secrets::new(&moto).await, Iam::new(&moto).await);
    let initial = iam.user_with_key(USER).await;
    let first_key = field(&initial, "AccessKeyId").to_owned();
    let arn = secrets.create("ci-deployer-key", &initial).await;
    let mut function = Function::start(&launch(&moto), &moto).await;

    let former = secrets.version_with(&arn, "AWSCURRENT").await;
    let token = new_token();
    start_next_rotation(&moto, &secrets, &arn, &token).await;
    function.rotate(&arn, &token).await;

    secrets.assert_rotated(&arn, &former, &token).await;
    let current = secrets.value(&arn, "AWSCURRENT").await;
    let second_key = field(&current, "AccessKeyId").to_owned();
    assert_ne!(second_key, first_key);
    assert_eq!(field(&current, "UserName"), USER);
    assert_eq!(field(&current, "Team"), "platform", "unknown keys survive");
    let mut expected = vec![
        (first_key.clone(), "Inactive".to_owned()),
        (second_key.clone(), "Active".to_owned()),
    ];
    expected.sort();
    assert_eq!(
        iam.keys(USER).await,
        expected,
        "the key that became AWSPREVIOUS is deactivated"
    );

    let token = new_token();
    start_next_rotation(&moto, &secrets, &arn, &token).await;
    function.rotate(&arn, &token).await;

    let third = secrets.value(&arn, "AWSCURRENT").await;
    let third_key = field(&third, "AccessKeyId").to_owned();
    let mut expected = vec![
        (second_key, "Inactive".to_owned()),
        (third_key, "Active".to_owned()),
    ];
    expected.sort();
    assert_eq!(
        iam.keys(USER).await,
        expected,
        "the oldest key is deleted, so the user never needs a third"
    );
    let secret_keys = [
        field(&initial, "SecretAccessKey"),
        field(&current, "SecretAccessKey"),
        field(&third, "SecretAccessKey"),
    ];
    assert_eq!(leaked(&function.output(), &secret_keys), Vec::<&str>::new());
    assert_eq!(function.process.exit_status(), None, "the function keeps serving");
}

//! Plays Secrets Manager: seeds secrets in moto, starts a rotation, sends the four step events
//! to a real function through the Runtime API, and reads the outcome back.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_secretsmanager::Client;
use rotor_testkit::MotoServer;
use serde_json::{Value, json};

use super::bootstrap::{Bootstrap, Launch};
use super::runtime_api::{Outcome, RuntimeApi};

/// The four steps, in the order Secrets Manager invokes them.
pub const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

/// The RotationToken every event carries, as a needle for leak checks.
pub const ROTATION_TOKEN: &str = "e2e-rotation-token-7d2f9c41-must-never-be-logged";

/// How long a function may take to poll for its first event.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A step event exactly as Secrets Manager sends it.
pub fn event(step: &str, secret_id: &str, token: &str) -> Value {
    json!({
        "Step": step,
        "SecretId": secret_id,
        "ClientRequestToken": token,
        "RotationToken": ROTATION_TOKEN,
    })
}

/// A fresh ClientRequestToken.
pub fn new_token() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A function process behind its own Runtime API. Dropping it kills the process.
pub struct Function {
    // Declared first so the process is killed before its Runtime API goes away.
    pub process: Bootstrap,
    pub runtime: RuntimeApi,
}

impl Function {
    /// Starts `launch` against `moto` and waits until it polls for its first event.
    pub async fn start(launch: &Launch, moto: &MotoServer) -> Self {
        let runtime = RuntimeApi::start(launch.bin).await;
        let process = Bootstrap::spawn(launch, &runtime.address(), &moto.endpoint()).await;
        let mut function = Self { process, runtime };
        if function.runtime.first_poll(START_TIMEOUT).await.is_none() {
            panic!(
                "{} did not poll the Runtime API within {START_TIMEOUT:?}\n{}",
                launch.bin,
                function.process.diagnostics()
            );
        }
        function
    }

    /// Sends one event and waits for its outcome; panics with the process's output if the
    /// process dies instead.
    pub async fn invoke(&mut self, payload: &Value) -> Outcome {
        let died = tokio::select! {
            outcome = self.runtime.invoke(payload) => return outcome,
            status = self.process.wait_for_exit(Duration::MAX) => status,
        };
        panic!(
            "the function exited ({died:?}) during {payload}\n{}",
            self.process.diagnostics()
        )
    }

    /// Runs one step.
    pub async fn step(&mut self, step: &str, secret_id: &str, token: &str) -> Outcome {
        self.invoke(&event(step, secret_id, token)).await
    }

    /// Runs the four steps in one process (a warm function); each must succeed.
    pub async fn rotate(&mut self, secret_id: &str, token: &str) {
        for step in STEPS {
            let outcome = self.step(step, secret_id, token).await;
            self.assert_succeeded(step, &outcome);
        }
    }

    /// Panics with the process's output unless `outcome` is a response.
    pub fn assert_succeeded(&mut self, step: &str, outcome: &Outcome) {
        if let Outcome::Error(error) = outcome {
            panic!("{step} failed: {error:?}\n{}", self.process.diagnostics());
        }
    }

    /// Everything the process wrote, stdout then stderr.
    pub fn output(&self) -> String {
        format!("{}{}", self.process.stdout(), self.process.stderr())
    }
}

/// Runs the four steps with a fresh process for each (every invocation a cold start).
pub async fn rotate_cold(launch: &Launch, moto: &MotoServer, secret_id: &str, token: &str) {
    for step in STEPS {
        let mut function = Function::start(launch, moto).await;
        let outcome = function.step(step, secret_id, token).await;
        function.assert_succeeded(step, &outcome);
    }
}

/// RotateSecret after a completed rotation. The service accepts AWSPENDING left on the AWSCURRENT
/// version (rotor leaves it there, as AWS's functions do); moto 5.2.5 refuses exactly that case
/// ("Previous rotation request is still in progress"), so the label is removed first.
pub async fn start_next_rotation(moto: &MotoServer, secrets: &Secrets, arn: &str, token: &str) {
    let current = secrets.version_with(arn, "AWSCURRENT").await;
    if secrets.stages(arn).await[&current].contains("AWSPENDING") {
        secrets.remove_label(arn, "AWSPENDING", &current).await;
    }
    moto.start_rotation(arn, token).await.unwrap();
}

/// Secrets Manager (moto) as the service's users see it, through the SDK: independent of
/// rotor's own adapter.
pub struct Secrets {
    client: Client,
}

impl Secrets {
    /// A client for `moto`.
    pub async fn new(moto: &MotoServer) -> Self {
        Self {
            client: Client::new(&moto.sdk_config().await),
        }
    }

    /// Creates a secret holding `value` and returns its ARN.
    pub async fn create(&self, name: &str, value: &Value) -> String {
        let created = self
            .client
            .create_secret()
            .name(name)
            .secret_string(value.to_string())
            .send()
            .await
            .unwrap_or_else(|error| panic!("CreateSecret {name}: {error:?}"));
        created.arn().expect("CreateSecret returns an ARN").to_owned()
    }

    /// CancelRotateSecret: rotation is disabled, the AWSPENDING version stays.
    pub async fn cancel_rotation(&self, arn: &str) {
        self.client
            .cancel_rotate_secret()
            .secret_id(arn)
            .send()
            .await
            .unwrap_or_else(|error| panic!("CancelRotateSecret: {error:?}"));
    }

    /// Removes `label` from `version` (UpdateSecretVersionStage).
    pub async fn remove_label(&self, arn: &str, label: &str, version: &str) {
        self.client
            .update_secret_version_stage()
            .secret_id(arn)
            .version_stage(label)
            .remove_from_version_id(version)
            .send()
            .await
            .unwrap_or_else(|error| panic!("UpdateSecretVersionStage {label}: {error:?}"));
    }

    /// Version id → staging labels, from DescribeSecret.
    pub async fn stages(&self, arn: &str) -> BTreeMap<String, BTreeSet<String>> {
        let described = self
            .client
            .describe_secret()
            .secret_id(arn)
            .send()
            .await
            .unwrap_or_else(|error| panic!("DescribeSecret: {error:?}"));
        described
            .version_ids_to_stages()
            .into_iter()
            .flatten()
            .map(|(version, labels)| (version.clone(), labels.iter().cloned().collect()))
            .collect()
    }

    /// The version that carries `label`.
    pub async fn version_with(&self, arn: &str, label: &str) -> String {
        self.stages(arn)
            .await
            .into_iter()
            .find(|(_, labels)| labels.contains(label))
            .map(|(version, _)| version)
            .unwrap_or_else(|| panic!("no version carries {label}"))
    }

    /// The JSON value at `label`, always read with an explicit VersionStage (moto's default read
    /// can return a stale version).
    pub async fn value(&self, arn: &str, label: &str) -> Value {
        let version = self
            .client
            .get_secret_value()
            .secret_id(arn)
            .version_stage(label)
            .send()
            .await
            .unwrap_or_else(|error| panic!("GetSecretValue {label}: {error:?}"));
        let text = version.secret_string().expect("a string secret");
        serde_json::from_str(text).expect("the secret is JSON")
    }

    /// Asserts the labels a completed rotation leaves: the token's version is AWSCURRENT (and
    /// keeps AWSPENDING, as Secrets Manager documents), the former current is AWSPREVIOUS, and
    /// no other version has a label.
    pub async fn assert_rotated(&self, arn: &str, former_current: &str, token: &str) {
        let stages = self.stages(arn).await;
        let labelled: BTreeMap<String, BTreeSet<String>> = stages
            .into_iter()
            .filter(|(_, labels)| !labels.is_empty())
            .collect();
        let expected = BTreeMap::from([
            (token.to_owned(), labels(&["AWSCURRENT", "AWSPENDING"])),
            (former_current.to_owned(), labels(&["AWSPREVIOUS"])),
        ]);
        assert_eq!(labelled, expected, "staging labels after the rotation");
    }
}

/// A set of staging labels.
pub fn labels(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// A string field of a secret.
pub fn field<'a>(secret: &'a Value, name: &str) -> &'a str {
    secret
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("the secret has no string field {name}"))
}

/// The needles among `needles` that occur in `text`, raw or JSON-escaped.
pub fn leaked<'n>(text: &str, needles: &[&'n str]) -> Vec<&'n str> {
    needles
        .iter()
        .copied()
        .filter(|needle| {
            let escaped = serde_json::to_string(needle).expect("serialise a string");
            let escaped = escaped.trim_matches('"');
            text.contains(needle) || text.contains(escaped)
        })
        .collect()
}

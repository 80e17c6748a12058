//! A sandbox per test: its own directory as the working directory and `$HOME`, no `AWS_*`
//! variables, and the real `rotor` binary.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use rotor_core::secrets_manager::{ModelState, VersionSelector};
use rotor_core::{InMemorySecretsManager, SecretsManager};

/// What one `rotor` run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, for "never printed" checks.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A private working directory and home.
#[derive(Debug)]
pub struct Sandbox {
    dir: PathBuf,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("rotor-cli-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    /// `rotor` with no AWS configuration at all.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rotor"));
        command
            .args(args)
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.dir);
        command
    }

    pub fn rotor(&self, args: &[&str]) -> Run {
        self.run(self.command(args), None)
    }

    pub fn run(&self, mut command: Command, stdin: Option<&str>) -> Run {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Writes a file in the sandbox and returns its name relative to the sandbox.
    pub fn write(&self, name: &str, contents: &str) -> String {
        std::fs::write(self.dir.join(name), contents).unwrap();
        name.to_owned()
    }

    /// Seeds a secret through `rotor secret create --value-file`.
    pub fn create(&self, name: &str, value: &str) {
        let file = self.write(&format!("{}.value", name.replace('/', "_")), value);
        self.rotor(&["secret", "create", name, "--value-file", &file])
            .expect(0);
    }

    pub fn store_path(&self) -> PathBuf {
        self.dir.join(".rotor/store.json")
    }

    /// The local store as the model, read through core's public API.
    pub fn model(&self) -> InMemorySecretsManager {
        let state: ModelState = serde_json::from_slice(&std::fs::read(self.store_path()).unwrap()).unwrap();
        InMemorySecretsManager::from_state(state)
    }

    /// Replaces the local store with a model's state, as a crashed process would leave it.
    pub fn save(&self, model: &InMemorySecretsManager) {
        std::fs::create_dir_all(self.dir.join(".rotor")).unwrap();
        std::fs::write(self.store_path(), serde_json::to_vec(&model.snapshot()).unwrap()).unwrap();
    }

    /// Every value of every version in the local store.
    pub async fn stored_values(&self) -> Vec<String> {
        let model = self.model();
        let mut values = Vec::new();
        for arn in model.secret_arns() {
            for version in model.list_secret_version_ids(&arn).await.unwrap() {
                if let Ok(found) = model
                    .get_secret_value(&arn, VersionSelector::version(&version.version_id))
                    .await
                {
                    values.push(found.value.expose().to_owned());
                }
            }
        }
        values
    }
}

/// The labels of a secret in the local store.
pub async fn labels(
    model: &InMemorySecretsManager,
    name: &str,
) -> std::collections::BTreeMap<String, Vec<String>> {
    model.describe_secret(name).await.unwrap().versions
}

/// A valid hmac-key secret with a distinct key.
pub fn hmac_secret(seed: u8) -> String {
    use base64::Engine as _;
    let key: Vec<u8> = (0..32).map(|i| i ^ seed).collect();
    format!(
        r#"{{"key_id":"k-{seed}","signing_key":"{}","issuer":"tests"}}"#,
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// The version id printed after "AWSCURRENT is version ".
pub fn new_version(run: &Run) -> String {
    let (_, after) = run
        .stdout
        .split_once("AWSCURRENT is version ")
        .expect("a completed rotation");
    after.split_whitespace().next().unwrap().to_owned()
}

/// `rotor --store aws --endpoint-url <moto>` with moto's test credentials.
pub fn aws_command(sandbox: &Sandbox, endpoint: &str, args: &[&str]) -> Command {
    let mut all = vec!["--store", "aws", "--endpoint-url", endpoint];
    all.extend_from_slice(args);
    let mut command = sandbox.command(&all);
    command
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1");
    command
}

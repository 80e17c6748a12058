//! A deployed rotation function as Secrets Manager reaches it, for `rotor … --via-service`:
//! moto behind the test kit's Lambda bridge ([`BridgedMoto`]: RotateSecret as the service
//! documents it), whose invocations this file's HTTP endpoint feeds to one warm `bootstrap`
//! through the local Runtime API, plus the `rotor` binary those tests run.
//!
//! The bootstrap's Secrets Manager is the same moto, so the real function reads and writes the
//! secrets the CLI watches. Invocations are served one at a time, as one warm function would.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use rotor_testkit::{BridgedMoto, MotoServer};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, OnceCell};
use tokio::task::JoinHandle;

use super::bootstrap::{Bootstrap, Launch};
use super::lambdas::workspace_root;
use super::rotation::Function;
use super::runtime_api::{Outcome, RuntimeApi};

/// How long a function may take to poll for its first event.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// moto with the bridge, and the function its rotations invoke. Dropping it kills the
/// function, stops the endpoint and then moto, also while a test panics.
pub struct Deployed {
    // Declared first: the function goes before the endpoint and moto it talks to.
    function: Arc<Mutex<Option<Function>>>,
    endpoint: JoinHandle<()>,
    /// moto, as the CLI and the function see it.
    pub moto: BridgedMoto,
    /// The ARN the function is deployed under; RotationLambdaARN of every configured secret.
    pub function_arn: String,
}

impl Drop for Deployed {
    fn drop(&mut self) {
        if let Ok(mut function) = self.function.try_lock() {
            drop(function.take());
        }
        self.endpoint.abort();
    }
}

impl Deployed {
    /// Starts the endpoint, moto behind the bridge, then `launch` against that moto.
    pub async fn start(launch: &Launch) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the invoke endpoint");
        let address = listener.local_addr().expect("the invoke endpoint's address");
        let function_arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{}", launch.bin);
        let function: Arc<Mutex<Option<Function>>> = Arc::default();
        let endpoint = tokio::spawn(serve(listener, function.clone(), function_arn.clone()));
        let moto = MotoServer::start_with_lambda_bridge(&format!("http://{address}/invoke"))
            .await
            .unwrap_or_else(|error| panic!("start moto with the Lambda bridge: {error}"));
        let runtime = RuntimeApi::start(launch.bin).await;
        let process = Bootstrap::spawn(launch, &runtime.address(), &moto.endpoint()).await;
        let mut started = Function { process, runtime };
        if started.runtime.first_poll(START_TIMEOUT).await.is_none() {
            panic!(
                "{} did not poll the Runtime API within {START_TIMEOUT:?}\n{}",
                launch.bin,
                started.process.diagnostics()
            );
        }
        *function.lock().await = Some(started);
        Self {
            function,
            endpoint,
            moto,
            function_arn,
        }
    }

    /// The function's output so far, for assertion messages.
    pub async fn function_output(&self) -> String {
        self.function
            .lock()
            .await
            .as_ref()
            .map(Function::output)
            .unwrap_or_default()
    }
}

/// Serves `POST /invoke` (`{"FunctionArn", "Payload"}`) until aborted.
async fn serve(listener: TcpListener, function: Arc<Mutex<Option<Function>>>, function_arn: String) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (function, function_arn) = (function.clone(), function_arn.clone());
        tokio::spawn(async move {
            let _ = answer(stream, &function, &function_arn).await;
        });
    }
}

/// One invocation: the function's outcome as `{"error": null | {"errorType", "errorMessage"}}`.
async fn answer(
    stream: TcpStream,
    function: &Mutex<Option<Function>>,
    function_arn: &str,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let error = if request["FunctionArn"] != function_arn {
        json!({
            "errorType": "ResourceNotFoundException",
            "errorMessage": format!("Function not found: {}", request["FunctionArn"]),
        })
    } else {
        let mut guard = function.lock().await;
        match guard.as_mut() {
            None => json!({"errorType": "ServiceException", "errorMessage": "the function is not running"}),
            Some(function) => match function.invoke(&request["Payload"]).await {
                Outcome::Response(_) => Value::Null,
                Outcome::Error(error) => json!({
                    "errorType": error.error_type,
                    "errorMessage": error.error_message,
                }),
            },
        }
    };
    let payload = json!({ "error": error }).to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    let mut stream = reader.into_inner();
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// The `rotor` binary, built once per test process (`cargo build -p rotor-cli --bin rotor`, a
/// no-op when it is current); with `ROTOR_E2E_SKIP_BUILD=1`, whatever `target/debug/rotor` is.
pub async fn rotor_binary() -> PathBuf {
    static BUILT: OnceCell<PathBuf> = OnceCell::const_new();
    BUILT
        .get_or_init(|| async {
            tokio::task::spawn_blocking(build_rotor)
                .await
                .unwrap_or_else(|error| panic!("the build task failed: {error}"))
        })
        .await
        .clone()
}

fn build_rotor() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let path = target.join("debug/rotor");
    if std::env::var("ROTOR_E2E_SKIP_BUILD").is_ok_and(|value| value == "1") {
        assert!(
            path.is_file(),
            "ROTOR_E2E_SKIP_BUILD=1 but {} does not exist; run cargo build -p rotor-cli",
            path.display()
        );
        return path;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "-p", "rotor-cli", "--bin", "rotor"])
        .current_dir(workspace_root())
        .output()
        .unwrap_or_else(|error| panic!("run cargo build -p rotor-cli: {error}"));
    assert!(
        output.status.success(),
        "cargo build -p rotor-cli failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(path.is_file(), "{} was not produced", path.display());
    path
}

/// What one `rotor` run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The table row of `secret`.
    pub fn row(&self, secret: &str) -> &str {
        let cell = format!(" {secret} ");
        self.stdout
            .lines()
            .find(|line| line.starts_with("  ") && line.contains(&cell))
            .unwrap_or_else(|| panic!("no row for {secret}:\n{}", self.stdout))
    }
}

/// `rotor --endpoint-url <moto> <args>` in a sandbox with moto's test credentials and no other
/// AWS configuration; killed if the test stops first.
pub async fn rotor(moto: &BridgedMoto, args: &[&str]) -> Run {
    let home = std::env::temp_dir().join(format!("rotor-e2e-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&home).expect("create the CLI's HOME");
    let output = tokio::process::Command::new(rotor_binary().await)
        .args(["--endpoint-url", &moto.endpoint()])
        .args(args)
        .current_dir(&home)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .kill_on_drop(true)
        .output()
        .await
        .expect("run rotor");
    let _ = std::fs::remove_dir_all(&home);
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

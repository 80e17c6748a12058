//! A sandbox per test: its own directory as the working directory and `$HOME`, no `AWS_*`
//! variable but `AWS_EC2_METADATA_DISABLED=true` (so that the SDK's credential and region
//! chains never reach for an instance metadata service: tests talk to loopback only), and the
//! real `rotor` binary. Plus a local HTTP stub for answers moto cannot give.

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
    /// The lines of stderr.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }

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
            .env("HOME", &self.dir)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        command
    }

    /// The sandbox directory (the working directory and `$HOME`).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
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

    /// Writes a file in the sandbox (creating its directories) and returns its name relative to
    /// the sandbox.
    pub fn write(&self, name: &str, contents: &str) -> String {
        let path = self.dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
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

/// A loopback TCP port that nothing listens on: bound, then released.
pub fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// An HTTP endpoint on loopback that answers every request with one fixed response, as an AWS
/// JSON service answers an error. Serves from its own thread for at most a minute, and stops
/// when dropped.
#[derive(Debug)]
pub struct StubEndpoint {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    served: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StubEndpoint {
    /// Answers `status` with `x-amzn-ErrorType: error_type` and a JSON body naming it.
    pub fn aws_error(status: u16, error_type: &str, message: &str) -> Self {
        use std::io::Read;
        use std::sync::atomic::Ordering;

        let body = serde_json::json!({ "__type": error_type, "message": message }).to_string();
        let response = format!(
            "HTTP/1.1 {status} Error\r\nContent-Type: application/x-amz-json-1.1\r\n\
             x-amzn-ErrorType: {error_type}\r\nx-amzn-RequestId: stub\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (stopping, counting) = (stop.clone(), served.clone());
        let thread = std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while !stopping.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                    .unwrap();
                // Read the whole request (headers, then Content-Length bytes) before answering.
                let mut request = Vec::new();
                let mut chunk = [0_u8; 4096];
                let complete = |request: &[u8]| {
                    let text = String::from_utf8_lossy(request);
                    let Some((head, body)) = text.split_once("\r\n\r\n") else {
                        return false;
                    };
                    let length = head
                        .lines()
                        .find_map(|line| {
                            let (name, value) = line.split_once(':')?;
                            name.eq_ignore_ascii_case("content-length")
                                .then(|| value.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    body.len() >= length
                };
                while !complete(&request) {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(read) => request.extend_from_slice(&chunk[..read]),
                    }
                }
                // Counted before answering, so a client that has its answer sees the count.
                counting.fetch_add(1, Ordering::Relaxed);
                let _ = std::io::Write::write_all(&mut stream, response.as_bytes());
            }
        });
        Self {
            port,
            stop,
            served,
            thread: Some(thread),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests received so far (each is answered).
    pub fn served(&self) -> usize {
        self.served.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for StubEndpoint {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One HTTP request to a loopback port; the response body.
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    use std::io::{Read, Write};

    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{head}\n{body}"
    );
    body.to_owned()
}

/// The text of the first `<name>` element of an XML answer.
pub fn xml_element(xml: &str, name: &str) -> String {
    let (_, after) = xml.split_once(&format!("<{name}>")).unwrap();
    after.split_once(&format!("</{name}>")).unwrap().0.to_owned()
}

/// In moto: an IAM user with no policy at all and an access key for it; then moto starts
/// checking every request's credentials and permissions. Returns the key id and secret.
pub fn moto_user_without_permissions(port: u16, user: &str) -> (String, String) {
    // moto routes an unsigned query request by the service in the credential scope.
    let iam = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        ),
    ];
    http(
        port,
        "POST",
        "/",
        &iam,
        &format!("Action=CreateUser&UserName={user}&Version=2010-05-08"),
    );
    let key = http(
        port,
        "POST",
        "/",
        &iam,
        &format!("Action=CreateAccessKey&UserName={user}&Version=2010-05-08"),
    );
    let credentials = (
        xml_element(&key, "AccessKeyId"),
        xml_element(&key, "SecretAccessKey"),
    );
    http(
        port,
        "POST",
        "/moto-api/reset-auth",
        &[("Content-Type", "application/octet-stream")],
        "0",
    );
    credentials
}

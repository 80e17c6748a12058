//! moto for tests: the launcher's server, plus what tests do through it with rotor's AWS adapters.
//!
//! [`rotor_launch::MotoServer`] only starts, resets and stops moto, so the launcher crate (which the shipped CLI
//! links) needs no AWS SDK. This wrapper adds the test vocabulary that does: SDK configuration and rotor's
//! adapters pointed at the server, the RotateSecret stub (in `moto_rotation`), and RDS fixtures. Everything
//! the launcher offers is reachable through `Deref`.

use std::ops::Deref;

use crate::LaunchError;

/// The tag RDS puts on the master secret it manages for a DB instance, spelled here as AWS writes it rather
/// than taken from rotor-core, so that a fixture cannot hide a mistake in what rotor reads.
const RDS_PRIMARY_INSTANCE_TAG: &str = "aws:rds:primaryDBInstanceArn";

/// A running throwaway moto server (see [`rotor_launch::MotoServer`]). Dropping it stops the server and deletes
/// its log.
#[derive(Debug)]
pub struct MotoServer {
    server: rotor_launch::MotoServer,
}

impl Deref for MotoServer {
    type Target = rotor_launch::MotoServer;

    fn deref(&self) -> &Self::Target {
        &self.server
    }
}

/// A PostgreSQL DB instance in moto's RDS and the master secret RDS manages for it, as
/// [`MotoServer::create_rds_managed_master`] made them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RdsManagedMaster {
    /// The instance's ARN, which the secret's `aws:rds:primaryDBInstanceArn` tag holds.
    pub instance_arn: String,
    /// The endpoint address RDS reports for the instance, e.g. `shop.aaaaaaaaaa.us-east-1.rds.amazonaws.com`.
    pub endpoint: String,
    /// The master secret's ARN: what a child secret names as `masterarn`.
    pub secret_arn: String,
}

impl MotoServer {
    /// Starts moto; see [`rotor_launch::MotoServer::start`].
    ///
    /// # Errors
    /// As [`rotor_launch::MotoServer::start`].
    pub async fn start() -> Result<Self, LaunchError> {
        rotor_launch::MotoServer::start()
            .await
            .map(|server| Self { server })
    }

    /// Stops the server and deletes its log; see [`rotor_launch::MotoServer::stop`].
    ///
    /// # Errors
    /// [`LaunchError::Io`] when the directory cannot be removed.
    pub fn stop(self) -> Result<(), LaunchError> {
        self.server.stop()
    }

    /// CreateSecret: `value` under `name`, with `tags` (key, value). Returns the secret's ARN.
    ///
    /// # Errors
    /// [`LaunchError::Http`] when moto refuses the call or its answer has no ARN.
    pub async fn create_secret(
        &self,
        name: &str,
        value: &serde_json::Value,
        tags: &[(&str, &str)],
    ) -> Result<String, LaunchError> {
        let refused = |detail: String| LaunchError::Http {
            request: format!("CreateSecret {name}"),
            detail,
        };
        let mut request = aws_sdk_secretsmanager::Client::new(&self.sdk_config().await)
            .create_secret()
            .name(name)
            .secret_string(value.to_string());
        for (key, tag_value) in tags {
            request = request.tags(
                aws_sdk_secretsmanager::types::Tag::builder()
                    .key(*key)
                    .value(*tag_value)
                    .build(),
            );
        }
        let created = request
            .send()
            .await
            .map_err(|error| refused(rotor_core::secrets_manager::message_chain(&error)))?;
        created
            .arn()
            .map(str::to_owned)
            .ok_or_else(|| refused("no ARN in the answer".to_owned()))
    }

    /// What RDS makes when a PostgreSQL DB instance is created with a managed master password: the instance
    /// `identifier` (class `db.t3.micro`, 20 GiB, listening on `port`) whose master is `username`, and the
    /// secret `rds!db-<identifier>` holding only that username and `password`, tagged
    /// `aws:rds:primaryDBInstanceArn` with the instance's ARN. A child secret names it as `masterarn`, and
    /// rotor completes it from the tag.
    ///
    /// # Errors
    /// [`LaunchError::Http`] when moto refuses a call or its answer lacks the instance's ARN or endpoint.
    pub async fn create_rds_managed_master(
        &self,
        identifier: &str,
        username: &str,
        password: &str,
        port: u16,
    ) -> Result<RdsManagedMaster, LaunchError> {
        let refused = |detail: String| LaunchError::Http {
            request: format!("RDS CreateDBInstance {identifier}"),
            detail,
        };
        let created = aws_sdk_rds::Client::new(&self.sdk_config().await)
            .create_db_instance()
            .db_instance_identifier(identifier)
            .db_instance_class("db.t3.micro")
            .engine("postgres")
            .allocated_storage(20)
            .master_username(username)
            .master_user_password(password)
            .port(i32::from(port))
            .send()
            .await
            .map_err(|error| refused(rotor_core::secrets_manager::message_chain(&error)))?;
        let instance = created.db_instance();
        let instance_arn = instance.and_then(|instance| instance.db_instance_arn());
        let endpoint = instance
            .and_then(|instance| instance.endpoint())
            .and_then(|endpoint| endpoint.address());
        let (Some(instance_arn), Some(endpoint)) = (instance_arn, endpoint) else {
            return Err(refused("no ARN or endpoint address in the answer".to_owned()));
        };
        let value = serde_json::json!({"username": username, "password": password});
        let secret_arn = self
            .create_secret(
                &format!("rds!db-{identifier}"),
                &value,
                &[(RDS_PRIMARY_INSTANCE_TAG, instance_arn)],
            )
            .await?;
        Ok(RdsManagedMaster {
            instance_arn: instance_arn.to_owned(),
            endpoint: endpoint.to_owned(),
            secret_arn,
        })
    }
}

/// moto started by `crates/testkit/moto/lambda_bridge.py`: RotateSecret as Secrets Manager documents it (the
/// configured function, asynchronous steps that stop at the first failure, `RotateImmediately=false` running only
/// testSecret on a test version that is removed), with every invocation of a rotation function POSTed to a URL
/// the test serves, which runs the real function. The script's docstring lists what moto gets wrong and what the
/// bridge models; [`MotoServer::start_with_lambda_bridge`] starts one.
///
/// Dropping it kills the process and deletes its directory; a test process killed outright leaves no process
/// behind either (the script exits when its parent does), and the next bridge removes its directory.
#[derive(Debug)]
pub struct BridgedMoto {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

/// The bridge script, shipped next to this crate's sources.
const LAMBDA_BRIDGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/moto/lambda_bridge.py");

/// How long the bridge may take to answer `GET /moto-api/`.
const BRIDGE_START_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl MotoServer {
    /// Starts moto through the Lambda bridge (see [`BridgedMoto`]), forwarding invocations to `invoke_url`
    /// (`POST {"FunctionArn", "Payload"}`, answered `{"error": null}` or `{"error": {"errorType",
    /// "errorMessage"}}`).
    ///
    /// The Python is the one that has moto: the interpreter of `$ROTOR_MOTO_SERVER`'s or
    /// `<workspace>/.venv/bin/moto_server`'s shebang, the workspace venv's `python3`, or `python3` on `PATH`,
    /// whichever first imports moto, as its `sys.executable` (so a pyenv shim resolves to the real interpreter).
    ///
    /// # Errors
    /// [`LaunchError::ProgramNotFound`] when no Python has moto, [`LaunchError::Spawn`] or [`LaunchError::Io`]
    /// when the process cannot start, [`LaunchError::Exited`] or [`LaunchError::NotReady`] (with the end of its
    /// log) when it does not come up.
    pub async fn start_with_lambda_bridge(invoke_url: &str) -> Result<BridgedMoto, LaunchError> {
        let python = python_with_moto()?;
        remove_orphaned_bridge_dirs();
        let dir = std::env::temp_dir().join(format!(
            "{BRIDGE_DIR_PREFIX}{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).map_err(|source| LaunchError::Io {
            operation: "create",
            path: dir.clone(),
            source,
        })?;
        let log_path = dir.join("bridge.log");
        let mut last = None;
        for _attempt in 0..3 {
            let port = free_port(&dir)?;
            let log = std::fs::File::create(&log_path).map_err(|source| LaunchError::Io {
                operation: "create",
                path: log_path.clone(),
                source,
            })?;
            let stderr = log.try_clone().map_err(|source| LaunchError::Io {
                operation: "duplicate",
                path: log_path.clone(),
                source,
            })?;
            let child = std::process::Command::new(&python)
                .arg(LAMBDA_BRIDGE)
                .args([
                    "--invoke-url",
                    invoke_url,
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .env("PYTHONUNBUFFERED", "1")
                .stdin(std::process::Stdio::null())
                .stdout(log)
                .stderr(stderr)
                .spawn()
                .map_err(|source| LaunchError::Spawn {
                    program: python.display().to_string(),
                    source,
                })?;
            let mut bridge = BridgedMoto {
                child,
                port,
                dir: dir.clone(),
            };
            match bridge.wait_until_ready().await {
                Ok(()) => return Ok(bridge),
                // Another process may have taken the port between its release and the bind: try another.
                Err(error @ LaunchError::Exited { .. }) => {
                    last = Some(error);
                    bridge.dir = std::path::PathBuf::new();
                }
                Err(error) => return Err(error),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        Err(last.unwrap_or(LaunchError::PortCollisions {
            server: "lambda bridge",
            attempts: 3,
        }))
    }
}

/// The prefix of a bridge's directory, `<tmp>/rotor-testkit-bridge-<test pid>-<n>`.
const BRIDGE_DIR_PREFIX: &str = "rotor-testkit-bridge-";

/// A test process killed outright runs no destructor: its bridge exits by itself (its parent is gone) but the
/// directory stays. Removes those of dead test processes.
fn remove_orphaned_bridge_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(BRIDGE_DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !std::path::Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A loopback port that was free a moment ago.
fn free_port(dir: &std::path::Path) -> Result<u16, LaunchError> {
    let io = |source| LaunchError::Io {
        operation: "bind a free port for",
        path: dir.to_owned(),
        source,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io)?;
    Ok(listener.local_addr().map_err(io)?.port())
}

/// The interpreter of the first candidate that imports moto, as that interpreter's `sys.executable`.
fn python_with_moto() -> Result<std::path::PathBuf, LaunchError> {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let shebang = |script: &std::path::Path| {
        let text = std::fs::read_to_string(script).ok()?;
        let interpreter = text
            .lines()
            .next()?
            .strip_prefix("#!")?
            .split_whitespace()
            .next()?
            .to_owned();
        (!interpreter.ends_with("/env") && !interpreter.ends_with("bash") && !interpreter.ends_with("/sh"))
            .then(|| std::path::PathBuf::from(interpreter))
    };
    let mut candidates = Vec::new();
    if let Some(server) = std::env::var_os(crate::MOTO_SERVER_ENV) {
        candidates.extend(shebang(std::path::Path::new(&server)));
    }
    candidates.extend(shebang(&workspace.join(".venv/bin/moto_server")));
    candidates.push(workspace.join(".venv/bin/python3"));
    candidates.push(std::path::PathBuf::from("python3"));
    for candidate in &candidates {
        let probe = std::process::Command::new(candidate)
            .args(["-c", "import sys, moto; print(sys.executable)"])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output();
        if let Ok(output) = probe
            && output.status.success()
        {
            let executable = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            if !executable.is_empty() {
                return Ok(std::path::PathBuf::from(executable));
            }
        }
    }
    Err(LaunchError::ProgramNotFound {
        program: "a python3 with moto".to_owned(),
        searched: candidates
            .iter()
            .map(|candidate| candidate.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

impl BridgedMoto {
    async fn wait_until_ready(&mut self) -> Result<(), LaunchError> {
        let began = std::time::Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(LaunchError::Exited {
                    server: "lambda bridge",
                    status,
                    log_tail: self.log_tail(),
                });
            }
            if crate::launch::http::request(self.port, "GET", "/moto-api/")
                .await
                .is_ok_and(|response| response.status == 200)
            {
                return Ok(());
            }
            if began.elapsed() > BRIDGE_START_TIMEOUT {
                return Err(LaunchError::NotReady {
                    server: "lambda bridge",
                    waited: began.elapsed(),
                    log_tail: self.log_tail(),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let log = self.log().unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// The endpoint URL for an AWS SDK client, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything the process printed so far (moto's request lines, Python errors).
    ///
    /// # Errors
    /// [`LaunchError::Io`] when the log cannot be read.
    pub fn log(&self) -> Result<String, LaunchError> {
        let path = self.dir.join("bridge.log");
        std::fs::read(&path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|source| LaunchError::Io {
                operation: "read",
                path,
                source,
            })
    }

    /// An SDK configuration for it: region `us-east-1`, static test credentials, its endpoint, the standard
    /// retry mode.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        crate::moto_rotation::test_sdk_config(self.endpoint()).await
    }

    async fn control(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value, LaunchError> {
        let response = crate::launch::http::send(
            self.port,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            &body.to_string(),
        )
        .await?;
        let failed = |detail: String| LaunchError::Http {
            request: format!("POST {path}"),
            detail,
        };
        if response.status != 200 {
            return Err(failed(format!(
                "status {}: {}",
                response.status,
                response.body.trim()
            )));
        }
        serde_json::from_str(&response.body).map_err(|error| failed(error.to_string()))
    }

    /// Rotation configured and turned on for `secret_id` with `function_arn` (30 days), nothing run: the secret
    /// as it looks once its rotation was set up.
    ///
    /// # Errors
    /// [`LaunchError::Http`] when the secret does not exist or the bridge does not answer.
    pub async fn configure_rotation(&self, secret_id: &str, function_arn: &str) -> Result<(), LaunchError> {
        let body = serde_json::json!({"SecretId": secret_id, "FunctionArn": function_arn});
        self.control("/rotor-bridge/configure", &body).await.map(drop)
    }

    /// The first `calls` RotateSecret calls for each secret whose name starts with `name_prefix` are answered
    /// ThrottlingException.
    ///
    /// # Errors
    /// [`LaunchError::Http`] when the bridge does not answer.
    pub async fn throttle_rotate_secret(&self, name_prefix: &str, calls: u32) -> Result<(), LaunchError> {
        let body = serde_json::json!({"NamePrefix": name_prefix, "Calls": calls});
        self.control("/rotor-bridge/throttle", &body).await.map(drop)
    }

    /// The bridge's counters: `RotateSecretCalls`, `Throttled`, `Invocations`, `RotationsStarted`,
    /// `RotationsCompleted`, `RotationsFailed`, `TestsPassed`, `TestsFailed`.
    ///
    /// # Errors
    /// [`LaunchError::Http`] when the bridge does not answer.
    pub async fn stats(&self) -> Result<serde_json::Value, LaunchError> {
        let response = crate::launch::http::request(self.port, "GET", "/rotor-bridge/stats").await?;
        serde_json::from_str(&response.body).map_err(|error| LaunchError::Http {
            request: "GET /rotor-bridge/stats".to_owned(),
            detail: error.to_string(),
        })
    }
}

impl Drop for BridgedMoto {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _already_gone = self.child.kill();
        }
        let _reaped = self.child.wait();
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

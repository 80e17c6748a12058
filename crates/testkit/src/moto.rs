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
/// It is a [`MotoServer`] (through `Deref`) with the bridge's controls: started, logged and stopped by the
/// launcher like every moto server. Dropping it kills the process and deletes its directory; a test process
/// killed outright leaves no process behind either (the script exits when its parent does), and the next
/// bridge removes its directory.
#[derive(Debug)]
pub struct BridgedMoto {
    server: MotoServer,
}

impl Deref for BridgedMoto {
    type Target = MotoServer;

    fn deref(&self) -> &Self::Target {
        &self.server
    }
}

/// The bridge script, shipped next to this crate's sources.
const LAMBDA_BRIDGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/moto/lambda_bridge.py");

impl MotoServer {
    /// Starts moto through the Lambda bridge (see [`BridgedMoto`]), forwarding invocations to `invoke_url`
    /// (`POST {"FunctionArn", "Payload"}`, answered `{"error": null}` or `{"error": {"errorType",
    /// "errorMessage"}}`).
    ///
    /// The Python is the one that has moto: the interpreter of `$ROTOR_MOTO_SERVER`'s or
    /// `<workspace>/.venv/bin/moto_server`'s shebang, the workspace venv's `python3`, or `python3` on `PATH`,
    /// whichever first imports moto, as its `sys.executable` (so a pyenv shim resolves to the real interpreter).
    /// It runs unbuffered (`-u`), so the log is complete when a test reads it.
    ///
    /// # Errors
    /// [`LaunchError::ProgramNotFound`] when no Python has moto; otherwise as
    /// [`rotor_launch::MotoServer::start_program`].
    pub async fn start_with_lambda_bridge(invoke_url: &str) -> Result<BridgedMoto, LaunchError> {
        let python = python_with_moto()?;
        // The directories of moto servers whose test process was killed outright (the launcher names
        // them `rotor-testkit-moto-<pid>-…`); a bridge exits by itself then, its directory stays.
        crate::remove_orphaned_dirs("rotor-testkit-moto-");
        let args = ["-u", LAMBDA_BRIDGE, "--invoke-url", invoke_url];
        let server = rotor_launch::MotoServer::start_program(&python, &args).await?;
        Ok(BridgedMoto {
            server: Self { server },
        })
    }
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
    async fn control(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value, LaunchError> {
        let response = crate::launch::http::send(
            self.port(),
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
        let response = crate::launch::http::request(self.port(), "GET", "/rotor-bridge/stats").await?;
        serde_json::from_str(&response.body).map_err(|error| LaunchError::Http {
            request: "GET /rotor-bridge/stats".to_owned(),
            detail: error.to_string(),
        })
    }
}

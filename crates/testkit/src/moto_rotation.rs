//! A stub rotation Lambda inside moto, so that moto's RotateSecret prepares a rotation exactly
//! as Secrets Manager does: a new version with no value that carries AWSPENDING, and
//! `RotationEnabled = true`. Tests then drive the four steps themselves, as the service would.
//!
//! moto cannot run a real Lambda here (it needs Docker), so the stub is registered with
//! `use_docker: false`: moto "invokes" it without running anything, which leaves the empty
//! placeholder untouched. Without a Lambda, moto's RotateSecret instead copies the current value
//! into a new AWSCURRENT version, which is nothing like the service.

use crate::LaunchError;
use crate::launch::http;
use crate::moto::MotoServer;

/// The stub function's name.
pub const STUB_FUNCTION: &str = "rotor-stub-rotation";
/// An empty zip archive: the stub's code, which never runs.
const EMPTY_ZIP_BASE64: &str = "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==";

fn authorization(service: &str) -> String {
    // moto routes requests by the credential scope; it does not check signatures.
    format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00"
    )
}

impl MotoServer {
    /// Registers the stub rotation Lambda (idempotent) and returns its ARN, for
    /// `RotateSecret(RotationLambdaARN = …)`.
    ///
    /// # Errors
    /// [`LaunchError::Http`] when moto refuses a set-up call.
    pub async fn stub_rotation_lambda(&self) -> Result<String, LaunchError> {
        let port = self.port();
        let check = |request: &str, response: http::Response, accepted: &[u16]| {
            if accepted.contains(&response.status) {
                Ok(())
            } else {
                Err(LaunchError::Http {
                    request: request.to_owned(),
                    detail: format!(
                        "status {}: {}",
                        response.status,
                        response.body.chars().take(300).collect::<String>()
                    ),
                })
            }
        };
        let config = http::send(
            port,
            "POST",
            "/moto-api/config",
            &[],
            r#"{"lambda":{"use_docker":false}}"#,
        )
        .await?;
        check("POST /moto-api/config", config, &[200, 201])?;
        let iam_auth = authorization("iam");
        let role = http::send(
            port,
            "POST",
            "/",
            &[("Authorization", &iam_auth), ("Content-Type", "application/x-www-form-urlencoded")],
            &format!("Action=CreateRole&Version=2010-05-08&RoleName={STUB_FUNCTION}&AssumeRolePolicyDocument=%7B%7D"),
        )
        .await?;
        check("IAM CreateRole", role, &[200, 409])?;
        let lambda_auth = authorization("lambda");
        let body = format!(
            r#"{{"FunctionName":"{STUB_FUNCTION}","Runtime":"provided.al2023","Role":"arn:aws:iam::123456789012:role/{STUB_FUNCTION}","Handler":"bootstrap","Code":{{"ZipFile":"{EMPTY_ZIP_BASE64}"}}}}"#
        );
        let function = http::send(
            port,
            "POST",
            "/2015-03-31/functions",
            &[
                ("Authorization", &lambda_auth),
                ("Content-Type", "application/json"),
            ],
            &body,
        )
        .await?;
        check("Lambda CreateFunction", function, &[200, 201, 409])?;
        Ok(format!(
            "arn:aws:lambda:us-east-1:123456789012:function:{STUB_FUNCTION}"
        ))
    }
}

impl MotoServer {
    /// An SDK configuration for this server: region `us-east-1`, static test credentials, the
    /// server's endpoint, and the standard retry mode.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        test_sdk_config(self.endpoint()).await
    }

    /// rotor's RDS adapter pointed at this server.
    pub async fn rds(&self) -> rotor_core::rds::AwsRds {
        rotor_core::rds::AwsRds::new(aws_sdk_rds::Client::new(&self.sdk_config().await))
    }

    /// rotor's AWS adapter pointed at this server.
    pub async fn secrets_manager(&self) -> rotor_core::AwsSecretsManager {
        rotor_core::AwsSecretsManager::new(aws_sdk_secretsmanager::Client::new(&self.sdk_config().await))
    }

    /// What Secrets Manager does before it invokes a rotation function: RotateSecret with the
    /// stub Lambda and the given token, leaving an empty AWSPENDING version.
    ///
    /// A completed rotation leaves AWSPENDING on the AWSCURRENT version, which the service
    /// accepts and moto refuses (its check is inverted), so that label is removed first.
    ///
    /// # Errors
    /// [`LaunchError::Http`] when the stub cannot be registered or moto refuses a call.
    pub async fn start_rotation(&self, secret_id: &str, token: &str) -> Result<(), LaunchError> {
        let lambda = self.stub_rotation_lambda().await?;
        let client = aws_sdk_secretsmanager::Client::new(&self.sdk_config().await);
        let refused = |request: &str, detail: String| LaunchError::Http {
            request: request.into(),
            detail,
        };
        let description = client
            .describe_secret()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|error| {
                refused(
                    "DescribeSecret",
                    rotor_core::secrets_manager::message_chain(&error),
                )
            })?;
        let finished = description.version_ids_to_stages().and_then(|versions| {
            versions.iter().find_map(|(id, stages)| {
                let has = |label: &str| stages.iter().any(|stage| stage == label);
                (has("AWSCURRENT") && has("AWSPENDING")).then(|| id.clone())
            })
        });
        if let Some(version) = finished {
            client
                .update_secret_version_stage()
                .secret_id(secret_id)
                .version_stage("AWSPENDING")
                .remove_from_version_id(version)
                .send()
                .await
                .map_err(|error| {
                    refused(
                        "UpdateSecretVersionStage",
                        rotor_core::secrets_manager::message_chain(&error),
                    )
                })?;
        }
        client
            .rotate_secret()
            .secret_id(secret_id)
            .client_request_token(token)
            .rotation_lambda_arn(lambda)
            .rotation_rules(
                aws_sdk_secretsmanager::types::RotationRulesType::builder()
                    .automatically_after_days(30)
                    .build(),
            )
            .send()
            .await
            .map_err(|error| LaunchError::Http {
                request: "RotateSecret".into(),
                detail: rotor_core::secrets_manager::message_chain(&error),
            })?;
        Ok(())
    }
}

/// The SDK configuration of a moto server at `endpoint`: region `us-east-1`, static test
/// credentials, the standard retry mode.
pub(crate) async fn test_sdk_config(endpoint: String) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "rotor-testkit",
        ))
        .endpoint_url(endpoint)
        .retry_config(aws_config::retry::RetryConfig::standard())
        .load()
        .await
}

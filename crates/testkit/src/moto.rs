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

//! The master user of alternating users: the secret named by AWSCURRENT's `masterarn`, which
//! may itself be mid-rotation.

use std::future::Future;

use crate::context::SecretContext;
use crate::error::{Classify, ErrorClass, RotationError, RotatorError};
use crate::secret::SecretJson;
use crate::stage::StagingLabel;

use super::master_target::{Completion, complete, needs_completion, relation};
use super::pair::{PairMismatch, check_master_user, same_connection};
use super::secret::{DatabaseSecret, EngineFamily};

/// The label of a login with the master's AWSCURRENT, for logs, errors and fault points.
pub(crate) const MASTER_LABEL: &str = "master";
/// The label of a login with the master's AWSPENDING.
pub(crate) const MASTER_PENDING_LABEL: &str = "master-pending";

/// The master secret named by the `masterarn` field of AWSCURRENT, at its AWSCURRENT version.
#[derive(Debug, Clone)]
pub struct MasterSecret {
    /// The master secret's ARN.
    pub arn: String,
    /// Its AWSCURRENT value.
    pub value: SecretJson,
}

/// Reads the master secret that AWSCURRENT's `masterarn` names, at its AWSCURRENT version. A
/// missing `masterarn` is a malformed AWSCURRENT; a master secret without AWSCURRENT is a
/// Secrets Manager "not found" error.
pub async fn read_master(ctx: &SecretContext<'_>) -> Result<MasterSecret, RotationError> {
    let arn = ctx
        .current()
        .await?
        .required_str("masterarn")
        .map_err(|problem| ctx.malformed("AWSCURRENT", problem))?
        .to_owned();
    let value = ctx
        .other_secret(&arn, StagingLabel::Current, "master AWSCURRENT")
        .await?;
    Ok(MasterSecret { arn, value })
}

/// The master secret's credentials (AWSCURRENT, then AWSPENDING) were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the master secret's credentials were refused ({tried} tried)")]
pub struct MasterRefused {
    /// How many master credentials were tried.
    pub tried: usize,
}

impl Classify for MasterRefused {
    fn class(&self) -> ErrorClass {
        ErrorClass::AuthFailure
    }

    fn error_type(&self) -> &'static str {
        "MasterRefused"
    }
}

/// The master secret's AWSCURRENT, completed from RDS when it is RDS-managed and checked against
/// the child: what [`EngineKit::master_session`](super::EngineKit::master_session) logs in with.
/// Built by [`verify_master`].
#[derive(Debug, Clone)]
pub struct VerifiedMaster {
    arn: String,
    family: EngineFamily,
    current: DatabaseSecret,
    completion: Option<Completion>,
}

impl VerifiedMaster {
    /// The master's AWSCURRENT: its own host, port, database and TLS settings.
    pub fn current(&self) -> &DatabaseSecret {
        &self.current
    }

    /// Whether the host, port and engine came from the RDS or the Redshift API (a master secret
    /// that RDS or Redshift manages).
    pub fn service_managed(&self) -> bool {
        self.completion.is_some()
    }
}

/// Reads and checks the master secret named by AWSCURRENT's `masterarn`, without logging in.
///
/// - An RDS-managed master secret (no `host`; RDS keeps only `username` and `password` in it) is
///   completed from its `aws:rds:primaryDBInstanceArn` / `aws:rds:primaryDBClusterArn` tag and the
///   RDS API (host, port, engine); a missing tag or an RDS error is a typed error. A
///   Redshift-managed one (`aws:redshift:primaryclusterarn`,
///   `aws:redshift-serverless:namespacearn`) is completed from the Redshift API the same way.
/// - The master must manage the child's database: the same host and port, or, when the hosts
///   differ, an endpoint the RDS API proves belongs to the master's instance or cluster (a read
///   replica, a cluster writer or reader endpoint, a member instance). Anything else is
///   [`PairMismatch::Target`](super::PairMismatch::Target).
/// - The master's own user must not be one of the child's pair
///   ([`PairMismatch::MasterInPair`](super::PairMismatch::MasterInPair)).
///
/// Engines call this first, before any login, so that a secret that would make the master act
/// on itself or on another server is refused at once and nothing changes.
pub async fn verify_master(
    ctx: &SecretContext<'_>,
    family: &EngineFamily,
    child: &DatabaseSecret,
) -> Result<VerifiedMaster, RotatorError> {
    let master = read_master(ctx).await?;
    let completion = if needs_completion(&master.value) {
        Some(complete(ctx, &master.arn).await?)
    } else {
        None
    };
    let json = completion.as_ref().map_or_else(
        || master.value.clone(),
        |completion| completion.apply(&master.value),
    );
    let current = parse_master(&master.arn, &json, "master AWSCURRENT", family)?;
    check_master_user(&current, child)?;
    if let Err(field) = current.same_server(child) {
        let related = match ctx.rds() {
            Some(rds) => relation(rds, &current, completion.as_ref().map(|c| &c.resource), child).await?,
            None => None,
        };
        match related {
            Some(how) => tracing::info!(
                secret_id = ctx.secret_id(),
                relation = ?how,
                "the RDS API shows that the child's endpoint belongs to the master's database"
            ),
            None => {
                return Err(PairMismatch::Target {
                    first: "the master secret",
                    second: "AWSCURRENT",
                    field,
                }
                .into());
            }
        }
    }
    Ok(VerifiedMaster {
        arn: master.arn.clone(),
        family: *family,
        current,
        completion,
    })
}

/// Logs in as the master user: with the master's AWSCURRENT, then, only when that is refused,
/// with the master's AWSPENDING (the master is itself mid-rotation).
///
/// `login` receives the label ([`MASTER_LABEL`] or [`MASTER_PENDING_LABEL`]) and the master
/// version as stored (completed from RDS for an RDS-managed secret): its own host, port,
/// database and TLS settings. Nothing of the child's (its database, whose owner is not the
/// platform team, or its `ssl`/`ssl_ca`) reaches the master's session. The master's AWSPENDING is
/// used only when it connects exactly as its AWSCURRENT does. Only an [`ErrorClass::AuthFailure`]
/// moves on to AWSPENDING; when every master credential is refused the error is
/// [`MasterRefused`].
pub(crate) async fn master_login<T, F, Fut>(
    ctx: &SecretContext<'_>,
    master: &VerifiedMaster,
    mut login: F,
) -> Result<T, RotatorError>
where
    F: FnMut(&'static str, DatabaseSecret) -> Fut,
    Fut: Future<Output = Result<T, RotatorError>>,
{
    match login(MASTER_LABEL, master.current.clone()).await {
        Ok(session) => return Ok(session),
        Err(error) if error.class() == ErrorClass::AuthFailure => {}
        Err(error) => return Err(error),
    }
    let pending = match ctx
        .other_secret(&master.arn, StagingLabel::Pending, "master AWSPENDING")
        .await
    {
        Ok(pending) => pending,
        Err(error) if error.is_not_found() => return Err(MasterRefused { tried: 1 }.into()),
        Err(error) => return Err(error.into()),
    };
    tracing::warn!(
        secret_id = ctx.secret_id(),
        "the master's AWSCURRENT was refused; trying the master's AWSPENDING"
    );
    let pending = master
        .completion
        .as_ref()
        .map_or(pending.clone(), |completion| completion.apply(&pending));
    let pending = parse_master(&master.arn, &pending, "master AWSPENDING", &master.family)?;
    same_connection(
        "master AWSCURRENT",
        &master.current,
        "master AWSPENDING",
        &pending,
    )?;
    match login(MASTER_PENDING_LABEL, pending).await {
        Ok(session) => Ok(session),
        Err(error) if error.class() == ErrorClass::AuthFailure => Err(MasterRefused { tried: 2 }.into()),
        Err(error) => Err(error),
    }
}

/// One version of the master secret, parsed for `family`.
fn parse_master(
    arn: &str,
    json: &SecretJson,
    version: &str,
    family: &EngineFamily,
) -> Result<DatabaseSecret, RotationError> {
    DatabaseSecret::parse(json, family).map_err(|problem| RotationError::MalformedSecret {
        secret_id: arn.to_owned(),
        version: version.to_owned(),
        problem,
    })
}

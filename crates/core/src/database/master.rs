//! The master user of alternating users: the secret named by AWSCURRENT's `masterarn`, which
//! may itself be mid-rotation.

use std::future::Future;

use crate::context::SecretContext;
use crate::error::{Classify, ErrorClass, RotationError, RotatorError};
use crate::secret::SecretJson;

use super::pair::{check_master, same_connection};
use super::secret::{DatabaseSecret, EngineFamily};

/// The label of a login with the master's AWSCURRENT, for logs, errors and fault points.
pub const MASTER_LABEL: &str = "master";
/// The label of a login with the master's AWSPENDING.
pub const MASTER_PENDING_LABEL: &str = "master-pending";

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

/// Checks the master secret's AWSCURRENT against `child` without logging in: it parses for
/// `family`, names the child's host and port, and its user is not one of the child's pair
/// ([`PairMismatch::MasterInPair`](super::PairMismatch::MasterInPair)). [`master_login`] runs the
/// same checks; engines call this first, before any other login, so that a secret that would make
/// the master act on itself or on another server is refused with a permanent error at once.
pub async fn check_master_secret(
    ctx: &SecretContext<'_>,
    family: &EngineFamily,
    child: &DatabaseSecret,
) -> Result<(), RotatorError> {
    let master = ctx.master().await?;
    master_version(&master.arn, &master.value, "master AWSCURRENT", family, child).map(drop)
}

/// Logs in as the master user: with the master's AWSCURRENT, then, only when that is refused,
/// with the master's AWSPENDING (the master is itself mid-rotation).
///
/// Each master version is parsed for `family` (a malformed one is a
/// [`RotationError::MalformedSecret`] of the master secret) and checked before `login` is
/// called: it must name `child`'s host and port
/// ([`PairMismatch::Target`](super::PairMismatch::Target)), its user must not be one of the
/// child's pair ([`PairMismatch::MasterInPair`](super::PairMismatch::MasterInPair)), and the
/// master's AWSPENDING must connect exactly as its AWSCURRENT does.
///
/// `login` receives the label ([`MASTER_LABEL`] or [`MASTER_PENDING_LABEL`]) and the master
/// version as stored: its own host, port, database and TLS settings. Nothing of the child's
/// (its database, whose owner is not the platform team, or its `ssl`/`ssl_ca`) reaches the
/// master's session. Only an [`ErrorClass::AuthFailure`] moves on to AWSPENDING; when every
/// master credential is refused the error is [`MasterRefused`].
pub async fn master_login<T, F, Fut>(
    ctx: &SecretContext<'_>,
    family: &EngineFamily,
    child: &DatabaseSecret,
    mut login: F,
) -> Result<T, RotatorError>
where
    F: FnMut(&'static str, DatabaseSecret) -> Fut,
    Fut: Future<Output = Result<T, RotatorError>>,
{
    let master = ctx.master().await?;
    let current = master_version(&master.arn, &master.value, "master AWSCURRENT", family, child)?;
    let reference = current.clone();
    match login(MASTER_LABEL, current).await {
        Ok(session) => return Ok(session),
        Err(error) if error.class() == ErrorClass::AuthFailure => {}
        Err(error) => return Err(error),
    }
    let Some(pending) = ctx.master_pending().await? else {
        return Err(MasterRefused { tried: 1 }.into());
    };
    tracing::warn!(
        secret_id = ctx.secret_id(),
        "the master's AWSCURRENT was refused; trying the master's AWSPENDING"
    );
    let pending = master_version(&master.arn, &pending, "master AWSPENDING", family, child)?;
    same_connection("master AWSCURRENT", &reference, "master AWSPENDING", &pending)?;
    match login(MASTER_PENDING_LABEL, pending).await {
        Ok(session) => Ok(session),
        Err(error) if error.class() == ErrorClass::AuthFailure => Err(MasterRefused { tried: 2 }.into()),
        Err(error) => Err(error),
    }
}

/// One version of the master secret, parsed and checked against the child.
fn master_version(
    arn: &str,
    json: &SecretJson,
    version: &str,
    family: &EngineFamily,
    child: &DatabaseSecret,
) -> Result<DatabaseSecret, RotatorError> {
    let master = DatabaseSecret::parse(json, family).map_err(|problem| RotationError::MalformedSecret {
        secret_id: arn.to_owned(),
        version: version.to_owned(),
        problem,
    })?;
    check_master(&master, child)?;
    Ok(master)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::secret::tests::{POSTGRES, app, json};

    #[test]
    fn a_master_version_keeps_its_own_database_and_tls() {
        let child = app("app", r#","dbname":"shop","ssl":false"#);
        let master = master_version(
            "arn:master",
            &json(r#"{"engine":"postgres","host":"DB","username":"admin","password":"m"}"#),
            "master AWSCURRENT",
            &POSTGRES,
            &child,
        )
        .unwrap();
        assert_eq!(
            (master.username.as_str(), master.dbname.as_deref(), master.tls),
            (
                "admin",
                Some("postgres"),
                super::super::TlsMode::VerifyFull { ca_bundle: None }
            ),
            "neither the child's database nor its TLS opt-out reaches the master's session"
        );
    }

    #[test]
    fn a_master_version_that_is_the_childs_user_is_refused() {
        let child = app("admin_clone", "");
        let refused = master_version(
            "arn:master",
            &json(r#"{"engine":"postgres","host":"db","username":"admin","password":"m"}"#),
            "master AWSCURRENT",
            &POSTGRES,
            &child,
        )
        .unwrap_err();
        assert_eq!(refused.error_type(), "MasterInPair");
    }

    #[test]
    fn a_master_version_for_another_server_or_malformed_is_refused() {
        let child = app("app", "");
        let elsewhere = master_version(
            "arn:master",
            &json(r#"{"engine":"postgres","host":"elsewhere","username":"admin","password":"m"}"#),
            "master AWSCURRENT",
            &POSTGRES,
            &child,
        )
        .unwrap_err();
        assert_eq!(elsewhere.error_type(), "TargetMismatch");
        let malformed = master_version(
            "arn:master",
            &json(r#"{"engine":"postgres","host":"db","password":"m"}"#),
            "master AWSPENDING",
            &POSTGRES,
            &child,
        )
        .unwrap_err();
        assert_eq!(malformed.error_type(), "MalformedSecret");
        assert!(
            malformed
                .to_string()
                .contains("master AWSPENDING value of secret arn:master"),
            "{malformed}"
        );
    }
}

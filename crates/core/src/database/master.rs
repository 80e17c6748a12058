//! The master user of alternating users: the secret named by AWSCURRENT's `masterarn`, which
//! may itself be mid-rotation.

use std::future::Future;

use crate::context::SecretContext;
use crate::error::{Classify, ErrorClass, RotationError, RotatorError};
use crate::secret::SecretJson;

use super::pair::check_master;
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

/// Logs in as the master user: with the master's AWSCURRENT, then, only when that is refused,
/// with the master's AWSPENDING (the master is itself mid-rotation).
///
/// Each master version is parsed for `family` (a malformed one is a
/// [`RotationError::MalformedSecret`] of the master secret) and must name `child`'s host and
/// port ([`PairMismatch::Target`](super::PairMismatch::Target)) before `login` is called.
/// `login` receives the label ([`MASTER_LABEL`] or [`MASTER_PENDING_LABEL`]) and the master's
/// credentials and TLS settings on `child`'s database. Only an [`ErrorClass::AuthFailure`] moves
/// on to AWSPENDING; when every master credential is refused the error is [`MasterRefused`].
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
    match login(MASTER_PENDING_LABEL, pending).await {
        Ok(session) => Ok(session),
        Err(error) if error.class() == ErrorClass::AuthFailure => Err(MasterRefused { tried: 2 }.into()),
        Err(error) => Err(error),
    }
}

/// One version of the master secret, checked against the child and moved to its database.
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
    Ok(DatabaseSecret {
        dbname: child.dbname.clone(),
        ..master
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::secret::tests::{POSTGRES, app, json};

    #[test]
    fn a_master_version_logs_in_to_the_childs_database() {
        let child = app("app", r#","dbname":"shop""#);
        let master = master_version(
            "arn:master",
            &json(r#"{"engine":"postgres","host":"DB","username":"admin","password":"m","ssl":false}"#),
            "master AWSCURRENT",
            &POSTGRES,
            &child,
        )
        .unwrap();
        assert_eq!(
            (master.username.as_str(), master.dbname.as_deref(), master.tls),
            ("admin", Some("shop"), super::super::TlsMode::Disabled)
        );
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

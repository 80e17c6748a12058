//! Single user: the user changes its own password, logged in with whichever stored password of
//! that user still works.

use std::future::Future;

use secrecy::SecretString;

use crate::context::{CreateContext, StepContext};
use crate::error::{Classify, ErrorClass, RotatorError};
use crate::secret::SecretJson;

use super::fallback::{CredentialSource, login_with_fallback};
use super::pair::check_single_user;
use super::secret::{DatabaseSecret, EngineFamily};

/// createSecret for a single user: AWSCURRENT with a new password, after checking that AWSCURRENT
/// is a valid secret of `family`, so that a malformed secret fails here and nothing is stored.
///
/// Second run: core finds the pending value and does not call this.
pub(crate) async fn single_user_pending(
    ctx: &CreateContext<'_>,
    family: &EngineFamily,
) -> Result<SecretJson, RotatorError> {
    DatabaseSecret::parse(ctx.current(), family).map_err(|problem| ctx.malformed("AWSCURRENT", problem))?;
    let mut pending = ctx.current().clone();
    pending.set_password(&ctx.new_password().await?);
    Ok(pending)
}

/// What [`EngineKit::single_user_login`](super::EngineKit::single_user_login) found.
#[derive(Debug)]
#[non_exhaustive]
pub struct SingleUserLogin<T> {
    /// AWSPENDING, parsed and checked against AWSCURRENT.
    pub pending: DatabaseSecret,
    /// The version whose password logged in. [`CredentialSource::Pending`] means a previous run
    /// already set the password: there is nothing left to change.
    pub source: CredentialSource,
    /// The password that logged in: AWSCURRENT's in a healthy rotation.
    pub password: SecretString,
    /// What the engine's login returned, normally an open session.
    pub session: T,
}

/// setSecret's login for a single user: parses AWSPENDING and AWSCURRENT for `family`, checks
/// that they name the same user on the same target ([`check_single_user`]), then logs in as that
/// user with the stored passwords in [`login_with_fallback`]'s order.
///
/// `login` receives the version being tried as it was stored, and only when that version names
/// the pending user and connects exactly as AWSPENDING does (host, port, database, `ssl` and
/// `ssl_ca`, see [`DatabaseSecret::same_connection`]). So each stored password goes only to the
/// server and over the transport it was recorded with, and only when that is where this rotation
/// happens: a writer who points a new version at their own server, or turns TLS off, collects no
/// older password. A version that fails these checks, or is not a valid secret of `family`,
/// counts as refused and is skipped without a login attempt. Logs when AWSPENDING already works
/// and when an older version had to be used.
pub(crate) async fn single_user_login<T, F, Fut>(
    ctx: &StepContext<'_>,
    family: &EngineFamily,
    mut login: F,
) -> Result<SingleUserLogin<T>, RotatorError>
where
    F: FnMut(CredentialSource, DatabaseSecret) -> Fut + Send,
    Fut: Future<Output = Result<T, RotatorError>> + Send,
    T: Send,
{
    let pending = DatabaseSecret::pending(ctx, family)?;
    let current = DatabaseSecret::current(ctx, family).await?;
    check_single_user(&current, &pending)?;
    let (source, (password, session)) = login_with_fallback(ctx, |source, json| {
        let attempt = candidate(&pending, &json, family).map(|credential| {
            let password = credential.password.clone();
            (password, login(source, credential))
        });
        async move {
            let (password, opened) = attempt?;
            Ok((password, opened.await?))
        }
    })
    .await?;
    match &source {
        CredentialSource::Pending => tracing::info!(
            secret_id = ctx.secret_id(),
            "AWSPENDING already logs in: the password is already set"
        ),
        CredentialSource::Current => {}
        older => tracing::warn!(
            secret_id = ctx.secret_id(),
            source = %older,
            "recovered access with an older version; replacing its password with AWSPENDING's"
        ),
    }
    Ok(SingleUserLogin {
        pending,
        source,
        password,
        session,
    })
}

/// A stored version that cannot log in as the pending user. It is never reported: it only makes
/// [`login_with_fallback`] move on, as a refused credential would.
#[derive(Debug, thiserror::Error)]
#[error("the stored credential is not a usable credential of the user being rotated")]
struct SkippedCredential;

impl Classify for SkippedCredential {
    fn class(&self) -> ErrorClass {
        ErrorClass::AuthFailure
    }

    fn error_type(&self) -> &'static str {
        "CredentialSkipped"
    }
}

/// A stored version, if it is a valid secret of `family` for the pending user that connects
/// exactly as AWSPENDING does.
fn candidate(
    pending: &DatabaseSecret,
    json: &SecretJson,
    family: &EngineFamily,
) -> Result<DatabaseSecret, SkippedCredential> {
    let stored = DatabaseSecret::parse(json, family).map_err(|_| SkippedCredential)?;
    if stored.username != pending.username || pending.same_connection(&stored).is_err() {
        return Err(SkippedCredential);
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::secret::tests::{POSTGRES, app, json};
    use secrecy::ExposeSecret;

    #[test]
    fn candidates_are_stored_versions_on_the_pending_connection() {
        let pending = app("app", r#","ssl":false"#);
        let stored =
            json(r#"{"engine":"postgres","host":"DB","username":"app","password":"older","ssl":"false"}"#);
        let login = candidate(&pending, &stored, &POSTGRES).unwrap();
        assert_eq!(login.password.expose_secret(), "older");
        assert_eq!(
            (login.host.as_str(), login.port, login.dbname, login.tls),
            ("DB", 5432, Some("postgres".to_owned()), pending.tls)
        );
    }

    #[test]
    fn versions_recorded_for_another_connection_are_never_sent_anywhere() {
        let pending = app("app", "");
        for stored in [
            r#"{"engine":"postgres","host":"elsewhere","username":"app","password":"older"}"#,
            r#"{"engine":"postgres","host":"db","port":1,"username":"app","password":"older"}"#,
            r#"{"engine":"postgres","host":"db","dbname":"x","username":"app","password":"older"}"#,
            r#"{"engine":"postgres","host":"db","ssl":false,"username":"app","password":"older"}"#,
            r#"{"engine":"postgres","host":"db","ssl_ca":"/ca.pem","username":"app","password":"older"}"#,
        ] {
            assert!(candidate(&pending, &json(stored), &POSTGRES).is_err(), "{stored}");
        }
    }

    #[test]
    fn versions_of_another_user_or_unusable_ones_are_skipped() {
        let pending = app("app", "");
        for stored in [
            r#"{"engine":"postgres","host":"db","username":"postgres","password":"theirs"}"#,
            r#"{"engine":"postgres","host":"db","username":"app"}"#,
            r#"{"engine":"mysql","host":"db","username":"app","password":"pw"}"#,
        ] {
            let error = candidate(&pending, &json(stored), &POSTGRES).unwrap_err();
            assert_eq!(error.class(), ErrorClass::AuthFailure, "{stored}");
        }
    }
}

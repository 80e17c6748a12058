//! Whether an existing account that is about to receive the pending password belongs to this secret.
//!
//! Writing a secret proves nothing: whoever may call PutSecretValue can make any version name any user. So an
//! account is this secret's only when it accepts a password this secret stores for it: AWSPENDING's (a run
//! that crashed after `CREATE USER` or `ALTER USER` left it there, so retries converge), AWSPREVIOUS's (the
//! steady state: the user that is not current still holds the password it had one rotation ago) or a recent
//! unlabelled version's. Only versions that name the account's user and connect exactly as AWSPENDING does
//! ([`DatabaseSecret::same_connection`]) count, so no stored password is ever sent anywhere else.
//!
//! For `mysql_native_password` the proof is a comparison with the stored hash, which needs no login. For
//! other plugins (MySQL's `caching_sha2_password`, `sha256_password`) it is a login on AWSPENDING's
//! connection; a refused one only happens when the account is not provably ours, and a locked account stops
//! the search at once. MariaDB has no account comment or attribute that could carry a marker instead.

use rotor_core::database::{DatabaseSecret, EngineKit, RECENT_VERSION_LIMIT};
use rotor_core::{RotatorError, SecretJson, StepContext};
use secrecy::ExposeSecret;

use crate::account_options::StoredAccount;
use crate::engine::MySql;
use crate::password_hash::{AuthPlugin, native_hash_matches};
use crate::secret::MYSQL;

/// The proof rules for one rotation.
#[derive(Debug, Clone)]
pub(crate) struct Ownership<'a> {
    pub(crate) kit: &'a EngineKit<MySql>,
}

impl Ownership<'_> {
    /// Whether `stored` accepts a stored credential of this secret for its user (see the module
    /// documentation). `pending` is AWSPENDING, whose user is `stored`'s.
    ///
    /// Native accounts are compared in order AWSPENDING, AWSPREVIOUS, recent versions; for other plugins
    /// AWSPREVIOUS is tried first, because in the steady state it is the one that logs in.
    pub(crate) async fn proven(
        &self,
        ctx: &StepContext<'_>,
        stored: &StoredAccount,
        pending: &DatabaseSecret,
    ) -> Result<bool, RotatorError> {
        let native = stored.plugin == AuthPlugin::Native;
        if native && self.accepts(ctx, stored, pending).await? {
            return Ok(true);
        }
        if let Some(previous) = ctx.previous().await?
            && let Some(secret) = candidate(previous, stored, pending)
            && self.accepts(ctx, stored, &secret).await?
        {
            return Ok(true);
        }
        if !native && self.accepts(ctx, stored, pending).await? {
            return Ok(true);
        }
        for version in ctx.recent_versions(RECENT_VERSION_LIMIT).await? {
            if let Some(secret) = candidate(&version.value, stored, pending)
                && self.accepts(ctx, stored, &secret).await?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether `stored` accepts `secret`'s password: by comparing `mysql_native_password` hashes, or by a login
    /// as `stored`'s exact account to `secret`'s own target (which [`candidate`] checked is AWSPENDING's).
    async fn accepts(
        &self,
        ctx: &StepContext<'_>,
        stored: &StoredAccount,
        secret: &DatabaseSecret,
    ) -> Result<bool, RotatorError> {
        if stored.plugin == AuthPlugin::Native {
            return Ok(native_hash_matches(
                stored.authentication.expose_secret(),
                &secret.password,
            ));
        }
        let login = self.kit.open(secret, "ownership probe", ctx.deadline()).await;
        match login {
            Ok(session) => {
                let same_account = session.account().host.eq_ignore_ascii_case(&stored.account.host);
                session.close().await;
                Ok(same_account)
            }
            Err(error) if error.is_auth_failure() => Ok(false),
            Err(error) => Err(error.into()),
        }
    }
}

/// A stored version as evidence for `stored`: only if it is a valid secret for `stored`'s user that connects
/// exactly as AWSPENDING does. Anything else is ignored, and its password goes nowhere.
fn candidate(json: &SecretJson, stored: &StoredAccount, pending: &DatabaseSecret) -> Option<DatabaseSecret> {
    let secret = DatabaseSecret::parse(json, &MYSQL).ok()?;
    (secret.username == stored.account.user && pending.same_connection(&secret).is_ok()).then_some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Account;
    use crate::account_options::{ResourceLimits, TlsRequirement};
    use rotor_core::SecretValue;
    use secrecy::SecretString;

    fn json(text: &str) -> SecretJson {
        SecretJson::parse(&SecretValue::new(text)).unwrap()
    }

    fn pending() -> DatabaseSecret {
        DatabaseSecret::parse(
            &json(r#"{"engine":"mariadb","host":"db","port":3306,"username":"app_clone","password":"new"}"#),
            &MYSQL,
        )
        .unwrap()
    }

    fn stored() -> StoredAccount {
        StoredAccount {
            account: Account::new("app_clone", "%"),
            plugin: AuthPlugin::Native,
            authentication: SecretString::from("*00"),
            tls: TlsRequirement::None,
            limits: ResourceLimits::default(),
        }
    }

    #[test]
    fn only_versions_of_the_same_user_on_the_pending_connection_are_evidence() {
        let version = |extra: &str| {
            json(&format!(
                r#"{{"engine":"mariadb","host":"db","port":3306,"username":"app_clone","password":"old"{extra}}}"#
            ))
        };
        assert!(candidate(&version(""), &stored(), &pending()).is_some());
        assert!(
            candidate(&version(r#","host":"DB""#), &stored(), &pending()).is_some(),
            "host names are case-insensitive"
        );
        for elsewhere in [
            r#","host":"127.0.0.1""#,
            r#","port":1"#,
            r#","dbname":"other""#,
            r#","ssl":false"#,
            r#","ssl_ca":"/evil.pem""#,
            r#","username":"app""#,
            r#","engine":"postgres""#,
        ] {
            assert!(
                candidate(&version(elsewhere), &stored(), &pending()).is_none(),
                "{elsewhere}"
            );
        }
    }
}

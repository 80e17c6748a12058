//! Whether an existing account with the clone's name may be taken over.
//!
//! MariaDB has no account comment or attribute that could carry a marker, so ownership is proven by
//! credentials and by the secret's own history: the account already holds the pending password or the
//! password of a recent version for that name, or AWSPREVIOUS names it (it was this secret's user one
//! rotation ago). Anything else is refused, never taken over, unless the operator explicitly allows it.

use rotor_core::database::{DatabaseSecret, RECENT_VERSION_LIMIT};
use rotor_core::fault::FaultPoints;
use rotor_core::{RotatorError, StepContext};
use secrecy::ExposeSecret;

use crate::account_options::StoredAccount;
use crate::connect::{Session, Target};
use crate::password_hash::{AuthPlugin, native_hash_matches};
use crate::secret::MYSQL;

/// The proof rules, with the operator's override.
#[derive(Debug, Clone)]
pub(crate) struct Ownership<'a> {
    pub(crate) faults: &'a FaultPoints,
    pub(crate) adopt_anyway: bool,
}

impl Ownership<'_> {
    /// Whether `stored` accepts `secret`'s password: by comparing `mysql_native_password` hashes, which needs
    /// no login, or else by logging in (a refused login here happens only on this exceptional path).
    async fn proves(
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
        let login = Session::open(
            &Target::of(secret),
            &stored.account.user,
            &secret.password,
            "clone probe",
            self.faults,
            ctx.deadline(),
        )
        .await;
        match login {
            Ok(session) => {
                session.close().await;
                Ok(true)
            }
            Err(error) if error.is_auth_failure() => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Whether an existing account named like the clone is provably this secret's clone.
    pub(crate) async fn is_ours(
        &self,
        ctx: &StepContext<'_>,
        stored: &StoredAccount,
        pending: &DatabaseSecret,
    ) -> Result<bool, RotatorError> {
        if self.adopt_anyway {
            return Ok(true);
        }
        // Cheapest proofs first, and no login probe before the secret's history is consulted, so that the
        // steady state (the clone holds AWSPREVIOUS's password) never costs a refused login.
        let native = stored.plugin == AuthPlugin::Native;
        if native && self.proves(ctx, stored, pending).await? {
            return Ok(true);
        }
        let name = &stored.account.user;
        let previous = ctx.previous().await?;
        if previous.and_then(|json| json.optional_str("username").ok().flatten()) == Some(name.as_str()) {
            return Ok(true);
        }
        if !native && self.proves(ctx, stored, pending).await? {
            return Ok(true);
        }
        for version in ctx.recent_versions(RECENT_VERSION_LIMIT).await? {
            let Ok(secret) = DatabaseSecret::parse(&version.value, &MYSQL) else {
                continue;
            };
            if secret.username == *name && self.proves(ctx, stored, &secret).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

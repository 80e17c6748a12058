//! Single user: the user changes its own password, logged in with whichever stored password of
//! that user still works.

use std::fmt;
use std::future::Future;

use secrecy::SecretString;

use crate::context::{CreateContext, SecretContext, StepContext};
use crate::error::RotatorError;
use crate::rotator::Rotator;
use crate::secret::SecretJson;
use crate::settings::InvalidSetting;

use super::super::engine::Engine;
use super::super::fallback::CredentialSource;
use super::super::kit::EngineKit;
use super::super::secret::DatabaseSecret;
use super::super::single_user::SingleUserLogin;

/// What a single-user rotation of an engine does that is the engine's own: the statement that
/// changes the logged-in user's password, and the settings it reads.
pub trait OwnPassword: Default + fmt::Debug + Send + Sync + 'static {
    /// The engine it runs on.
    type Engine: Engine;
    /// The function's name, as in the template and the metrics' `Rotator` dimension.
    const FUNCTION: &'static str;
    /// The default for `EXCLUDE_CHARACTERS`: characters a password of this engine cannot hold.
    const EXCLUDE_CHARACTERS: &'static str;

    /// Reads the engine's own settings from the environment. None by default.
    fn from_env() -> Result<Self, InvalidSetting> {
        Ok(Self::default())
    }

    /// Changes the password of the user `session` logged in as, from `old` (the password that
    /// logged in) to `pending`'s. Runs only when the login was not already AWSPENDING's; the
    /// session is closed afterwards, whatever this returns. `kit` opens any other session the
    /// engine needs (a probe), through the same fault points and host overrides.
    fn change_own_password(
        &self,
        ctx: &StepContext<'_>,
        kit: &EngineKit<Self::Engine>,
        session: &mut <Self::Engine as Engine>::Session,
        pending: &DatabaseSecret,
        old: &SecretString,
    ) -> impl Future<Output = Result<(), RotatorError>> + Send;
}

/// Rotates the password of the user the secret names, logged in as that user.
///
/// setSecret logs in with AWSCURRENT first, so a healthy rotation never fails a login. If
/// AWSCURRENT is refused, AWSPENDING is tried (success means a previous run already set it:
/// nothing changes), then AWSPREVIOUS, then the newest unlabelled versions (a password set by a
/// rotation that was later cancelled), each only over AWSPENDING's own connection. testSecret
/// logs in with AWSPENDING over the TLS it demands and checks who the session is; without a
/// pending value (Secrets Manager testing a configuration) AWSCURRENT must log in the same way.
pub struct SingleUser<P: OwnPassword> {
    kit: EngineKit<P::Engine>,
    plan: P,
}

impl<P: OwnPassword> Default for SingleUser<P> {
    fn default() -> Self {
        Self::with_plan(P::default())
    }
}

impl<P: OwnPassword + Clone> Clone for SingleUser<P> {
    fn clone(&self) -> Self {
        Self {
            kit: self.kit.clone(),
            plan: self.plan.clone(),
        }
    }
}

impl<P: OwnPassword> fmt::Debug for SingleUser<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SingleUser")
            .field("function", &P::FUNCTION)
            .field("plan", &self.plan)
            .field("kit", &self.kit)
            .finish()
    }
}

impl<P: OwnPassword> SingleUser<P> {
    /// The rotator with the engine's default settings, no fault points and no host overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// The rotator with `plan`'s settings.
    pub fn with_plan(plan: P) -> Self {
        Self {
            kit: EngineKit::new(),
            plan,
        }
    }

    /// The rotator a Lambda binary runs: the engine's settings from the environment.
    pub fn from_env() -> Result<Self, InvalidSetting> {
        Ok(Self::with_plan(P::from_env()?))
    }

    kit_builders!();
}

impl<P: OwnPassword> Rotator for SingleUser<P> {
    plan_identity!();

    /// createSecret: AWSCURRENT with a new password, once AWSCURRENT is a valid secret of the
    /// engine (so a malformed secret fails here and nothing is stored).
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        self.kit.single_user_pending(ctx).await
    }

    /// setSecret: AWSPENDING must change AWSCURRENT's user on the same connection; then the kit's
    /// login order, and the engine's statement unless AWSPENDING already logs in.
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let SingleUserLogin {
            pending,
            source,
            password,
            mut session,
            ..
        } = self.kit.single_user_login(ctx).await?;
        let changed = if source == CredentialSource::Pending {
            Ok(())
        } else {
            self.plan
                .change_own_password(ctx, &self.kit, &mut session, &pending, &password)
                .await
        };
        P::Engine::close(session).await;
        changed
    }

    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        self.kit.test_current(ctx).await
    }
}

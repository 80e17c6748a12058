//! Alternating users: a master user sets the password of whichever of `name` / `name_clone` is
//! not in use, so the credential applications hold keeps working throughout the rotation.

use std::fmt;
use std::future::Future;

use crate::context::{CreateContext, SecretContext, StepContext};
use crate::error::RotatorError;
use crate::rotator::Rotator;
use crate::secret::SecretJson;
use crate::settings::InvalidSetting;

use super::super::engine::Engine;
use super::super::kit::{AlternatingLogin, EngineKit};
use super::super::pair::UserPair;
use super::super::secret::DatabaseSecret;
use super::super::username::UsernameSetting;

/// What an alternating-users rotation of an engine does that is the engine's own: what it reads
/// from AWSCURRENT's session, the master's statements, and the settings it reads.
pub trait AlternatePassword: Default + fmt::Debug + Send + Sync + 'static {
    /// The engine it runs on.
    type Engine: Engine;
    /// What the engine reads from AWSCURRENT's session before it closes (MySQL: the host the
    /// login matched); `()` when nothing.
    type Current: Send;
    /// The function's name, as in the template and the metrics' `Rotator` dimension.
    const FUNCTION: &'static str;
    /// The default for `EXCLUDE_CHARACTERS`: characters a password of this engine cannot hold.
    const EXCLUDE_CHARACTERS: &'static str;

    /// Reads the engine's own settings from the environment. None by default.
    fn from_env() -> Result<Self, InvalidSetting> {
        Ok(Self::default())
    }

    /// Reads what the master's statements need from AWSCURRENT's session.
    fn inspect_current(session: &<Self::Engine as Engine>::Session) -> Self::Current;

    /// As the master, gives `pending`'s user (one of `pair`) `pending`'s password, creating the
    /// clone first when it does not exist yet. Runs after the kit proved AWSCURRENT and checked
    /// the master secret; `master` is closed afterwards, whatever this returns. Must converge
    /// when run again.
    fn set_alternate_password(
        &self,
        ctx: &StepContext<'_>,
        kit: &EngineKit<Self::Engine>,
        master: &mut <Self::Engine as Engine>::Session,
        pending: &DatabaseSecret,
        pair: &UserPair,
        current: &Self::Current,
    ) -> impl Future<Output = Result<(), RotatorError>> + Send;
}

/// Rotates between two users, `name` and `name_clone`, through the master user named by
/// `masterarn`.
///
/// createSecret toggles the user name and refuses, before storing anything, an AWSCURRENT
/// without `masterarn` and a clone name over the engine's limit or `USERNAME_CHARACTER_LIMIT`.
/// setSecret checks that AWSPENDING and AWSCURRENT form the pair on one connection, reads and
/// checks the master secret (completed from RDS when RDS manages it), proves that AWSCURRENT
/// logs in, and only then lets the master act. testSecret logs in with AWSPENDING; the
/// configuration test logs in with AWSCURRENT and as the master.
pub struct AlternatingUsers<P: AlternatePassword> {
    kit: EngineKit<P::Engine>,
    plan: P,
    username_setting: Option<UsernameSetting>,
}

impl<P: AlternatePassword> Default for AlternatingUsers<P> {
    fn default() -> Self {
        Self::with_plan(P::default())
    }
}

impl<P: AlternatePassword + Clone> Clone for AlternatingUsers<P> {
    fn clone(&self) -> Self {
        Self {
            kit: self.kit.clone(),
            plan: self.plan.clone(),
            username_setting: self.username_setting,
        }
    }
}

impl<P: AlternatePassword> fmt::Debug for AlternatingUsers<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlternatingUsers")
            .field("function", &P::FUNCTION)
            .field("plan", &self.plan)
            .field("username_setting", &self.username_setting)
            .field("kit", &self.kit)
            .finish()
    }
}

impl<P: AlternatePassword> AlternatingUsers<P> {
    /// The rotator with the engine's default settings and its own user-name limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// The rotator with `plan`'s settings.
    pub fn with_plan(plan: P) -> Self {
        Self {
            kit: EngineKit::new(),
            plan,
            username_setting: None,
        }
    }

    /// The rotator a Lambda binary runs: `USERNAME_CHARACTER_LIMIT` and the engine's settings
    /// from the environment.
    pub fn from_env() -> Result<Self, InvalidSetting> {
        let setting = UsernameSetting::from_env()?;
        Ok(Self {
            username_setting: setting,
            ..Self::with_plan(P::from_env()?)
        })
    }

    kit_builders!();

    /// Caps user names at `limit` characters (AWS's `USERNAME_CHARACTER_LIMIT`), below the
    /// engine's own limit.
    #[must_use]
    pub fn username_limit(mut self, limit: Option<usize>) -> Self {
        self.username_setting = limit.map(UsernameSetting);
        self
    }
}

impl<P: AlternatePassword> Rotator for AlternatingUsers<P> {
    plan_identity!();

    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        self.kit.alternating_pending(ctx, self.username_setting).await
    }

    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let AlternatingLogin {
            pending,
            pair,
            current,
            mut master,
            ..
        } = self.kit.alternating_login(ctx, P::inspect_current).await?;
        let result = self
            .plan
            .set_alternate_password(ctx, &self.kit, &mut master, &pending, &pair, &current)
            .await;
        P::Engine::close(master).await;
        result
    }

    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        self.kit.test_current_and_master(ctx).await
    }
}

//! Alternating users: the master sets the password of whichever of `user` / `user_clone` is not
//! in use.

use rotor_core::database::{AlternatePassword, DatabaseSecret, EngineKit, UserPair};
use rotor_core::{RotatorError, StepContext};

use crate::engine::{Redshift, RedshiftSession};
use crate::secret::REDSHIFT_EXCLUDE_CHARACTERS;
use crate::users::set_alternate_password;

/// Redshift's part of an alternating-users rotation: the master's statements.
#[derive(Debug, Clone, Copy, Default)]
pub struct RsAlternatePassword;

impl AlternatePassword for RsAlternatePassword {
    type Engine = Redshift;
    type Current = ();
    const FUNCTION: &'static str = "redshift-multi-user";
    const EXCLUDE_CHARACTERS: &'static str = REDSHIFT_EXCLUDE_CHARACTERS;

    fn inspect_current(_: &RedshiftSession) {}

    async fn set_alternate_password(
        &self,
        ctx: &StepContext<'_>,
        kit: &EngineKit<Redshift>,
        master: &mut RedshiftSession,
        pending: &DatabaseSecret,
        pair: &UserPair,
        (): &(),
    ) -> Result<(), RotatorError> {
        set_alternate_password(ctx, kit, master, pending, pair).await
    }
}

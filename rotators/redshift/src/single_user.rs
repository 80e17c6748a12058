//! Single user: the user changes its own password.

use rotor_core::database::{DatabaseSecret, EngineKit, OwnPassword};
use rotor_core::{RotatorError, StepContext};
use secrecy::SecretString;

use crate::engine::{Redshift, RedshiftSession};
use crate::secret::REDSHIFT_EXCLUDE_CHARACTERS;
use crate::sql::alter_password;

/// Redshift's part of a single-user rotation: `ALTER USER user PASSWORD 'md5…'` in the user's own
/// session.
#[derive(Debug, Clone, Copy, Default)]
pub struct RsOwnPassword;

impl OwnPassword for RsOwnPassword {
    type Engine = Redshift;
    const FUNCTION: &'static str = "redshift-single-user";
    const EXCLUDE_CHARACTERS: &'static str = REDSHIFT_EXCLUDE_CHARACTERS;

    async fn change_own_password(
        &self,
        ctx: &StepContext<'_>,
        _: &EngineKit<Redshift>,
        session: &mut RedshiftSession,
        pending: &DatabaseSecret,
        _: &SecretString,
    ) -> Result<(), RotatorError> {
        let statement = alter_password(&pending.username, &pending.password);
        session.execute_secret("ALTER USER PASSWORD", &statement).await?;
        tracing::info!(secret_id = ctx.secret_id(), "password changed as an md5 hash");
        Ok(())
    }
}

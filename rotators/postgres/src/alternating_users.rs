//! Alternating users: a master user sets the password of whichever of `user` / `user_clone` is
//! not in use, so the credential applications hold keeps working throughout the rotation.

use rotor_core::database::{AlternatePassword, DatabaseSecret, EngineKit, UserPair};
use rotor_core::{RotatorError, StepContext};

use crate::connect::Session;
use crate::engine::Postgres;
use crate::roles::set_alternate_password;
use crate::secret::POSTGRES_EXCLUDE_CHARACTERS;

/// Rotates between two users, `name` and `name_clone`, with the master secret named by
/// `masterarn` (`postgres-multi-user`): rotor-core's
/// [`AlternatingUsers`](rotor_core::database::AlternatingUsers) with PostgreSQL's statements.
/// The clone is created on the first rotation; see the crate documentation for what it copies
/// from the original.
///
/// setSecret, as the master and in one transaction, checks the master's privileges, creates the
/// clone if it is missing or checks that the existing role is the clone, and applies the pending
/// password as a verifier of the kind the server stores (SCRAM-SHA-256, or md5 where
/// `password_encryption` is md5). There is no probe login with AWSPENDING, so a rotation never
/// fails a login. Run again, the same password is applied under a fresh salt, which changes
/// nothing a login can observe.
pub type AlternatingUsers = rotor_core::database::AlternatingUsers<PgAlternatePassword>;

/// PostgreSQL's part of an alternating-users rotation: the master's transaction that creates or
/// checks the clone and sets the pending user's password.
#[derive(Debug, Clone, Copy, Default)]
pub struct PgAlternatePassword;

impl AlternatePassword for PgAlternatePassword {
    type Engine = Postgres;
    type Current = ();
    const FUNCTION: &'static str = "postgres-multi-user";
    const EXCLUDE_CHARACTERS: &'static str = POSTGRES_EXCLUDE_CHARACTERS;

    fn inspect_current(_: &Session) {}

    async fn set_alternate_password(
        &self,
        ctx: &StepContext<'_>,
        _: &EngineKit<Postgres>,
        master: &mut Session,
        pending: &DatabaseSecret,
        pair: &UserPair,
        (): &(),
    ) -> Result<(), RotatorError> {
        set_alternate_password(master, pair, &pending.username, &pending.password).await?;
        tracing::info!(
            secret_id = ctx.secret_id(),
            "pending user's password set with a client-side verifier"
        );
        Ok(())
    }
}

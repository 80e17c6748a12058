//! Single user: the user changes its own password.

use rotor_core::database::{DatabaseSecret, EngineKit, OwnPassword};
use rotor_core::{RotatorError, StepContext};
use secrecy::SecretString;

use crate::connect::Session;
use crate::engine::Postgres;
use crate::secret::POSTGRES_EXCLUDE_CHARACTERS;
use crate::sql::{PasswordEncryption, Verifier, alter_password};

/// Rotates the password of the user the secret names, logged in as that user
/// (`postgres-single-user`): rotor-core's [`SingleUser`](rotor_core::database::SingleUser) with
/// PostgreSQL's statement.
///
/// setSecret logs in with AWSCURRENT first, so a healthy rotation never fails a login. If
/// AWSCURRENT is refused, AWSPENDING is tried (success means a previous run already set it),
/// then AWSPREVIOUS, then the newest unlabelled versions (a password set by a rotation that was
/// later cancelled). The new password is sent as a client-computed verifier: md5 when the
/// session's `password_encryption` is md5, SCRAM-SHA-256 otherwise. testSecret logs in with
/// AWSPENDING and checks `session_user`.
pub type SingleUser = rotor_core::database::SingleUser<PgOwnPassword>;

/// PostgreSQL's part of a single-user rotation: `ALTER ROLE user PASSWORD '<verifier>'` in the
/// user's own session, with the verifier of the kind that session stores (`password_encryption`,
/// which a role-level setting can change).
#[derive(Debug, Clone, Copy, Default)]
pub struct PgOwnPassword;

impl OwnPassword for PgOwnPassword {
    type Engine = Postgres;
    const FUNCTION: &'static str = "postgres-single-user";
    const EXCLUDE_CHARACTERS: &'static str = POSTGRES_EXCLUDE_CHARACTERS;

    async fn change_own_password(
        &self,
        ctx: &StepContext<'_>,
        _: &EngineKit<Postgres>,
        session: &mut Session,
        pending: &DatabaseSecret,
        _: &SecretString,
    ) -> Result<(), RotatorError> {
        let encryption = PasswordEncryption::of_session(session).await?;
        let verifier = Verifier::for_role(encryption, &pending.username, &pending.password);
        session
            .execute_secret(
                "ALTER ROLE PASSWORD",
                &alter_password(&pending.username, &verifier),
            )
            .await?;
        tracing::info!(
            secret_id = ctx.secret_id(),
            password_encryption = encryption.as_str(),
            "password changed with a client-side verifier"
        );
        Ok(())
    }
}

//! The four steps. Each is a small function whose doc comment states what it does when it runs
//! a second time.

mod after_finish;
mod create;
mod finish;
mod set;
mod test;

pub(crate) use after_finish::after_finish;
pub(crate) use create::create_secret;
pub(crate) use finish::finish_secret;
pub(crate) use set::set_secret;
pub(crate) use test::test_secret;

use crate::context::SecretContext;
use crate::error::RotationError;
use crate::secret::SecretJson;
use crate::secrets_manager::VersionSelector;

/// The pending value of this rotation, read by token and label together; `None` while the
/// version has no value.
async fn read_pending(secret: &SecretContext<'_>) -> Result<Option<SecretJson>, RotationError> {
    match secret.reader_get(VersionSelector::pending(secret.token())).await {
        Ok(version) => SecretJson::parse(&version.value)
            .map(Some)
            .map_err(|problem| secret.malformed("AWSPENDING", problem)),
        Err(source) if source.is_not_found() => Ok(None),
        Err(source) => Err(RotationError::secrets_manager("GetSecretValue", source)),
    }
}

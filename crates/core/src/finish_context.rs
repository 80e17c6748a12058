//! What the finish hook sees: the version that just became AWSCURRENT, the one it replaced, and
//! lazy reads of their values.

use std::ops::Deref;

use tokio::sync::OnceCell;

use crate::context::SecretContext;
use crate::error::RotationError;
use crate::secret::SecretJson;
use crate::secrets_manager::VersionSelector;

/// What [`Rotator::after_finish`](crate::Rotator::after_finish) sees once AWSCURRENT is on the
/// new version.
///
/// The values are read by version id, at most once per invocation and only if the hook asks.
/// [`SecretContext::description`] is the DescribeSecret answer the invocation started with: on
/// the first finishSecret it still shows the labels from before the move.
#[derive(Debug)]
pub struct FinishContext<'a> {
    secret: SecretContext<'a>,
    previous_version: Option<String>,
    current_value: OnceCell<SecretJson>,
    previous_value: OnceCell<Option<SecretJson>>,
}

impl<'a> FinishContext<'a> {
    pub(crate) fn new(secret: SecretContext<'a>, previous_version: Option<String>) -> Self {
        Self {
            secret,
            previous_version,
            current_value: OnceCell::new(),
            previous_value: OnceCell::new(),
        }
    }

    /// The version that is AWSCURRENT now: this rotation's ClientRequestToken.
    pub fn current_version(&self) -> &str {
        self.secret.token()
    }

    /// The version AWSCURRENT left, now AWSPREVIOUS; `None` when the secret had no other
    /// version (a finishSecret on a secret that was never rotated).
    pub fn previous_version(&self) -> Option<&str> {
        self.previous_version.as_deref()
    }

    /// The value of [`current_version`](Self::current_version).
    pub async fn current_value(&self) -> Result<&SecretJson, RotationError> {
        self.current_value
            .get_or_try_init(|| async {
                let version = self.current_version();
                self.read(version, "AWSCURRENT")
                    .await?
                    .ok_or_else(|| RotationError::PendingValueMissing {
                        secret_id: self.secret_id().to_owned(),
                        token: version.to_owned(),
                    })
            })
            .await
    }

    /// The value of [`previous_version`](Self::previous_version), or `None` when there is no
    /// previous version or it no longer exists.
    pub async fn previous_value(&self) -> Result<Option<&SecretJson>, RotationError> {
        let previous = self
            .previous_value
            .get_or_try_init(|| async {
                match self.previous_version() {
                    Some(version) => self.read(version, "AWSPREVIOUS").await,
                    None => Ok(None),
                }
            })
            .await?;
        Ok(previous.as_ref())
    }

    async fn read(&self, version_id: &str, name: &str) -> Result<Option<SecretJson>, RotationError> {
        match self.secret.reader_get(VersionSelector::version(version_id)).await {
            Ok(version) => SecretJson::parse(&version.value)
                .map(Some)
                .map_err(|problem| self.malformed(name, problem)),
            Err(source) if source.is_not_found() => Ok(None),
            Err(source) => Err(RotationError::secrets_manager("GetSecretValue", source)),
        }
    }
}

impl<'a> Deref for FinishContext<'a> {
    type Target = SecretContext<'a>;

    fn deref(&self) -> &Self::Target {
        &self.secret
    }
}

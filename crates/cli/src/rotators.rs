//! The rotators `--rotator` can name, behind one type so the rest of the CLI is not generic.
//!
//! To add a rotator: a variant in [`RotatorName`] (clap derives its kebab-case name and lists
//! it in `--help`) and one arm in [`RotatorName::build`], built the way its Lambda binary builds
//! it (same environment variables).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use clap::ValueEnum;
use rotor_core::{
    CreateContext, RotationSettings, Rotator, RotatorError, SecretContext, SecretJson, StepContext,
};
use rotor_hmac_key::HmacKeyRotator;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A rotator this binary can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RotatorName {
    /// An HMAC-SHA256 signing key in the secret itself: `{"key_id", "signing_key"}`.
    HmacKey,
    /// PostgreSQL; the user changes its own password.
    PostgresSingleUser,
    /// PostgreSQL; the `masterarn` user alternates the password of `name` and `name_clone`.
    PostgresMultiUser,
    /// MySQL, Aurora MySQL or MariaDB; the user changes its own password.
    MysqlSingleUser,
    /// MySQL, Aurora MySQL or MariaDB; the `masterarn` user alternates `name` and `name_clone`.
    MysqlMultiUser,
}

impl RotatorName {
    /// The rotator, ready to bind to a store, configured from the environment exactly as its
    /// Lambda binary is.
    pub(crate) fn build(self) -> Result<AnyRotator, String> {
        let unusable = |error: rotor_mysql::MySqlError| format!("{}: {error}", self.as_str());
        Ok(match self {
            Self::HmacKey => AnyRotator::new(HmacKeyRotator),
            Self::PostgresSingleUser => AnyRotator::new(rotor_postgres::SingleUser::new()),
            Self::PostgresMultiUser => AnyRotator::new(rotor_postgres::AlternatingUsers::new()),
            Self::MysqlSingleUser => AnyRotator::new(rotor_mysql::SingleUser::from_env().map_err(unusable)?),
            Self::MysqlMultiUser => {
                AnyRotator::new(rotor_mysql::AlternatingUsers::from_env().map_err(unusable)?)
            }
        })
    }

    /// The name as typed on the command line.
    pub(crate) fn as_str(self) -> String {
        self.to_possible_value()
            .map(|value| value.get_name().to_owned())
            .unwrap_or_default()
    }
}

/// [`Rotator`] with its futures boxed, so any rotator fits one type.
trait ErasedRotator: Send + Sync {
    fn create_pending<'a>(
        &'a self,
        ctx: &'a CreateContext<'_>,
    ) -> BoxFuture<'a, Result<SecretJson, RotatorError>>;
    fn set_secret<'a>(&'a self, ctx: &'a StepContext<'_>) -> BoxFuture<'a, Result<(), RotatorError>>;
    fn test_secret<'a>(&'a self, ctx: &'a StepContext<'_>) -> BoxFuture<'a, Result<(), RotatorError>>;
    fn test_configuration<'a>(
        &'a self,
        ctx: &'a SecretContext<'_>,
    ) -> BoxFuture<'a, Result<(), RotatorError>>;
}

impl<R: Rotator> ErasedRotator for R {
    fn create_pending<'a>(
        &'a self,
        ctx: &'a CreateContext<'_>,
    ) -> BoxFuture<'a, Result<SecretJson, RotatorError>> {
        Box::pin(Rotator::create_pending(self, ctx))
    }

    fn set_secret<'a>(&'a self, ctx: &'a StepContext<'_>) -> BoxFuture<'a, Result<(), RotatorError>> {
        Box::pin(Rotator::set_secret(self, ctx))
    }

    fn test_secret<'a>(&'a self, ctx: &'a StepContext<'_>) -> BoxFuture<'a, Result<(), RotatorError>> {
        Box::pin(Rotator::test_secret(self, ctx))
    }

    fn test_configuration<'a>(
        &'a self,
        ctx: &'a SecretContext<'_>,
    ) -> BoxFuture<'a, Result<(), RotatorError>> {
        Box::pin(Rotator::test_configuration(self, ctx))
    }
}

/// Any rotator, cheap to clone, with the settings its engine wants.
#[derive(Clone)]
pub(crate) struct AnyRotator {
    inner: Arc<dyn ErasedRotator>,
    default_exclude: &'static str,
}

impl std::fmt::Debug for AnyRotator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyRotator").finish_non_exhaustive()
    }
}

impl AnyRotator {
    /// Erases a rotator.
    pub(crate) fn new<R: Rotator + 'static>(rotator: R) -> Self {
        Self {
            inner: Arc::new(rotator),
            default_exclude: R::DEFAULT_EXCLUDE_CHARACTERS,
        }
    }

    /// Password settings from the environment (AWS's variables), with the rotator's default
    /// excluded characters.
    pub(crate) fn settings(&self) -> Result<RotationSettings, rotor_core::password::PolicyError> {
        RotationSettings::from_env(self.default_exclude)
    }
}

impl Rotator for AnyRotator {
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        self.inner.create_pending(ctx).await
    }

    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        self.inner.set_secret(ctx).await
    }

    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        self.inner.test_secret(ctx).await
    }

    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        self.inner.test_configuration(ctx).await
    }
}

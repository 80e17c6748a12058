//! The checks, run exactly where testSecret's configuration test runs: a rotation function
//! invoked for testSecret under a token whose AWSPENDING has no value, as RotateSecret with
//! `RotateImmediately=false` invokes the deployed function. The function runs over
//! [`ReadOnly`](super::read_only::ReadOnly), a view of the store that shows that token and
//! refuses every write, and its rotator is [`Preflight`], which runs finer-grained checks before the real rotator's own
//! configuration test, so a failure names the check that failed.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rotor_core::database::{
    DatabaseSecret, Engine, EngineKit, MasterRights, TlsMode, UsernameSetting, verify_master,
};
use rotor_core::{
    BoxedRotator, Classify, ErrorClass, FieldError, Rotator, RotatorError, SecretContext, StepContext,
};

/// One check, in the order they run. The first that fails is the verdict's reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// DescribeSecret and GetSecretValue of AWSCURRENT answer.
    Readable,
    /// RotationEnabled is not false.
    RotationEnabled,
    /// AWSPENDING is not stuck on a version that is not AWSCURRENT.
    NoRotationInProgress,
    /// AWSCURRENT is a valid secret of the rotator's engine.
    Parses,
    /// Alternating users: AWSCURRENT names its master (`masterarn`).
    MasterArn,
    /// Alternating users: the other user's name fits the engine's limit and
    /// `USERNAME_CHARACTER_LIMIT`.
    CloneName,
    /// The TLS the secret asks for: the server offers it and its certificate verifies.
    Tls,
    /// AWSCURRENT logs in as the user it names.
    Login,
    /// Alternating users: the master secret is readable, completed from RDS when RDS manages
    /// it, and manages the child's server.
    MasterSecret,
    /// Alternating users: the master logs in.
    MasterLogin,
    /// Alternating users: the master holds the privileges the next rotation uses (creating the
    /// clone with the original's memberships, or setting the pending user's password).
    MasterPrivileges,
    /// The rotator's own configuration test, as testSecret runs it.
    ConfigurationTest,
    /// The password policy from the environment generates a password.
    Password,
    /// `--via-service`: the secret names its rotation function (RotationLambdaARN).
    RotationFunction,
    /// `--via-service`: the deployed function's testSecret passed, and its test version is
    /// gone with no other label moved.
    DeployedTest,
}

impl Check {
    /// The check's name in the table.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Readable => "secret readable",
            Self::RotationEnabled => "rotation enabled",
            Self::NoRotationInProgress => "no rotation in progress",
            Self::Parses => "AWSCURRENT parses",
            Self::MasterArn => "masterarn present",
            Self::CloneName => "clone name fits",
            Self::Tls => "TLS verified",
            Self::Login => "AWSCURRENT logs in",
            Self::MasterSecret => "master secret resolves",
            Self::MasterLogin => "master logs in",
            Self::MasterPrivileges => "master privileges",
            Self::ConfigurationTest => "configuration test",
            Self::Password => "password policy",
            Self::RotationFunction => "rotation function set",
            Self::DeployedTest => "deployed testSecret",
        }
    }
}

/// What a failed login said, by the engine's error types, for the advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginCause {
    /// The server refused the credential.
    Refused,
    /// The server did not answer.
    Unreachable,
    /// The certificate did not verify (untrusted CA, wrong host name) or the CA bundle is
    /// unusable.
    TlsUnverified,
    /// TLS is required and the server does not offer it.
    TlsUnavailable,
    /// Anything else.
    Other,
}

/// Which checks have passed and which one is running; shared by the rotator and the command.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    inner: Arc<Mutex<ProgressState>>,
}

#[derive(Debug, Default)]
struct ProgressState {
    passed: Vec<Check>,
    running: Option<Check>,
    cause: Option<LoginCause>,
}

impl Progress {
    fn state(&self) -> MutexGuard<'_, ProgressState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `check` starts; until [`pass`](Self::pass), a failure is its failure.
    pub(crate) fn start(&self, check: Check) {
        self.state().running = Some(check);
    }

    /// The running check could not tell: it neither passed nor failed.
    pub(crate) fn skip(&self) {
        self.state().running = None;
    }

    /// The running check passed.
    pub(crate) fn pass(&self) {
        let mut state = self.state();
        if let Some(check) = state.running.take() {
            state.passed.push(check);
        }
    }

    fn fail_login(&self, check: Check, cause: LoginCause) {
        let mut state = self.state();
        state.running = Some(check);
        state.cause = Some(cause);
    }

    /// The checks that passed, in order.
    pub(crate) fn passed(&self) -> Vec<Check> {
        self.state().passed.clone()
    }

    /// The check that was running when the function stopped, and what a failed login said.
    pub(crate) fn stopped_at(&self) -> (Option<Check>, Option<LoginCause>) {
        let state = self.state();
        (state.running, state.cause)
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The checks of one engine and strategy, behind one object-safe type.
pub(crate) trait EngineChecks: Send + Sync + fmt::Debug {
    /// Runs the checks on the secret `ctx` reads, recording each in `progress`.
    fn run<'a>(
        &'a self,
        ctx: &'a SecretContext<'_>,
        progress: &'a Progress,
    ) -> BoxFuture<'a, Result<(), RotatorError>>;
}

/// The rotation strategy whose needs are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// The user changes its own password.
    SingleUser,
    /// A master alternates `name` and `name_clone`.
    AlternatingUsers {
        /// `USERNAME_CHARACTER_LIMIT`, as the Lambda reads it.
        setting: Option<UsernameSetting>,
    },
}

/// The checks of a database rotator on engine `E`, through the same kit the rotator uses.
pub(crate) struct DatabaseChecks<E> {
    kit: EngineKit<E>,
    strategy: Strategy,
}

impl<E> fmt::Debug for DatabaseChecks<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseChecks")
            .field("strategy", &self.strategy)
            .finish_non_exhaustive()
    }
}

impl<E: Engine> DatabaseChecks<E> {
    /// The checks for `strategy`, with the kit a Lambda runs (no fault points, no overrides).
    pub(crate) fn new(strategy: Strategy) -> Self {
        Self {
            kit: EngineKit::new(),
            strategy,
        }
    }

    fn cause(error_type: &str) -> (Check, LoginCause) {
        let types = E::ERROR_TYPES;
        if error_type == types.tls_handshake || error_type == types.tls_config {
            (Check::Tls, LoginCause::TlsUnverified)
        } else if error_type == types.tls_unavailable {
            (Check::Tls, LoginCause::TlsUnavailable)
        } else if error_type == types.auth_failed {
            (Check::Login, LoginCause::Refused)
        } else if error_type == types.unreachable {
            (Check::Login, LoginCause::Unreachable)
        } else {
            (Check::Login, LoginCause::Other)
        }
    }

    async fn check(&self, ctx: &SecretContext<'_>, progress: &Progress) -> Result<(), RotatorError> {
        progress.start(Check::Parses);
        let current = DatabaseSecret::current(ctx, &E::FAMILY).await?;
        progress.pass();
        if let Strategy::AlternatingUsers { setting } = self.strategy {
            progress.start(Check::MasterArn);
            if current.master_arn.is_none() {
                let missing = FieldError::Missing("masterarn".into());
                return Err(ctx.malformed("AWSCURRENT", missing).into());
            }
            progress.pass();
            progress.start(Check::CloneName);
            EngineKit::<E>::check_clone_name(&current, setting)?;
            progress.pass();
        }
        progress.start(Check::Login);
        if let Err(error) = self.kit.verify_login(&current, "current", ctx.deadline()).await {
            let (check, cause) = Self::cause(error.error_type());
            progress.fail_login(check, cause);
            return Err(error.into());
        }
        if matches!(current.tls, TlsMode::VerifyFull { .. }) {
            progress.start(Check::Tls);
            progress.pass();
        }
        progress.start(Check::Login);
        progress.pass();
        if let Strategy::AlternatingUsers { .. } = self.strategy {
            progress.start(Check::MasterSecret);
            let verified = verify_master(ctx, &E::FAMILY, &current).await?;
            progress.pass();
            progress.start(Check::MasterLogin);
            let mut session = match self.kit.master_session(ctx, &verified).await {
                Ok(session) => session,
                Err(error) => {
                    let (_, cause) = Self::cause(error.error_type());
                    let cause = if error.class() == ErrorClass::AuthFailure {
                        LoginCause::Refused
                    } else {
                        cause
                    };
                    progress.fail_login(Check::MasterLogin, cause);
                    return Err(error);
                }
            };
            progress.pass();
            progress.start(Check::MasterPrivileges);
            let rights = EngineKit::<E>::check_master_rights(&mut session, &current).await;
            E::close(session).await;
            match rights? {
                MasterRights::Held => progress.pass(),
                // Not told ahead of time (roles, Redshift): not listed as passed.
                _ => progress.skip(),
            }
        }
        Ok(())
    }
}

impl<E: Engine> EngineChecks for DatabaseChecks<E> {
    fn run<'a>(
        &'a self,
        ctx: &'a SecretContext<'_>,
        progress: &'a Progress,
    ) -> BoxFuture<'a, Result<(), RotatorError>> {
        Box::pin(self.check(ctx, progress))
    }
}

/// A step other than testSecret's configuration test reached the preflight rotator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum PreflightError {
    /// The function was asked for a step that would change something.
    #[error("rotor check runs only testSecret's configuration test")]
    NotAConfigurationTest,
}

impl Classify for PreflightError {
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }

    fn error_type(&self) -> &'static str {
        "NotAConfigurationTest"
    }
}

/// The rotator `rotor check` runs: its own checks for the engine, then the real rotator's
/// configuration test. Every other step fails, so nothing can be changed through it.
#[derive(Debug)]
pub(crate) struct Preflight {
    /// The rotator as its Lambda builds it.
    pub(crate) inner: BoxedRotator,
    /// The engine's checks, when the rotator is a database rotator this command knows.
    pub(crate) checks: Option<Arc<dyn EngineChecks>>,
    /// Where the checks are recorded.
    pub(crate) progress: Progress,
}

impl Rotator for Preflight {
    fn default_exclude_characters(&self) -> &'static str {
        self.inner.default_exclude_characters()
    }

    fn log_targets(&self) -> &'static [&'static str] {
        self.inner.log_targets()
    }

    async fn set_secret(&self, _: &StepContext<'_>) -> Result<(), RotatorError> {
        Err(PreflightError::NotAConfigurationTest.into())
    }

    async fn test_secret(&self, _: &StepContext<'_>) -> Result<(), RotatorError> {
        Err(PreflightError::NotAConfigurationTest.into())
    }

    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        if let Some(checks) = &self.checks {
            checks.run(ctx, &self.progress).await?;
        }
        self.progress.start(Check::ConfigurationTest);
        self.inner.test_configuration(ctx).await?;
        self.progress.pass();
        Ok(())
    }
}

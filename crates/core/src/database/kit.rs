//! The engine kit: every step of a database rotation that does not depend on the engine, built
//! once on an [`Engine`].

use std::fmt;
use std::marker::PhantomData;

use crate::context::{CreateContext, SecretContext, StepContext};
use crate::deadline::Deadline;
use crate::error::RotatorError;
use crate::fault::FaultPoints;
use crate::secret::{FieldError, SecretJson};

use super::engine::{Engine, Login, MasterRights};
use super::error::DatabaseError;
use super::guard::StatementGuard;
use super::hosts::HostOverrides;
use super::master::{VerifiedMaster, master_login, verify_master};
use super::pair::{UserPair, alternate_username, check_alternating};
use super::secret::DatabaseSecret;
use super::single_user::{SingleUserLogin, single_user_login, single_user_pending};
use super::username::UsernameSetting;

/// The shared plumbing of engine `E`'s rotators: which credential logs in where, the checks
/// before anything changes, and the sessions the engine's own SQL then runs in.
///
/// A rotator keeps one and calls a method a step; the engine supplies only the statements that
/// change a password (see the [module documentation](super) for a whole engine).
pub struct EngineKit<E> {
    faults: FaultPoints,
    hosts: HostOverrides,
    engine: PhantomData<fn() -> E>,
}

impl<E> Clone for EngineKit<E> {
    fn clone(&self) -> Self {
        Self {
            faults: self.faults.clone(),
            hosts: self.hosts.clone(),
            engine: PhantomData,
        }
    }
}

impl<E> Default for EngineKit<E> {
    fn default() -> Self {
        Self {
            faults: FaultPoints::none(),
            hosts: HostOverrides::none(),
            engine: PhantomData,
        }
    }
}

impl<E> fmt::Debug for EngineKit<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineKit")
            .field("faults", &self.faults)
            .field("hosts", &self.hosts)
            .finish()
    }
}

/// What [`EngineKit::alternating_login`] established before the master changes anything.
#[derive(Debug)]
#[non_exhaustive]
pub struct AlternatingLogin<S, T> {
    /// AWSPENDING, parsed and checked against AWSCURRENT.
    pub pending: DatabaseSecret,
    /// Which user of the pair is the original and which the clone.
    pub pair: UserPair,
    /// What the engine read from AWSCURRENT's session before it was closed.
    pub current: T,
    /// An open session as the master user, on the master's own database.
    pub master: S,
}

impl<E: Engine> EngineKit<E> {
    /// A kit with no fault points and no host overrides, as the Lambda functions run.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes every connection and statement through `faults`, so tests can crash at each one.
    #[must_use]
    pub fn with_fault_points(mut self, faults: FaultPoints) -> Self {
        self.faults = faults;
        self
    }

    /// Connects to overriding addresses for some host names, verifying TLS against the names
    /// (tests only: see [`HostOverrides`]).
    #[must_use]
    pub fn with_host_overrides(mut self, hosts: HostOverrides) -> Self {
        self.hosts = hosts;
        self
    }

    /// The fault points every operation goes through.
    pub fn faults(&self) -> &FaultPoints {
        &self.faults
    }

    /// A guard for operations that end at `deadline`.
    pub fn guard(&self, deadline: Deadline) -> StatementGuard<E> {
        StatementGuard::new(self.faults.clone(), deadline)
    }

    /// The login with `secret`, named `label`, through the host overrides.
    pub fn login<'a>(&'a self, secret: &'a DatabaseSecret, label: &'a str) -> Login<'a> {
        Login {
            address: self.hosts.address_of(&secret.host),
            test_ca: self.hosts.test_ca_for(&secret.host),
            ..Login::new(secret, label)
        }
    }

    /// Opens a session with `secret`, named `label` in logs, errors and fault points.
    pub async fn open(
        &self,
        secret: &DatabaseSecret,
        label: &str,
        deadline: Deadline,
    ) -> Result<E::Session, DatabaseError<E>> {
        E::connect(&self.login(secret, label), self.guard(deadline)).await
    }

    /// Proves that `secret` logs in as the user it names, over the TLS it demands, then closes
    /// the session. Changes nothing. The TLS guarantee is the client's verified handshake, never
    /// the server's view, which a TLS-terminating proxy changes.
    pub async fn verify_login(
        &self,
        secret: &DatabaseSecret,
        label: &str,
        deadline: Deadline,
    ) -> Result<(), DatabaseError<E>> {
        let login = self.login(secret, label);
        let mut session = E::connect(&login, self.guard(deadline)).await?;
        let verified = E::verify_identity(&mut session, &login).await;
        E::close(session).await;
        verified?;
        tracing::info!(engine = E::NAME, login = label, "login verified");
        Ok(())
    }

    /// Alternating users: AWSCURRENT must log in before the master acts for this secret.
    /// Without this, anyone who can write the secret could name any user (say
    /// `postgres_clone`) and have the master create or reset it. A refused AWSCURRENT is
    /// [`DatabaseError::CurrentRefused`]; any other failure is reported as it is.
    pub async fn prove_current(
        &self,
        current: &DatabaseSecret,
        deadline: Deadline,
    ) -> Result<E::Session, DatabaseError<E>> {
        match self.open(current, "current", deadline).await {
            Ok(session) => Ok(session),
            Err(error) if error.is_auth_failure() => Err(DatabaseError::CurrentRefused),
            Err(error) => Err(error),
        }
    }

    /// A session as the master user on the master's own target: with the master's AWSCURRENT,
    /// then, only when that is refused, with its AWSPENDING (the master is itself mid-rotation),
    /// which is used only when it connects exactly as its AWSCURRENT does. Nothing of the
    /// child's (its database, `ssl` or `ssl_ca`) reaches the master's session. When every master
    /// credential is refused the error is [`MasterRefused`](super::MasterRefused).
    pub async fn master_session(
        &self,
        ctx: &SecretContext<'_>,
        master: &VerifiedMaster,
    ) -> Result<E::Session, RotatorError> {
        let deadline = ctx.deadline();
        master_login(ctx, master, |label, secret| async move {
            self.open(&secret, label, deadline)
                .await
                .map_err(RotatorError::from)
        })
        .await
    }

    /// createSecret for a single user: AWSCURRENT with a new password, once AWSCURRENT is a
    /// valid secret of the engine, so a malformed secret fails here and nothing is stored.
    pub async fn single_user_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        single_user_pending(ctx, &E::FAMILY).await
    }

    /// setSecret's login for a single user: AWSPENDING and AWSCURRENT must name the same user on
    /// the same connection; then AWSCURRENT, AWSPENDING, AWSPREVIOUS and the newest unlabelled
    /// versions are tried in that order, each only when it was recorded for AWSPENDING's own
    /// host, port, database and TLS settings, so no stored password is sent anywhere else. Only
    /// a refused login moves on to the next one.
    pub async fn single_user_login(
        &self,
        ctx: &StepContext<'_>,
    ) -> Result<SingleUserLogin<E::Session>, RotatorError> {
        let deadline = ctx.deadline();
        single_user_login(ctx, &E::FAMILY, |source, secret| async move {
            self.open(&secret, source.label(), deadline)
                .await
                .map_err(RotatorError::from)
        })
        .await
    }

    /// createSecret for alternating users: AWSCURRENT with `username` toggled (`name` ↔
    /// `name_clone`) and a new password.
    ///
    /// Refused before anything is stored: an AWSCURRENT that is not a valid secret of the
    /// engine, one without `masterarn` (setSecret could never run), and a new name longer than
    /// the engine's limit ([`Engine::username_limit`]) or `setting`
    /// (`USERNAME_CHARACTER_LIMIT`), which is [`DatabaseError::UsernameTooLong`].
    pub async fn alternating_pending(
        &self,
        ctx: &CreateContext<'_>,
        setting: Option<UsernameSetting>,
    ) -> Result<SecretJson, RotatorError> {
        let current = DatabaseSecret::current(ctx, &E::FAMILY).await?;
        if current.master_arn.is_none() {
            return Err(ctx
                .malformed("AWSCURRENT", FieldError::Missing("masterarn".into()))
                .into());
        }
        let alternate = Self::check_clone_name(&current, setting)?;
        let mut pending = ctx.current().clone();
        pending.set("username", alternate);
        pending.set_password(&ctx.new_password().await?);
        Ok(pending)
    }

    /// The user name createSecret of alternating users gives AWSPENDING for `current` (`name` ↔
    /// `name_clone`), or [`DatabaseError::UsernameTooLong`] when it exceeds the engine's limit
    /// ([`Engine::username_limit`]) or `setting` (`USERNAME_CHARACTER_LIMIT`). Reads, stores and
    /// connects nothing, so a preflight can ask it.
    pub fn check_clone_name(
        current: &DatabaseSecret,
        setting: Option<UsernameSetting>,
    ) -> Result<String, DatabaseError<E>> {
        let alternate = alternate_username(&current.username);
        let limits = E::username_limit(current).capped_by(setting);
        match limits.first_exceeded(&alternate) {
            Some(limit) => Err(DatabaseError::UsernameTooLong {
                username: alternate,
                limit,
            }),
            None => Ok(alternate),
        }
    }

    /// setSecret for alternating users, up to the master's changes: AWSPENDING and AWSCURRENT
    /// form the `_clone` pair on one connection; the master secret is read, completed from RDS
    /// when managed by it, and checked against the child ([`verify_master`]); AWSCURRENT logs in
    /// ([`prove_current`](Self::prove_current)), and `inspect` reads what the engine needs from
    /// that session before it closes; then the master logs in.
    pub async fn alternating_login<T>(
        &self,
        ctx: &StepContext<'_>,
        inspect: impl FnOnce(&E::Session) -> T + Send,
    ) -> Result<AlternatingLogin<E::Session, T>, RotatorError> {
        let pending = DatabaseSecret::pending(ctx, &E::FAMILY)?;
        let current = DatabaseSecret::current(ctx, &E::FAMILY).await?;
        let pair = check_alternating(&current, &pending)?;
        let verified = verify_master(ctx, &E::FAMILY, &current).await?;
        let current_session = self.prove_current(&current, ctx.deadline()).await?;
        let seen = inspect(&current_session);
        E::close(current_session).await;
        let master = self.master_session(ctx, &verified).await?;
        Ok(AlternatingLogin {
            pending,
            pair,
            current: seen,
            master,
        })
    }

    /// testSecret: AWSPENDING logs in as the user it names, over the TLS it demands. Reads
    /// nothing but AWSPENDING and changes nothing.
    pub async fn test_pending(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = DatabaseSecret::pending(ctx, &E::FAMILY)?;
        Ok(self.verify_login(&pending, "pending", ctx.deadline()).await?)
    }

    /// testSecret without a pending value, for a single user: AWSCURRENT logs in with the same
    /// checks as [`test_pending`](Self::test_pending).
    pub async fn test_current(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        let current = DatabaseSecret::current(ctx, &E::FAMILY).await?;
        Ok(self.verify_login(&current, "current", ctx.deadline()).await?)
    }

    /// testSecret without a pending value, for alternating users: AWSCURRENT logs in, the
    /// master secret is valid for this child and logs in, and the master holds the privileges
    /// the next rotation uses ([`Engine::check_master_rights`]), so that a configuration that
    /// could never rotate fails now instead of at the first setSecret.
    pub async fn test_current_and_master(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        let current = DatabaseSecret::current(ctx, &E::FAMILY).await?;
        self.verify_login(&current, "current", ctx.deadline()).await?;
        let verified = verify_master(ctx, &E::FAMILY, &current).await?;
        let mut master = self.master_session(ctx, &verified).await?;
        tracing::info!(engine = E::NAME, "the master secret logs in");
        let checked = Self::check_master_rights(&mut master, &current).await;
        E::close(master).await;
        checked.map(drop)
    }

    /// Whether the master's `session` holds the privileges the next alternating-users rotation
    /// of `current` uses ([`Engine::check_master_rights`]). Changes nothing.
    pub async fn check_master_rights(
        session: &mut E::Session,
        current: &DatabaseSecret,
    ) -> Result<MasterRights, RotatorError> {
        let (pair, pending_user) = UserPair::next_rotation(&current.username);
        let rights = E::check_master_rights(session, &pair, &pending_user).await?;
        match rights {
            MasterRights::Held => {
                tracing::info!(engine = E::NAME, "the master holds the privileges rotation uses");
            }
            _ => tracing::info!(
                engine = E::NAME,
                "the master's privileges cannot be told ahead of time; setSecret checks its statements"
            ),
        }
        Ok(rights)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::secret::tests::{POSTGRES, app};
    use crate::database::{ErrorTypes, ServerCode, UsernameLimit};
    use crate::error::ErrorClass;
    use crate::fault::InjectedFault;

    /// An engine that is only a family and a limit: the name check never connects.
    #[derive(Debug)]
    struct Limited;

    impl Engine for Limited {
        const NAME: &'static str = "Limited";
        const FAMILY: super::super::secret::EngineFamily = POSTGRES;
        const ERROR_TYPES: ErrorTypes = crate::database_error_types!("Limited");
        const LOG_TARGETS: &'static [&'static str] = &[];
        type Error = InjectedFault;
        type Session = ();

        fn classify(_: &ServerCode) -> ErrorClass {
            ErrorClass::Permanent
        }

        fn username_limit(_: &DatabaseSecret) -> UsernameLimit {
            UsernameLimit::bytes(12)
        }

        async fn connect(login: &Login<'_>, _: StatementGuard<Self>) -> Result<(), DatabaseError<Self>> {
            Err(DatabaseError::Unreachable {
                login: login.label.to_owned(),
                reason: "never connects".to_owned(),
            })
        }

        async fn verify_identity(_: &mut (), _: &Login<'_>) -> Result<(), DatabaseError<Self>> {
            Ok(())
        }

        async fn close(_: ()) {}
    }

    #[test]
    fn the_clone_name_toggles_and_is_refused_over_either_limit() {
        let name = EngineKit::<Limited>::check_clone_name;
        assert_eq!(name(&app("app", ""), None).unwrap(), "app_clone");
        assert_eq!(name(&app("app_clone", ""), None).unwrap(), "app");
        let too_long = name(&app("applicat", ""), None).unwrap_err();
        assert!(
            matches!(&too_long, DatabaseError::UsernameTooLong { username, limit }
                if username == "applicat_clone" && *limit == UsernameLimit::bytes(12)),
            "{too_long}"
        );
        let capped = name(&app("app", ""), Some(UsernameSetting(8))).unwrap_err();
        assert!(
            matches!(capped, DatabaseError::UsernameTooLong { limit, .. } if limit == UsernameLimit::characters(8))
        );
    }
}

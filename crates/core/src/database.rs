//! The engine kit: AWS's JSON format for database credentials and everything a database
//! rotator does that does not depend on the database.
//!
//! An engine crate brings its driver, its SQL and its server's rules; this module owns the rest,
//! once for every engine:
//!
//! - the secret schema and the TLS decision ([`DatabaseSecret`], [`EngineFamily`], [`TlsMode`],
//!   [`TrustedRoots`]);
//! - which versions form a rotation: the same user on the same connection, or the `_clone` pair
//!   ([`check_single_user`], [`check_alternating`], [`PairMismatch`]);
//! - the order in which stored credentials are tried ([`CredentialSource`]), for the user
//!   itself and for the master of alternating users, whose secret is read, completed from RDS
//!   and checked against the child here ([`read_master`], [`verify_master`]);
//! - one error type for what every engine shares ([`DatabaseError`]), one path for every
//!   connection and statement ([`StatementGuard`]: fault point, deadline, error mapping), the
//!   steps built on them ([`EngineKit`]: createSecret for both strategies, the login checks,
//!   testSecret and the configuration test), and the two strategies as rotators
//!   ([`SingleUser`], [`AlternatingUsers`]).
//!
//! # Writing an engine
//!
//! An engine is a unit type that implements [`Engine`]: its name and secret format, the
//! `errorType` prefix of its errors, its driver's log targets, how its server's error codes
//! classify, and how to open, check and close a session. Every connection attempt goes through
//! [`StatementGuard::connect`] and every statement through [`StatementGuard::run`], so fault
//! injection and the deadline work the same in every engine. The rotators are the kit's
//! strategies, [`SingleUser`] and [`AlternatingUsers`]; the engine writes only the statements
//! that change a password ([`OwnPassword`], [`AlternatePassword`]):
//!
//! ```
//! use rotor_core::database::{
//!     DatabaseError, DatabaseSecret, Engine, EngineFamily, EngineKit, ErrorTypes, Login, OwnPassword,
//!     ServerCode, SingleUser, StatementGuard, UsernameLimit,
//! };
//! use rotor_core::fault::InjectedFault;
//! use rotor_core::{database_error_types, ErrorClass, Rotator, RotatorError, StepContext};
//! use secrecy::SecretString;
//!
//! /// A toy engine whose "server" accepts every login; a real one would use its driver here.
//! #[derive(Debug)]
//! struct Toy;
//!
//! /// An open toy session.
//! struct ToySession {
//!     user: String,
//!     guard: StatementGuard<Toy>,
//! }
//!
//! impl Engine for Toy {
//!     const NAME: &'static str = "Toy";
//!     const FAMILY: EngineFamily = EngineFamily {
//!         engines: &["toy"],
//!         default_port: 7000,
//!         default_dbname: None,
//!         max_username: UsernameLimit::characters(32),
//!         username_rule: "must be a user name of at most 32 characters",
//!     };
//!     const ERROR_TYPES: ErrorTypes = database_error_types!("Toy");
//!     const LOG_TARGETS: &'static [&'static str] = &["toy_driver"];
//!     type Error = InjectedFault; // a real engine has an enum of its own failures
//!     type Session = ToySession;
//!
//!     fn classify(code: &ServerCode) -> ErrorClass {
//!         if code.sqlstate.starts_with("28") { ErrorClass::AuthFailure } else { ErrorClass::Permanent }
//!     }
//!
//!     fn username_limit(_: &DatabaseSecret) -> UsernameLimit {
//!         UsernameLimit::characters(32)
//!     }
//!
//!     async fn connect(login: &Login<'_>, guard: StatementGuard<Self>) -> Result<ToySession, DatabaseError<Self>> {
//!         let handshake = async { Ok::<_, std::io::Error>(()) };
//!         guard
//!             .connect(login.label, handshake, |error| DatabaseError::Unreachable {
//!                 login: login.label.to_owned(),
//!                 reason: error.to_string(),
//!             })
//!             .await?;
//!         Ok(ToySession { user: login.username().to_owned(), guard })
//!     }
//!
//!     async fn verify_identity(session: &mut ToySession, login: &Login<'_>) -> Result<(), DatabaseError<Self>> {
//!         if session.user == login.username() {
//!             return Ok(());
//!         }
//!         Err(DatabaseError::WrongUser {
//!             login: login.label.to_owned(),
//!             expected: login.username().to_owned(),
//!             actual: session.user.clone(),
//!         })
//!     }
//!
//!     async fn close(_: ToySession) {}
//! }
//!
//! /// The toy's one statement for a single user: `ALTER USER … PASSWORD …`, through the guard.
//! #[derive(Debug, Default)]
//! struct ToyOwnPassword;
//!
//! impl OwnPassword for ToyOwnPassword {
//!     type Engine = Toy;
//!     const FUNCTION: &'static str = "toy-single-user";
//!     const EXCLUDE_CHARACTERS: &'static str = "/@\"'\\";
//!
//!     async fn change_own_password(
//!         &self,
//!         _: &StepContext<'_>,
//!         _: &EngineKit<Toy>,
//!         session: &mut ToySession,
//!         _pending: &DatabaseSecret,
//!         _old: &SecretString,
//!     ) -> Result<(), RotatorError> {
//!         let change = async { Ok::<_, std::io::Error>(()) };
//!         let operation = "ALTER USER PASSWORD";
//!         session
//!             .guard
//!             .run(operation, change, |error| DatabaseError::<Toy>::StatementInterrupted {
//!                 operation,
//!                 reason: error.to_string(),
//!             })
//!             .await?;
//!         Ok(())
//!     }
//! }
//!
//! /// The whole rotator: createSecret, the login order, testSecret and the configuration test
//! /// are the kit's.
//! type ToySingleUser = SingleUser<ToyOwnPassword>;
//!
//! assert_eq!(ToySingleUser::new().name(), "toy-single-user");
//! assert_eq!(ToySingleUser::new().log_targets(), ["toy_driver"]);
//! ```
//!
//! Alternating users work the same way with [`AlternatePassword`]; [`AlternatingUsers`] proves
//! AWSCURRENT, verifies the master secret and logs in as the master before the engine's
//! statements run. For a rotator of another shape, [`EngineKit`] offers the same steps one by
//! one. rotor-core's tests rotate both strategies through a minimal engine like this one.
//!
//! # Decided once, for every engine
//!
//! - Only an [`ErrorClass::AuthFailure`](crate::ErrorClass) moves on to the next stored
//!   credential. An authentication-class code in answer to a statement of a session that did
//!   log in (MySQL's 1045 to a `GRANT`, PostgreSQL's 28000 to a `SET ROLE`) is a missing
//!   privilege and permanent, never a reason to try another password.
//! - The configuration test of alternating users (testSecret with no pending value) logs in as
//!   the master as well as with AWSCURRENT.
//! - createSecret of alternating users refuses an AWSCURRENT without `masterarn` before anything
//!   is stored.

mod engine;
mod error;
mod fallback;
mod guard;
mod hosts;
mod kit;
mod master;
mod master_target;
mod pair;
mod secret;
mod single_user;
mod strategy;
mod tls;
mod username;

pub use engine::{Engine, Login, MasterRights};
pub use error::{DatabaseError, ErrorTypes, ServerCode};
pub use fallback::{CredentialSource, NoWorkingCredential, RECENT_VERSION_LIMIT};
pub use guard::StatementGuard;
pub use hosts::HostOverrides;
pub use kit::{AlternatingLogin, EngineKit};
pub use master::{MasterRefused, MasterSecret, VerifiedMaster, read_master, verify_master};
pub use master_target::{
    MasterTargetError, PRIMARY_CLUSTER_TAG, PRIMARY_INSTANCE_TAG, REDSHIFT_MANAGED_TAGS,
};
pub use pair::{CLONE_SUFFIX, PairMismatch, UserPair, check_alternating, check_single_user};
pub use secret::{CA_BUNDLE_FIELD, CA_BUNDLE_VARIABLE, DatabaseSecret, EngineFamily, TLS_VARIABLE, TlsMode};
pub use single_user::SingleUserLogin;
pub use strategy::{AlternatePassword, AlternatingUsers, OwnPassword, SingleUser};
pub use tls::{CaBundleError, RDS_ROOTS_PEM, TrustedRoots};
pub use username::{
    INVALID_USERNAME_LIMIT, LengthUnit, USERNAME_CHARACTER_LIMIT, UsernameLimit, UsernameLimits,
    UsernameSetting,
};

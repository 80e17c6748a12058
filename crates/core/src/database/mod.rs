//! AWS's JSON format for database credentials and the logic both engine rotators share.
//!
//! No database code lives here. An engine crate brings its driver, its SQL and its server's
//! rules (how long a user name may be, how a password is set); this module owns what would
//! otherwise be written twice:
//!
//! - the secret schema and the TLS decision ([`DatabaseSecret`], [`EngineFamily`], [`TlsMode`]);
//! - which versions form a rotation: the same user on the same target, or the `_clone` pair
//!   ([`check_single_user`], [`check_alternating`], [`PairMismatch`]);
//! - the order in which stored credentials are tried, for the user itself
//!   ([`login_with_fallback`], [`single_user_login`]) and for the master user of alternating
//!   users ([`master_login`]);
//! - the CA certificates a verified connection trusts ([`TlsMode::trusted_roots`]).
//!
//! Engines pass a login closure: core decides which credential to try next and when to stop,
//! the engine opens the session. Only an [`ErrorClass::AuthFailure`](crate::ErrorClass) moves on
//! to the next credential.

mod fallback;
mod hosts;
mod master;
mod master_target;
mod pair;
mod secret;
mod single_user;
mod tls;

pub use fallback::{CredentialSource, NoWorkingCredential, RECENT_VERSION_LIMIT, login_with_fallback};
pub use hosts::HostOverrides;
pub use master::{
    MASTER_LABEL, MASTER_PENDING_LABEL, MasterRefused, VerifiedMaster, master_login, verify_master,
};
pub use master_target::{MasterTargetError, PRIMARY_CLUSTER_TAG, PRIMARY_INSTANCE_TAG};
pub use pair::{
    CLONE_SUFFIX, PairMismatch, UserPair, UsernameTooLong, alternate_username, alternating_pending,
    check_alternating, check_single_user,
};
pub use secret::{CA_BUNDLE_FIELD, CA_BUNDLE_VARIABLE, DatabaseSecret, EngineFamily, TLS_VARIABLE, TlsMode};
pub use single_user::{SingleUserLogin, single_user_login, single_user_pending};
pub use tls::{CaBundleError, RDS_ROOTS_PEM, TrustedRoots};

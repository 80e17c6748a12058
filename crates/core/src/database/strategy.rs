//! The two rotation strategies of AWS's database functions, as rotators generic over an engine's
//! one statement: [`SingleUser`] (the user changes its own password) and [`AlternatingUsers`]
//! (a master sets the password of whichever of `name` / `name_clone` is not in use).
//!
//! An engine crate implements [`OwnPassword`] and [`AlternatePassword`] with its SQL and names
//! the results (`pub type SingleUser = rotor_core::database::SingleUser<PgOwnPassword>;`).
//! Everything else a rotator does (createSecret, which credential logs in, the master's checks,
//! testSecret, the configuration test, the settings it reads, fault points and host overrides)
//! is written here once.

mod alternating_users;
mod single_user;

pub use alternating_users::{AlternatePassword, AlternatingUsers};
pub use single_user::{OwnPassword, SingleUser};

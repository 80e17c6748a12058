//! The two rotation strategies of AWS's database functions, as rotators generic over an engine's
//! one statement: [`SingleUser`] (the user changes its own password) and [`AlternatingUsers`]
//! (a master sets the password of whichever of `name` / `name_clone` is not in use).
//!
//! An engine crate implements [`OwnPassword`] and [`AlternatePassword`] with its SQL and names
//! the results (`pub type SingleUser = rotor_core::database::SingleUser<PgOwnPassword>;`).
//! Everything else a rotator does (createSecret, which credential logs in, the master's checks,
//! testSecret, the configuration test, the settings it reads, fault points and host overrides)
//! is written here once.

/// The builder methods both strategies share: fault points and host overrides go to the kit, and
/// the engine's settings can be read back. Both strategies hold `kit` and `plan`.
macro_rules! kit_builders {
    () => {
        /// Routes every connection and statement through `faults`, so tests can crash at each one.
        #[must_use]
        pub fn with_fault_points(mut self, faults: crate::fault::FaultPoints) -> Self {
            self.kit = self.kit.with_fault_points(faults);
            self
        }

        /// Connects to overriding addresses for some host names, verifying TLS against the names
        /// (tests only: see [`HostOverrides`](crate::database::HostOverrides)).
        #[must_use]
        pub fn with_host_overrides(mut self, hosts: crate::database::HostOverrides) -> Self {
            self.kit = self.kit.with_host_overrides(hosts);
            self
        }

        /// The engine's settings.
        pub fn plan(&self) -> &P {
            &self.plan
        }
    };
}

/// The [`Rotator`](crate::Rotator) methods both strategies answer from their plan and engine:
/// the function's name, the default excluded characters, the driver's log targets, and testSecret.
macro_rules! plan_identity {
    () => {
        fn name(&self) -> &'static str {
            P::FUNCTION
        }

        fn default_exclude_characters(&self) -> &'static str {
            P::EXCLUDE_CHARACTERS
        }

        fn log_targets(&self) -> &'static [&'static str] {
            <P::Engine as crate::database::Engine>::LOG_TARGETS
        }

        /// testSecret: AWSPENDING logs in as the user it names, over the TLS it demands.
        async fn test_secret(&self, ctx: &crate::StepContext<'_>) -> Result<(), crate::RotatorError> {
            self.kit.test_pending(ctx).await
        }
    };
}

mod alternating_users;
mod single_user;

pub use alternating_users::{AlternatePassword, AlternatingUsers};
pub use single_user::{OwnPassword, SingleUser};

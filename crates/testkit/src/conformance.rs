//! A conformance suite that any [`Rotator`] can run: the rotation protocol's promises, checked
//! against the rotator's own external system.
//!
//! # Design
//!
//! Secrets Manager retries any step at will, invokes a step twice at once, and a function can die
//! between any two calls. Core makes the protocol idempotent; this suite proves that a rotator
//! keeps that promise too. A rotator author supplies a [`Fixture`]: a fresh external system per
//! scenario, the secret that logs in to it, and one question the suite asks after every
//! scenario: *does this value log in now?* ([`Fixture::current_works`]). The suite plays Secrets
//! Manager with core's in-memory model behind [`FaultySecretsManager`], and checks:
//!
//! - **full rotation**: the four steps succeed, AWSCURRENT moves, AWSPREVIOUS keeps the old
//!   value, unknown fields survive, and the new AWSCURRENT works;
//! - **preamble**: rotation disabled, an unknown token, a token that is not AWSPENDING, a token
//!   that is already AWSCURRENT, and a configuration test on an empty AWSPENDING, each for every
//!   step, without touching the external system;
//! - **idempotency**: each step run twice in a row; the second run succeeds and changes nothing;
//! - **duplicates**: each step invoked twice concurrently (`tokio::join!`; the port yields before
//!   every call so the two interleave); a duplicate may fail only if its retry succeeds;
//! - **crashes**: a crash before and after every Secrets Manager call of a rotation (and every
//!   external operation, with [`Fixture::fault_points`]), followed by Secrets Manager's recovery:
//!   retries with the same token, then cancelling the stuck rotation and starting a new one;
//!   each scenario must end with AWSCURRENT working (zero lockouts) and the finish hook's work
//!   done ([`Fixture::finish_hook_done`]): a crash before or after the hook's external operation,
//!   or after AWSCURRENT moved but before the hook ran, is completed by the retried finishSecret;
//! - **leaks**: no value the suite ever stored (whole values and [`Fixture::SECRET_FIELDS`]) and
//!   no RotationToken appears in any log line (captured at TRACE in production format) or in any
//!   error message.
//!
//! [`check`] returns a [`Report`]; [`run`] panics with every finding. For a rotator without a
//! network, the suite takes well under a second.
//!
//! Run it on a current-thread runtime (`#[tokio::test]`'s default) so that log capture sees
//! every line. A whole custom rotator, proven:
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use rotor_core::{Classify, ErrorClass, Rotator, RotatorError, SecretJson, StepContext};
//! use rotor_testkit::conformance::{self, Fixture};
//!
//! #[derive(Debug, thiserror::Error)]
//! #[error("the key service refused the key")]
//! struct Refused;
//! impl Classify for Refused {
//!     fn class(&self) -> ErrorClass { ErrorClass::AuthFailure }
//!     fn error_type(&self) -> &'static str { "KeyRefused" }
//! }
//!
//! /// Rotates the key of a service that accepts one key at a time (here, a shared string).
//! struct ApiKey(Arc<Mutex<String>>);
//! impl Rotator for ApiKey {
//!     async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
//!         let key = ctx.pending().required_str("password").map_err(|e| ctx.malformed("AWSPENDING", e))?;
//!         *self.0.lock().unwrap() = key.to_owned(); // applying the same key twice changes nothing
//!         Ok(())
//!     }
//!     async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
//!         if self.current_works(ctx.pending()).await { Ok(()) } else { Err(Refused.into()) }
//!     }
//! }
//! impl Fixture for ApiKey {
//!     type Rotator = Self;
//!     fn initial_value(&self) -> String { r#"{"password":"initial-key"}"#.into() }
//!     fn rotator(&self) -> Self { Self(self.0.clone()) }
//!     async fn current_works(&self, s: &SecretJson) -> bool {
//!         s.required_str("password").is_ok_and(|key| *self.0.lock().unwrap() == key)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // In a test: #[tokio::test] async fn the_api_key_rotator_conforms() { ... }
//! let report = conformance::run(async || ApiKey(Arc::new(Mutex::new("initial-key".into())))).await;
//! assert_eq!(report.lockouts, 0);
//! # }
//! ```

mod crashes;
mod idempotency;
mod leaks;
mod preamble;
mod report;
mod scenario;

use std::future::Future;
use std::time::Instant;

use rotor_core::fault::FaultPoints;
use rotor_core::{Rotator, SecretJson};

pub use report::{Finding, Report};

#[cfg(doc)]
use crate::faults::FaultySecretsManager;

/// What a rotator author provides: one external system per scenario, and a way to ask it which
/// credential is live.
///
/// The suite calls the factory given to [`run`] once per scenario, so every scenario starts from
/// [`initial_value`](Fixture::initial_value) being the working credential.
pub trait Fixture {
    /// The rotator under test.
    type Rotator: Rotator;

    /// Fields whose values are secrets. Their values must never appear in logs or errors.
    const SECRET_FIELDS: &'static [&'static str] = &["password"];

    /// The AWSCURRENT value the secret starts with; it must work against the external system.
    fn initial_value(&self) -> String;

    /// Other secrets to create first, as `(name, value)`: e.g. the master secret that a
    /// `masterarn` field names (the model finds a secret by its name as well as its ARN).
    fn other_secrets(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// A rotator bound to this fixture's external system.
    fn rotator(&self) -> Self::Rotator;

    /// Whether `secret` is the credential the external system accepts now: it logs in, or it is
    /// the key consumers verify with. After every scenario the suite asks this of AWSCURRENT; a
    /// `false` is a lockout.
    fn current_works(&self, secret: &SecretJson) -> impl Future<Output = bool>;

    /// Whether the rotator's finish hook ([`Rotator::after_finish`]) has done its work for the
    /// completed rotation whose AWSCURRENT is `current` and AWSPREVIOUS `previous`: e.g. the
    /// previous credential no longer logs in. The suite asks this after every scenario that
    /// completed a rotation, crashes included; `false` is a finding. The default (`true`) suits
    /// a rotator without a hook.
    fn finish_hook_done(
        &self,
        current: &SecretJson,
        previous: Option<&SecretJson>,
    ) -> impl Future<Output = bool> {
        let _unused = (current, previous);
        async { true }
    }

    /// Fault points the rotator calls around its own external operations, if it has any. When
    /// given, the suite also crashes the rotation at each of those operations.
    fn fault_points(&self) -> Option<FaultPoints> {
        None
    }
}

/// Runs every check and returns what it found, without panicking.
pub async fn check<F: Fixture>(factory: impl AsyncFn() -> F) -> Report {
    let started = Instant::now();
    let mut report = Report::default();
    let capture = crate::capture::LogCapture::start();
    let mut needles = leaks::Needles::default();
    if full_rotation_conforms(&factory, &mut report, &mut needles).await {
        preamble::check(&factory, &mut report, &mut needles).await;
        idempotency::check_repeats(&factory, &mut report, &mut needles).await;
        idempotency::check_duplicates(&factory, &mut report, &mut needles).await;
        crashes::check(&factory, &mut report, &mut needles).await;
    }
    leaks::check_logs(&capture, &needles, &mut report);
    drop(capture);
    report.elapsed = started.elapsed();
    report
}

/// Runs every check; panics with all findings when the rotator does not conform.
pub async fn run<F: Fixture>(factory: impl AsyncFn() -> F) -> Report {
    let report = check(factory).await;
    report.assert_conforms();
    report
}

/// The baseline: the fixture is usable and one clean rotation works. Later checks only make
/// sense when this passes.
async fn full_rotation_conforms<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    report: &mut Report,
    needles: &mut leaks::Needles,
) -> bool {
    const CHECK: &str = "rotation";
    report.ran(CHECK);
    let scenario = match scenario::Scenario::start(factory, "a clean rotation", report).await {
        Ok(scenario) => scenario,
        Err(problem) => {
            report.fail(CHECK, "set-up", problem);
            return false;
        }
    };
    let before = report.findings().len();
    let old_version = scenario.current_version().await;
    let token = match scenario.start_rotation() {
        Ok(token) => token,
        Err(problem) => {
            report.fail(CHECK, scenario.name(), problem);
            return false;
        }
    };
    scenario.count_calls();
    for step in rotor_core::Step::ALL {
        scenario.store().faults().clear_log();
        if let Err(error) = scenario.step(&token, step).await {
            needles.error(&error);
            let problem = format!("{step} failed: {}", leaks::describe(&error));
            report.fail(CHECK, scenario.name(), problem);
            scenario.collect(needles).await;
            return false;
        }
        report.calls_per_rotation.push((step, scenario.calls()));
    }
    report.external_operations = scenario.external_operations();
    scenario
        .expect_rotated(&token, old_version.as_deref(), CHECK, report)
        .await;
    scenario.expect_fields_kept(CHECK, report).await;
    scenario.expect_current_works(CHECK, report).await;
    scenario.expect_finish_hook_done(CHECK, report).await;
    scenario.collect(needles).await;
    report.findings().len() == before
}

#[cfg(test)]
mod tests;

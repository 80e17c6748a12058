//! The suite against a fake credential service: a correct rotator passes, and each kind of
//! broken rotator is caught by the check that names its flaw.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rotor_core::fault::FaultPoints;
use rotor_core::{Classify, ErrorClass, FinishContext, Rotator, RotatorError, SecretJson, StepContext};
use secrecy::ExposeSecret;

use super::{Fixture, check, run};

/// The fake service refused a password.
#[derive(Debug, thiserror::Error)]
#[error("the service refused the password")]
struct Refused;

impl Classify for Refused {
    fn class(&self) -> ErrorClass {
        ErrorClass::AuthFailure
    }
    fn error_type(&self) -> &'static str {
        "Refused"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    None,
    /// setSecret refuses when the pending password is already active.
    NotIdempotent,
    /// setSecret logs the new password.
    LogsPassword,
    /// setSecret sets a password of its own instead of the pending one.
    IgnoresPending,
    /// setSecret reads the master secret and logs its password.
    LogsMasterPassword,
}

/// What the rotator's finish hook does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hook {
    /// No hook (the trait's default).
    None,
    /// Revokes the previous password; revoking it again is harmless.
    Revokes,
    /// Revokes the previous password, and fails when it is already revoked.
    RevokesOnlyOnce,
    /// Claims success without revoking anything.
    Forgets,
}

/// A service that accepts exactly one password, and remembers which passwords were revoked.
#[derive(Debug)]
struct Service {
    active: Mutex<String>,
    revoked: Mutex<Vec<String>>,
    points: FaultPoints,
}

struct ServiceRotator {
    service: Arc<Service>,
    flaw: Flaw,
    hook: Hook,
}

fn password(secret: &SecretJson) -> String {
    secret
        .password()
        .map(|p| p.expose_secret().to_owned())
        .unwrap_or_default()
}

impl Rotator for ServiceRotator {
    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = password(ctx.pending());
        let current = password(ctx.current().await?);
        if self.flaw == Flaw::LogsPassword {
            tracing::debug!(password = %pending, "setting the new password");
        }
        if self.flaw == Flaw::LogsMasterPassword {
            let master = password(&rotor_core::database::read_master(ctx).await?.value);
            tracing::debug!(master, "logging in as the master");
        }
        let ticket = self.service.points.before("set password")?;
        {
            let mut active = self.service.active.lock().unwrap();
            if *active == pending && self.flaw != Flaw::NotIdempotent {
                return Ok(());
            }
            if *active != current {
                return Err(Refused.into());
            }
            *active = match self.flaw {
                Flaw::IgnoresPending => format!("{pending}-but-different"),
                _ => pending,
            };
        }
        ticket.after()?;
        Ok(())
    }

    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let works = *self.service.active.lock().unwrap() == password(ctx.pending());
        if works || self.flaw == Flaw::IgnoresPending {
            Ok(())
        } else {
            Err(Refused.into())
        }
    }

    async fn after_finish(&self, ctx: &FinishContext<'_>) -> Result<(), RotatorError> {
        if matches!(self.hook, Hook::None | Hook::Forgets) {
            return Ok(());
        }
        let Some(previous) = ctx.previous_value().await?.map(password) else {
            return Ok(());
        };
        let ticket = self.service.points.before("revoke previous")?;
        {
            let mut revoked = self.service.revoked.lock().unwrap();
            if revoked.contains(&previous) {
                if self.hook == Hook::RevokesOnlyOnce {
                    return Err(Refused.into());
                }
            } else {
                revoked.push(previous);
            }
        }
        ticket.after()?;
        Ok(())
    }
}

struct ServiceFixture {
    service: Arc<Service>,
    flaw: Flaw,
    hook: Hook,
}

const INITIAL_PASSWORD: &str = "initial-password-0123";
const MASTER: &str = "conformance-master";

impl Fixture for ServiceFixture {
    type Rotator = ServiceRotator;

    fn initial_value(&self) -> String {
        format!(
            r#"{{"username":"app","password":"{INITIAL_PASSWORD}","host":"db.internal","masterarn":"{MASTER}"}}"#
        )
    }

    fn other_secrets(&self) -> Vec<(String, String)> {
        vec![(
            MASTER.to_owned(),
            r#"{"username":"admin","password":"master-password-4567"}"#.to_owned(),
        )]
    }

    fn rotator(&self) -> ServiceRotator {
        ServiceRotator {
            service: self.service.clone(),
            flaw: self.flaw,
            hook: self.hook,
        }
    }

    async fn current_works(&self, secret: &SecretJson) -> bool {
        *self.service.active.lock().unwrap() == password(secret)
    }

    async fn finish_hook_done(&self, _current: &SecretJson, previous: Option<&SecretJson>) -> bool {
        let revoked = self.service.revoked.lock().unwrap();
        self.hook == Hook::None || previous.is_none_or(|previous| revoked.contains(&password(previous)))
    }

    fn fault_points(&self) -> Option<FaultPoints> {
        Some(self.service.points.clone())
    }
}

fn fixture(flaw: Flaw) -> impl AsyncFn() -> ServiceFixture {
    fixture_with_hook(flaw, Hook::None)
}

fn fixture_with_hook(flaw: Flaw, hook: Hook) -> impl AsyncFn() -> ServiceFixture {
    async move || ServiceFixture {
        service: Arc::new(Service {
            active: Mutex::new(INITIAL_PASSWORD.to_owned()),
            revoked: Mutex::new(Vec::new()),
            points: FaultPoints::recording(),
        }),
        flaw,
        hook,
    }
}

#[tokio::test]
async fn a_correct_rotator_conforms_quickly_with_every_call_crashed() {
    let report = run(fixture(Flaw::None)).await;
    assert_eq!(report.calls_in_a_rotation(), 12, "{report}");
    assert_eq!(report.external_operations, ["set password"]);
    assert_eq!(report.crashes_injected, 2 * (12 + 1), "{report}");
    assert_eq!(report.crashes_not_fired, 0, "{report}");
    assert_eq!(report.lockouts, 0);
    assert_eq!(
        report.checks,
        [
            "rotation",
            "preamble",
            "idempotency",
            "duplicates",
            "crashes",
            "leaks"
        ]
    );
    assert!(report.elapsed < Duration::from_secs(10), "{report}");
}

#[tokio::test]
async fn a_set_secret_that_is_not_idempotent_is_caught_by_repeats_duplicates_and_crashes() {
    let report = check(fixture(Flaw::NotIdempotent)).await;
    let repeat = report
        .findings_of("idempotency")
        .next()
        .expect("a repeat finding");
    assert!(
        repeat.problem.contains("setSecret run a second time failed"),
        "{report}"
    );
    assert!(report.findings_of("duplicates").next().is_some(), "{report}");
    assert!(
        report
            .findings_of("crashes")
            .any(|f| f.scenario.contains("external operation 1"))
    );
    assert!(report.lockouts > 0, "{report}");
    assert_eq!(report.findings_of("leaks").count(), 0, "{report}");
}

#[tokio::test]
async fn a_rotator_that_logs_the_password_is_caught_without_the_finding_leaking_it() {
    let report = check(fixture(Flaw::LogsPassword)).await;
    let leaks: Vec<_> = report.findings_of("leaks").collect();
    assert!(!leaks.is_empty(), "{report}");
    assert!(leaks[0].problem.contains(r#"field "password""#), "{}", leaks[0]);
    assert!(
        leaks[0].problem.contains("setting the new password"),
        "{}",
        leaks[0]
    );
    assert_eq!(leaks[0].scenario, "a clean rotation");
    assert!(!report.to_string().contains(INITIAL_PASSWORD));
    assert_eq!(report.lockouts, 0, "{report}");
}

#[tokio::test]
async fn a_rotator_that_sets_a_different_password_is_a_lockout() {
    let report = check(fixture(Flaw::IgnoresPending)).await;
    let lockout = report.findings_of("rotation").next().expect("a lockout finding");
    assert!(lockout.problem.starts_with("lockout"), "{lockout}");
    assert_eq!(
        report.checks,
        ["rotation", "leaks"],
        "later checks need a clean rotation"
    );
}

#[tokio::test]
async fn other_secrets_are_seeded_and_their_values_checked_for_leaks() {
    let report = check(fixture(Flaw::LogsMasterPassword)).await;
    let leak = report
        .findings_of("leaks")
        .next()
        .expect("the master password leaked");
    assert!(leak.problem.contains("logging in as the master"), "{leak}");
    assert!(!report.to_string().contains("master-password-4567"));
    assert_eq!(
        report.findings_of("rotation").count(),
        0,
        "the master secret was readable: {report}"
    );
}

#[tokio::test]
#[should_panic(expected = "[idempotency] each step twice in a row: setSecret run a second time failed")]
async fn run_panics_with_a_precise_message() {
    run(fixture(Flaw::NotIdempotent)).await;
}

#[tokio::test]
async fn a_fixture_whose_initial_value_does_not_work_is_reported_as_such() {
    let report = check(async || ServiceFixture {
        service: Arc::new(Service {
            active: Mutex::new("something-else".into()),
            revoked: Mutex::new(Vec::new()),
            points: FaultPoints::none(),
        }),
        flaw: Flaw::None,
        hook: Hook::None,
    })
    .await;
    assert!(
        report.findings()[0].problem.contains("current_works rejects"),
        "{report}"
    );
}

#[tokio::test]
async fn a_finish_hook_converges_through_crashes_before_and_after_its_revocation() {
    let report = run(fixture_with_hook(Flaw::None, Hook::Revokes)).await;
    assert_eq!(report.external_operations, ["set password", "revoke previous"]);
    // The hook's GetSecretValue of AWSPREVIOUS is the 13th call.
    assert_eq!(report.calls_in_a_rotation(), 13, "{report}");
    assert_eq!(report.crashes_injected, 2 * (13 + 2), "{report}");
    assert_eq!(report.crashes_not_fired, 0, "{report}");
    assert_eq!(report.lockouts, 0);
}

#[tokio::test]
async fn a_finish_hook_that_fails_when_it_runs_again_is_caught_by_the_retries() {
    let report = check(fixture_with_hook(Flaw::None, Hook::RevokesOnlyOnce)).await;
    let completed = report
        .findings_of("preamble")
        .find(|finding| finding.scenario == "after a completed rotation")
        .expect("a retried finishSecret of a completed rotation runs the hook again");
    assert!(
        completed
            .problem
            .contains("finishSecret with the AWSCURRENT token failed"),
        "{completed}"
    );
    let repeat = report
        .findings_of("idempotency")
        .next()
        .expect("finishSecret twice in a row");
    assert!(
        repeat.problem.contains("finishSecret run a second time failed"),
        "{report}"
    );
}

#[tokio::test]
async fn a_finish_hook_that_does_not_do_its_work_is_a_finding() {
    let report = check(fixture_with_hook(Flaw::None, Hook::Forgets)).await;
    let finding = report.findings_of("rotation").next().expect("a rotation finding");
    assert!(finding.problem.contains("finish hook"), "{finding}");
}

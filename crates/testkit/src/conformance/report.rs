//! What the conformance suite found.

use std::fmt;
use std::time::Duration;

use rotor_core::Step;

/// One broken promise: which check, in which scenario, and what went wrong. Never holds a
/// secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The check, e.g. `idempotency`.
    pub check: &'static str,
    /// The scenario, e.g. `crash AfterApply at Secrets Manager call 4 (PutSecretValue)`.
    pub scenario: String,
    /// What went wrong.
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.check, self.scenario, self.problem)
    }
}

/// The outcome of [`check`](super::check): what ran, what it measured, and the findings.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Report {
    /// The checks that ran, in order.
    pub checks: Vec<&'static str>,
    /// Scenarios run, each on a fresh fixture.
    pub scenarios: usize,
    /// Secrets Manager calls of a clean rotation, per step.
    pub calls_per_rotation: Vec<(Step, Vec<String>)>,
    /// External operations the rotator logged through its fault points in a clean rotation.
    pub external_operations: Vec<String>,
    /// Crashes injected (each in its own scenario).
    pub crashes_injected: usize,
    /// Crash scenarios whose fault never fired (the call sequence was shorter than in a clean
    /// rotation).
    pub crashes_not_fired: usize,
    /// Scenarios that ended with an AWSCURRENT that does not work.
    pub lockouts: usize,
    /// Duplicate invocations that failed and succeeded when retried.
    pub duplicates_retried: usize,
    /// How long the suite took.
    pub elapsed: Duration,
    findings: Vec<Finding>,
}

impl Report {
    /// Everything that broke a promise.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Whether no check found anything.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// The findings of one check.
    pub fn findings_of(&self, check: &str) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |finding| finding.check == check)
    }

    /// Panics with every finding, one per line, when there is any.
    #[expect(clippy::panic, reason = "a conformance failure is a test failure")]
    pub fn assert_conforms(&self) {
        if !self.passed() {
            panic!("the rotator does not conform:\n{self}");
        }
    }

    /// Secrets Manager calls of a clean rotation, all steps together.
    pub fn calls_in_a_rotation(&self) -> usize {
        self.calls_per_rotation.iter().map(|(_, calls)| calls.len()).sum()
    }

    pub(super) fn ran(&mut self, check: &'static str) {
        if !self.checks.contains(&check) {
            self.checks.push(check);
        }
    }

    pub(super) fn fail(&mut self, check: &'static str, scenario: &str, problem: impl Into<String>) {
        self.ran(check);
        self.findings.push(Finding {
            check,
            scenario: scenario.to_owned(),
            problem: problem.into(),
        });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            let found = self.findings_of(check).count();
            let verdict = if found == 0 {
                "ok".to_owned()
            } else {
                format!("{found} finding(s)")
            };
            writeln!(f, "  {check:<12} {verdict}")?;
        }
        writeln!(
            f,
            "  {} scenarios, {} Secrets Manager calls per rotation, {} external operations, \
             {} crashes injected ({} did not fire), {} duplicate(s) retried, {} lockout(s), {:.2?}",
            self.scenarios,
            self.calls_in_a_rotation(),
            self.external_operations.len(),
            self.crashes_injected,
            self.crashes_not_fired,
            self.duplicates_retried,
            self.lockouts,
            self.elapsed
        )?;
        for finding in &self.findings {
            writeln!(f, "  {finding}")?;
        }
        Ok(())
    }
}

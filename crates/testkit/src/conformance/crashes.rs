//! A crash at every call a rotation makes, before and after it takes effect, each followed by
//! Secrets Manager's recovery; no scenario may end in a lockout.

use rotor_core::fault::FaultTiming;

use super::leaks::Needles;
use super::scenario::Scenario;
use super::{Fixture, Report};

const CHECK: &str = "crashes";

/// Where a crash strikes.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The k-th Secrets Manager call of the rotation (1-based).
    SecretsManager(usize),
    /// The k-th external operation the rotator reports through its fault points (1-based).
    External(usize),
}

/// Crashes every Secrets Manager call and every external operation of a clean rotation (as
/// counted in `report`), once before and once after it applies.
pub(super) async fn check<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    report: &mut Report,
    needles: &mut Needles,
) {
    report.ran(CHECK);
    let calls: Vec<String> = report
        .calls_per_rotation
        .iter()
        .flat_map(|(_, calls)| calls.iter().cloned())
        .collect();
    let operations = report.external_operations.clone();
    let targets = (1..=calls.len())
        .map(Target::SecretsManager)
        .chain((1..=operations.len()).map(Target::External));
    for target in targets {
        for timing in [FaultTiming::BeforeApply, FaultTiming::AfterApply] {
            let name = match target {
                Target::SecretsManager(k) => {
                    format!("crash {timing:?} at Secrets Manager call {k} ({})", calls[k - 1])
                }
                Target::External(k) => {
                    format!(
                        "crash {timing:?} at external operation {k} ({})",
                        operations[k - 1]
                    )
                }
            };
            crash(factory, target, timing, &name, report, needles).await;
        }
    }
}

async fn crash<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    target: Target,
    timing: FaultTiming,
    name: &str,
    report: &mut Report,
    needles: &mut Needles,
) {
    let scenario = match Scenario::start(factory, name, report).await {
        Ok(scenario) => scenario,
        Err(problem) => return report.fail(CHECK, name, problem),
    };
    let token = match scenario.start_rotation() {
        Ok(token) => token,
        Err(problem) => return report.fail(CHECK, name, problem),
    };
    let points = scenario.fixture().fault_points();
    match (target, &points) {
        (Target::SecretsManager(k), _) => scenario.store().faults().arm(k, timing),
        (Target::External(k), Some(points)) => points.arm(k, timing),
        (Target::External(_), None) => return,
    }
    report.crashes_injected += 1;
    let recovered = scenario.recover(&token, needles).await;
    let fired = match (target, &points) {
        (Target::External(_), Some(points)) => !points.armed(),
        _ => !scenario.store().faults().armed(),
    };
    scenario.store().faults().disarm();
    if let Some(points) = &points {
        points.disarm();
    }
    if !fired {
        report.crashes_not_fired += 1;
    }
    if let Err(history) = &recovered {
        report.fail(CHECK, name, format!("the rotation never completed: {history}"));
    }
    scenario.expect_settled(CHECK, report).await;
    scenario.expect_current_works(CHECK, report).await;
    if recovered.is_ok() {
        scenario.expect_finish_hook_done(CHECK, report).await;
    }
    scenario.collect(needles).await;
}

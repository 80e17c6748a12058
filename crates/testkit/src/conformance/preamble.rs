//! AWS's preamble rules, for every step: what must be refused is refused without touching the
//! external system, and what is already done is a no-op.

use rotor_core::{Classify, Step, StepOutcome};

use super::leaks::{self, Needles};
use super::scenario::Scenario;
use super::{Fixture, Report};

const CHECK: &str = "preamble";

/// Runs every preamble case, each on a fresh scenario.
pub(super) async fn check<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    report: &mut Report,
    needles: &mut Needles,
) {
    report.ran(CHECK);
    rotation_disabled(factory, report, needles).await;
    unknown_token(factory, report, needles).await;
    completed_rotation(factory, report, needles).await;
    configuration_test(factory, report, needles).await;
    missing_rotation_enabled(factory, report, needles).await;
}

async fn start<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    name: &str,
    report: &mut Report,
) -> Option<(Scenario<F>, String)> {
    let scenario = match Scenario::start(factory, name, report).await {
        Ok(scenario) => scenario,
        Err(problem) => {
            report.fail(CHECK, name, problem);
            return None;
        }
    };
    match scenario.start_rotation() {
        Ok(token) => Some((scenario, token)),
        Err(problem) => {
            report.fail(CHECK, name, problem);
            None
        }
    }
}

/// Every step with `token` must fail with `expected`, change no label, and leave AWSCURRENT working.
async fn expect_refused<F: Fixture>(
    scenario: &Scenario<F>,
    token: &str,
    expected: &str,
    report: &mut Report,
    needles: &mut Needles,
) {
    let before = scenario.labels().await;
    for step in Step::ALL {
        match scenario.step(token, step).await {
            Err(error) if error.error_type() == expected => needles.error(&error),
            Err(error) => {
                needles.error(&error);
                let problem = format!(
                    "{step} failed with {}, expected {expected}",
                    leaks::describe(&error)
                );
                report.fail(CHECK, scenario.name(), problem);
            }
            Ok(outcome) => {
                let problem = format!("{step} succeeded ({outcome}), expected {expected}");
                report.fail(CHECK, scenario.name(), problem);
            }
        }
    }
    let after = scenario.labels().await;
    if after != before {
        let problem = format!("refused steps changed the labels: {before:?} -> {after:?}");
        report.fail(CHECK, scenario.name(), problem);
    }
    scenario.expect_current_works(CHECK, report).await;
    scenario.collect(needles).await;
}

async fn rotation_disabled<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    report: &mut Report,
    needles: &mut Needles,
) {
    let Some((scenario, token)) = start(factory, "RotationEnabled is false", report).await else {
        return;
    };
    if let Err(error) = scenario.model().set_rotation_enabled(scenario.arn(), Some(false)) {
        report.fail(
            CHECK,
            scenario.name(),
            format!("disabling rotation in the model failed: {error}"),
        );
        return;
    }
    expect_refused(&scenario, &token, "RotationDisabled", report, needles).await;
}

async fn unknown_token<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    report: &mut Report,
    needles: &mut Needles,
) {
    let Some((scenario, _token)) = start(factory, "a token that is not a version", report).await else {
        return;
    };
    let stranger = leaks::random_token("unknown-version");
    expect_refused(&scenario, &stranger, "UnknownVersion", report, needles).await;
}

/// After a completed rotation: the old version's token is not AWSPENDING, and the completed
/// token is AWSCURRENT, which makes every step a no-op.
async fn completed_rotation<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    report: &mut Report,
    needles: &mut Needles,
) {
    let Some((scenario, token)) = start(factory, "after a completed rotation", report).await else {
        return;
    };
    let old = scenario.current_version().await.unwrap_or_default();
    if let Err(failure) = scenario.run_steps(&token, needles).await {
        report.fail(CHECK, scenario.name(), failure);
        return;
    }
    expect_refused(&scenario, &old, "NotPending", report, needles).await;
    let before = scenario.labels().await;
    for step in Step::ALL {
        match scenario.step(&token, step).await {
            Ok(StepOutcome::AlreadyCurrent) => {}
            Ok(outcome) => {
                let problem = format!("{step} with the AWSCURRENT token did {outcome}, expected no-op");
                report.fail(CHECK, scenario.name(), problem);
            }
            Err(error) => {
                needles.error(&error);
                let problem = format!(
                    "{step} with the AWSCURRENT token failed: {}",
                    leaks::describe(&error)
                );
                report.fail(CHECK, scenario.name(), problem);
            }
        }
    }
    if scenario.labels().await != before {
        report.fail(
            CHECK,
            scenario.name(),
            "steps with the AWSCURRENT token changed the labels",
        );
    }
    scenario.expect_current_works(CHECK, report).await;
    scenario.expect_finish_hook_done(CHECK, report).await;
}

/// RotateSecret with RotateImmediately=false: an empty AWSPENDING, then only testSecret.
async fn configuration_test<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    report: &mut Report,
    needles: &mut Needles,
) {
    let Some((scenario, token)) = start(factory, "a configuration test (empty AWSPENDING)", report).await
    else {
        return;
    };
    let before = scenario.labels().await;
    match scenario.step(&token, Step::TestSecret).await {
        Ok(StepOutcome::ConfigurationTested) => {}
        Ok(outcome) => {
            let problem = format!("testSecret did {outcome}, expected a configuration test");
            report.fail(CHECK, scenario.name(), problem);
        }
        Err(error) => {
            needles.error(&error);
            let problem = format!("testSecret failed: {}", leaks::describe(&error));
            report.fail(CHECK, scenario.name(), problem);
        }
    }
    if scenario.labels().await != before {
        report.fail(CHECK, scenario.name(), "a configuration test changed the labels");
    }
    scenario.expect_current_works(CHECK, report).await;
}

/// moto and some SDK answers leave RotationEnabled out; the rotation must still run.
async fn missing_rotation_enabled<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    report: &mut Report,
    needles: &mut Needles,
) {
    let Some((scenario, token)) = start(factory, "RotationEnabled is absent", report).await else {
        return;
    };
    if let Err(error) = scenario.model().set_rotation_enabled(scenario.arn(), None) {
        report.fail(
            CHECK,
            scenario.name(),
            format!("clearing RotationEnabled in the model failed: {error}"),
        );
        return;
    }
    if let Err(failure) = scenario.run_steps(&token, needles).await {
        report.fail(CHECK, scenario.name(), failure);
    }
    scenario.expect_current_works(CHECK, report).await;
    scenario.collect(needles).await;
}

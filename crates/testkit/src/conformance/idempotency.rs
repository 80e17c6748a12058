//! Each step again: once more after it succeeded, and twice at the same time.

use rotor_core::{SecretValue, Step};

use super::leaks::{self, Needles};
use super::scenario::Scenario;
use super::{Fixture, Report};

const REPEATS: &str = "idempotency";
const DUPLICATES: &str = "duplicates";

async fn start<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    check: &'static str,
    name: &str,
    report: &mut Report,
) -> Option<(Scenario<F>, String)> {
    report.ran(check);
    let started = Scenario::start(factory, name, report)
        .await
        .and_then(|scenario| scenario.start_rotation().map(|token| (scenario, token)));
    match started {
        Ok(started) => Some(started),
        Err(problem) => {
            report.fail(check, name, problem);
            None
        }
    }
}

/// Each step run twice in a row: the second run succeeds and changes neither the labels nor
/// the pending value, and the rotation ends with AWSCURRENT working.
pub(super) async fn check_repeats<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    report: &mut Report,
    needles: &mut Needles,
) {
    let Some((scenario, token)) = start(factory, REPEATS, "each step twice in a row", report).await else {
        return;
    };
    for step in Step::ALL {
        if let Err(error) = scenario.step(&token, step).await {
            needles.error(&error);
            let problem = format!("{step} failed the first time: {}", leaks::describe(&error));
            report.fail(REPEATS, scenario.name(), problem);
            return;
        }
        let labels = scenario.labels().await;
        let pending = scenario.value_of(&token).await;
        if let Err(error) = scenario.step(&token, step).await {
            needles.error(&error);
            let problem = format!(
                "{step} run a second time failed: {}; a step must succeed again without changing anything",
                leaks::describe(&error)
            );
            report.fail(REPEATS, scenario.name(), problem);
        }
        let labels_after = scenario.labels().await;
        if labels_after != labels {
            let problem =
                format!("{step} run a second time changed the labels: {labels:?} -> {labels_after:?}");
            report.fail(REPEATS, scenario.name(), problem);
        }
        if scenario.value_of(&token).await != pending {
            let problem = format!("{step} run a second time changed the pending value");
            report.fail(REPEATS, scenario.name(), problem);
        }
    }
    scenario.expect_settled(REPEATS, report).await;
    scenario.expect_current_works(REPEATS, report).await;
    scenario.collect(needles).await;
}

/// Each step invoked twice at once. A duplicate may fail (Secrets Manager then retries it), but
/// its retry must succeed, one pending value must win, and AWSCURRENT must end up working.
pub(super) async fn check_duplicates<F: Fixture>(
    factory: &impl AsyncFn() -> F,
    report: &mut Report,
    needles: &mut Needles,
) {
    let Some((scenario, token)) = start(factory, DUPLICATES, "each step invoked twice at once", report).await
    else {
        return;
    };
    let mut pending: Option<SecretValue> = None;
    for step in Step::ALL {
        let (first, second) = tokio::join!(scenario.step(&token, step), scenario.step(&token, step));
        for result in [first, second] {
            let Err(error) = result else { continue };
            needles.error(&error);
            report.duplicates_retried += 1;
            if let Err(again) = scenario.step(&token, step).await {
                needles.error(&again);
                let problem = format!(
                    "a duplicate {step} failed ({}) and so did its retry ({})",
                    leaks::describe(&error),
                    leaks::describe(&again)
                );
                report.fail(DUPLICATES, scenario.name(), problem);
                scenario.collect(needles).await;
                return;
            }
        }
        match (&pending, scenario.value_of(&token).await) {
            (None, value) => pending = value,
            (Some(kept), value) if value.as_ref() != Some(kept) => {
                let problem = format!("the pending value changed during duplicate {step} invocations");
                report.fail(DUPLICATES, scenario.name(), problem);
            }
            _ => {}
        }
    }
    scenario.expect_settled(DUPLICATES, report).await;
    scenario.expect_current_works(DUPLICATES, report).await;
    scenario.collect(needles).await;
}

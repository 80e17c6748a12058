//! The timeline of one rotation: each step, its duration, and the labels after it.

use crate::advice::{self, Situation};
use crate::output::{Output, duration, short};
use crate::rotation::{Labels, RotationRun};

const ORDER: [&str; 3] = ["AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"];

fn rank(stage: &str) -> usize {
    ORDER
        .iter()
        .position(|label| *label == stage)
        .unwrap_or(ORDER.len())
}

/// A version's labels in a fixed order, joined: `AWSCURRENT+AWSPENDING`; `-` for none.
pub(crate) fn stages(stages: &[String]) -> String {
    let mut sorted: Vec<&str> = stages.iter().map(String::as_str).collect();
    sorted.sort_by_key(|stage| (rank(stage), *stage));
    if sorted.is_empty() {
        "-".to_owned()
    } else {
        sorted.join("+")
    }
}

/// Labels in one line, AWSCURRENT's version first: `3f2a9c1e AWSCURRENT+AWSPENDING · 9b1d0e22 AWSPREVIOUS`.
pub(crate) fn labels(labels: &Labels) -> String {
    let first = |labels: &[String]| {
        labels
            .iter()
            .map(|stage| rank(stage))
            .min()
            .unwrap_or(ORDER.len())
    };
    // moto lists versions whose labels are all gone; the service does not.
    let mut versions: Vec<(&String, &Vec<String>)> =
        labels.iter().filter(|(_, labels)| !labels.is_empty()).collect();
    versions.sort_by_key(|(id, labels)| (first(labels), *id));
    let parts: Vec<String> = versions
        .into_iter()
        .map(|(id, labels)| format!("{} {}", short(id), stages(labels)))
        .collect();
    if parts.is_empty() {
        "(no labelled versions)".to_owned()
    } else {
        parts.join(" · ")
    }
}

/// Prints the timeline, then the result; on failure, which step failed and what to do.
pub(crate) fn print(output: Output, run: &RotationRun, situation: Situation<'_>) {
    if let Some(before) = &run.labels_before {
        output.line(format!(
            "  {:<14} {:>9}  {:<50} {}",
            "before",
            "",
            "",
            labels(before)
        ));
    }
    for record in &run.steps {
        let after = record.labels.as_ref().map(labels).unwrap_or_default();
        output.line(format!(
            "  {:<14} {:>9}  {:<50} {after}",
            record.step,
            duration(record.took),
            record.outcome
        ));
    }
    match &run.result {
        Ok(()) => {
            let token = run.token.as_deref().unwrap_or_default();
            output.line(format!(
                "rotated {} in {}: AWSCURRENT is version {token}",
                run.display_name(),
                duration(run.took)
            ));
        }
        Err(failure) => {
            output.line(format!(
                "  {:<14} {:>9}  FAILED: {}",
                failure.step, "", failure.message
            ));
            let name = run.display_name();
            if let Some(access) = &failure.access {
                output.note(format!(
                    "error: rotation of {name} failed at {}: {access}",
                    failure.step
                ));
            } else {
                let class = failure
                    .class
                    .map(|class| format!(", class {class:?}"))
                    .unwrap_or_default();
                output.note(format!(
                    "error: rotation of {name} failed at {} ({}{class}): {}",
                    failure.step, failure.error_type, failure.message
                ));
            }
            for line in advice::advise(failure, situation) {
                output.note(format!("  what to do: {line}"));
            }
        }
    }
}

//! The leak check: every value the suite stored, and every RotationToken it sent, searched for
//! in every captured log line and every error message.

use std::collections::BTreeMap;

use rotor_core::{Classify, RotationError, SecretJson, SecretValue};

use super::Report;
use super::scenario::SCENARIO_STARTED;
use crate::capture::LogCapture;

const CHECK: &str = "leaks";
/// Shorter strings would match ordinary words, so they are not searched for.
const MIN_NEEDLE_CHARS: usize = 6;
/// Leak findings reported in full; the rest are counted.
const MAX_REPORTED: usize = 5;
/// How much of a leaking log line a finding shows (with the secret replaced).
const EXCERPT_CHARS: usize = 240;

/// What must never be printed, each with where it came from, and the errors seen so far.
/// `Debug` shows where the needles came from, never the needles themselves.
#[derive(Default)]
pub(super) struct Needles {
    needles: BTreeMap<String, String>,
    errors: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for Needles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Needles")
            .field("origins", &self.needles.values().collect::<Vec<_>>())
            .field("errors", &self.errors.len())
            .finish()
    }
}

impl Needles {
    fn add(&mut self, text: &str, origin: impl FnOnce() -> String) {
        if text.chars().count() >= MIN_NEEDLE_CHARS && !self.needles.contains_key(text) {
            self.needles.insert(text.to_owned(), origin());
        }
    }

    /// A stored value: the whole string and each of `fields`.
    pub(super) fn value(&mut self, value: &SecretValue, fields: &[&str], version_id: &str) {
        self.add(value.expose(), || {
            format!("the whole value of version {version_id}")
        });
        if let Ok(json) = SecretJson::parse(value) {
            for field in fields {
                if let Ok(Some(text)) = json.optional_str(field) {
                    self.add(text, || format!("field {field:?} of version {version_id}"));
                }
            }
        }
    }

    /// A RotationToken.
    pub(super) fn token(&mut self, token: &str) {
        self.add(token, || "the RotationToken".to_owned());
    }

    /// An error a step returned; its message and `Debug` are checked at the end.
    pub(super) fn error(&mut self, error: &RotationError) {
        self.errors
            .push((error.error_type(), format!("{error} {error:?}")));
    }
}

/// An error as findings show it: its message and its stable type.
pub(super) fn describe(error: &RotationError) -> String {
    format!("{error} [{}]", error.error_type())
}

/// A random string that cannot collide with anything else in a log.
pub(super) fn random_token(prefix: &str) -> String {
    format!("{prefix}-{:032x}", rand::random::<u128>())
}

/// Checks the whole capture and every recorded error against every needle.
pub(super) fn check_logs(capture: &LogCapture, needles: &Needles, report: &mut Report) {
    report.ran(CHECK);
    let text = capture.text();
    if !text.contains("rotation step") {
        report.fail(
            CHECK,
            "log capture",
            "no rotation log line was captured, so leaks cannot be checked: run the suite on a \
             current-thread runtime (plain #[tokio::test])",
        );
    }
    let mut leaks = Vec::new();
    let mut scenario = "before any scenario";
    for line in text.lines() {
        if line.contains(SCENARIO_STARTED) {
            scenario = scenario_name(line).unwrap_or(scenario);
        }
        for (needle, origin) in &needles.needles {
            if line.contains(needle.as_str()) {
                let excerpt = redacted(line, &needles.needles);
                leaks.push((
                    scenario.to_owned(),
                    format!("a log line contains {origin}: {excerpt}"),
                ));
            }
        }
    }
    for (error_type, message) in &needles.errors {
        for (needle, origin) in &needles.needles {
            if message.contains(needle.as_str()) {
                let problem = format!("an error of type {error_type} contains {origin}");
                leaks.push(("a step's error".to_owned(), problem));
            }
        }
    }
    let total = leaks.len();
    for (scenario, problem) in leaks.into_iter().take(MAX_REPORTED) {
        report.fail(CHECK, &scenario, problem);
    }
    if total > MAX_REPORTED {
        report.fail(
            CHECK,
            "all scenarios",
            format!("... and {} more leaks", total - MAX_REPORTED),
        );
    }
}

/// The `scenario` field of a scenario-start line in the JSON log format.
fn scenario_name(line: &str) -> Option<&str> {
    let start = line.find(r#""scenario":""#)? + r#""scenario":""#.len();
    let length = line[start..].find('"')?;
    Some(&line[start..start + length])
}

/// The line with every secret replaced by its origin, shortened, so the finding leaks nothing.
fn redacted(line: &str, needles: &BTreeMap<String, String>) -> String {
    let mut line = line.to_owned();
    for (needle, origin) in needles {
        if line.contains(needle.as_str()) {
            line = line.replace(needle.as_str(), &format!("<{origin}>"));
        }
    }
    let mut excerpt: String = line.chars().take(EXCERPT_CHARS).collect();
    if excerpt.len() < line.len() {
        excerpt.push('…');
    }
    excerpt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_debug_names_their_origins_but_not_the_secrets() {
        let mut needles = Needles::default();
        needles.value(
            &SecretValue::new(r#"{"password":"needle-Pw-3e7a91"}"#),
            &["password"],
            "v1",
        );
        needles.token("needle-rotation-token-55d0");
        let debug = format!("{needles:?} {needles:#?}");
        assert!(!debug.contains("needle-Pw-3e7a91"), "{debug}");
        assert!(!debug.contains("needle-rotation-token-55d0"), "{debug}");
        assert!(debug.contains("the RotationToken"), "{debug}");
    }
}

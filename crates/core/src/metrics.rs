//! CloudWatch metrics without an API call: each invocation prints Embedded Metric Format (EMF)
//! lines to stdout, which Lambda sends to CloudWatch Logs, where they become metrics. The
//! function needs no `cloudwatch:PutMetricData` permission and makes no extra call.
//!
//! Every invocation writes one line in namespace [`NAMESPACE`] with the dimensions `Rotator` and
//! `Step` and the metrics `Invocations` (Count, 1), `Errors` (Count, 0 or 1) and `Duration`
//! (Milliseconds). A failed invocation writes a second line with the dimensions `Rotator`,
//! `Step` and `ErrorType` and the metric `Errors` (1), so alarms can count failures per step and
//! dashboards can break them down by [`Classify::error_type`](crate::Classify::error_type). The
//! lines hold names only: never a secret value, an ARN or a token.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// The CloudWatch namespace of every metric rotor writes.
pub const NAMESPACE: &str = "Rotor";

/// The `Step` dimension of an invocation whose payload was not a rotation event.
pub const UNKNOWN_STEP: &str = "unknown";

/// What one invocation reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvocationMetrics<'a> {
    /// The `Rotator` dimension ([`Rotator::name`](crate::Rotator::name)).
    pub rotator: &'a str,
    /// The `Step` dimension (`createSecret`, ..., or [`UNKNOWN_STEP`]).
    pub step: &'a str,
    /// How long the invocation took.
    pub duration: Duration,
    /// The failure's `errorType`, `None` on success.
    pub error_type: Option<&'a str>,
}

impl InvocationMetrics<'_> {
    /// The EMF objects for this invocation, stamped with `timestamp` (milliseconds since the Unix
    /// epoch): one on success, two on failure.
    pub fn emf(&self, timestamp: u64) -> Vec<Value> {
        let failed = self.error_type.is_some();
        let duration_ms = self.duration.as_secs_f64() * 1000.0;
        let mut lines = vec![json!({
            "_aws": {
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Rotator", "Step"]],
                    "Metrics": [
                        {"Name": "Invocations", "Unit": "Count"},
                        {"Name": "Errors", "Unit": "Count"},
                        {"Name": "Duration", "Unit": "Milliseconds"},
                    ],
                }],
            },
            "Rotator": self.rotator,
            "Step": self.step,
            "Invocations": 1,
            "Errors": u8::from(failed),
            "Duration": duration_ms,
        })];
        if let Some(error_type) = self.error_type {
            lines.push(json!({
                "_aws": {
                    "Timestamp": timestamp,
                    "CloudWatchMetrics": [{
                        "Namespace": NAMESPACE,
                        "Dimensions": [["Rotator", "Step", "ErrorType"]],
                        "Metrics": [{"Name": "Errors", "Unit": "Count"}],
                    }],
                },
                "Rotator": self.rotator,
                "Step": self.step,
                "ErrorType": error_type,
                "Errors": 1,
            }));
        }
        lines
    }

    /// Writes the EMF lines, stamped now, to `out`, one JSON object per line.
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX));
        let mut text = String::new();
        for line in self.emf(timestamp) {
            text.push_str(&line.to_string());
            text.push('\n');
        }
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// Writes the EMF lines to stdout, where Lambda collects them. A failure to write is ignored:
    /// metrics never fail a rotation.
    pub fn emit(&self) {
        let _ignored = self.write_to(&mut std::io::stdout().lock());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(error_type: Option<&str>) -> InvocationMetrics<'_> {
        InvocationMetrics {
            rotator: "HmacKeyRotator",
            step: "setSecret",
            duration: Duration::from_micros(12_500),
            error_type,
        }
    }

    #[test]
    fn a_success_is_one_emf_line_with_invocations_errors_and_duration_per_rotator_and_step() {
        let lines = metrics(None).emf(1_700_000_000_000);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000_u64);
        assert_eq!(directive["Namespace"], "Rotor");
        assert_eq!(directive["Dimensions"], json!([["Rotator", "Step"]]));
        let names: Vec<&str> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|metric| metric["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Invocations", "Errors", "Duration"]);
        assert_eq!(directive["Metrics"][2]["Unit"], "Milliseconds");
        assert_eq!(line["Rotator"], "HmacKeyRotator");
        assert_eq!(line["Step"], "setSecret");
        assert_eq!(line["Invocations"], 1);
        assert_eq!(line["Errors"], 0);
        assert_eq!(line["Duration"], 12.5);
    }

    #[test]
    fn a_failure_counts_an_error_and_adds_a_line_with_the_error_type_dimension() {
        let lines = metrics(Some("ServiceRefused")).emf(1);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["Errors"], 1);
        let by_type = &lines[1];
        assert_eq!(
            by_type["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Rotator", "Step", "ErrorType"]])
        );
        assert_eq!(
            by_type["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "Errors", "Unit": "Count"}])
        );
        assert_eq!(by_type["ErrorType"], "ServiceRefused");
        assert_eq!(by_type["Errors"], 1);
    }

    #[test]
    fn every_line_written_is_one_json_object() {
        let mut out = Vec::new();
        metrics(Some("ServiceRefused")).write_to(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines
                .iter()
                .all(|line| line["_aws"]["Timestamp"].as_u64().unwrap() > 0)
        );
    }
}

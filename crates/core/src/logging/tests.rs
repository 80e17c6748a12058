use std::sync::{Arc, Mutex};

use tracing::span::{Attributes, Id};
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use super::*;

/// Records what reaches the formatter: `"<LEVEL> <target> span:<name>"` per span and
/// `"<LEVEL> <target> event:<message>"` per event.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

/// An event's message.
#[derive(Default)]
struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Recorder {
    fn push(&self, metadata: &Metadata<'_>, kind: &str, name: &str) {
        self.0.lock().unwrap().push(format!(
            "{} {} {kind}:{name}",
            metadata.level(),
            metadata.target(),
        ));
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        self.push(attrs.metadata(), "span", attrs.metadata().name());
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut message = Message::default();
        event.record(&mut message);
        self.push(event.metadata(), "event", &message.0);
    }
}

const ORCHESTRATOR: &str = "aws_smithy_runtime::client::orchestrator";

/// The same callsites for every case: a capped module at each level, inside and outside a span
/// named `invoke` with a `body` field, and rotor's own module as the control.
fn emit() {
    tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "request body");
    tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "response body");
    tracing::trace!(target: "aws_smithy_runtime", "crate root");
    tracing::trace!(target: "aws_sdk_secretsmanager::operation::put_secret_value", "input");
    tracing::trace!(target: "hyper::proto::h1::io", "written bytes");
    tracing::info!(target: "aws_smithy_runtime::client::orchestrator", "capped info");
    tracing::trace!(target: "rotor_core::steps", "rotor trace");
    tracing::trace!(target: "hyperlocal_client", "prefix only");
    tracing::trace!(target: "toy_driver::protocol", "engine driver");
    let outer = tracing::info_span!(target: "rotor_core::function", "invoke", body = 1);
    let _outer = outer.enter();
    tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "in span");
    let inner = tracing::trace_span!(target: "aws_smithy_runtime::client::orchestrator", "invoke", body = 2);
    let _inner = inner.enter();
    tracing::trace!(target: "rotor_core::steps", "rotor in capped span");
}

/// What `emit` gets through the production filter at `directives`. With `crowded`, a
/// permissive subscriber is alive too, so callsite interest is "sometimes" and every event
/// goes through `enabled` instead of the cached `register_callsite` answer.
fn through_filter(directives: &str, crowded: bool) -> Vec<String> {
    let recorder = Recorder::default();
    let permissive = crowded.then(|| Dispatch::new(tracing_subscriber::registry().with(Recorder::default())));
    let subscriber = tracing_subscriber::registry()
        .with(filter(directives, &["toy_driver"]))
        .with(recorder.clone());
    tracing::subscriber::with_default(subscriber, emit);
    drop(permissive);
    recorder.lines()
}

fn below_info_from_capped(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|line| line.starts_with("TRACE ") || line.starts_with("DEBUG "))
        .filter(|line| {
            line.split(' ')
                .nth(1)
                .is_some_and(|target| DependencyCap::new(&["toy_driver"]).caps(target))
        })
        .collect()
}

const PER_MODULE_DIRECTIVES: [&str; 9] = [
    "aws_smithy_runtime::client::orchestrator=trace",
    "aws_smithy_runtime=trace",
    "hyper=trace,aws_sdk_secretsmanager::operation=trace",
    "aws_sdk_secretsmanager::operation::put_secret_value=trace",
    "[invoke]=trace",
    "[invoke{body}]=trace",
    "aws_smithy_runtime[invoke]=trace",
    "aws_smithy_runtime::client::orchestrator[invoke{body=2}]=trace",
    "trace",
];

#[test]
fn no_directive_brings_a_capped_target_below_info() {
    for crowded in [false, true] {
        for directives in PER_MODULE_DIRECTIVES {
            let lines = through_filter(directives, crowded);
            assert_eq!(
                below_info_from_capped(&lines),
                Vec::<&String>::new(),
                "{directives} (crowded: {crowded}) let a capped target through: {lines:#?}"
            );
            assert!(
                lines.contains(&format!("INFO {ORCHESTRATOR} event:capped info")),
                "{directives} (crowded: {crowded}): INFO of a capped target is kept: {lines:#?}"
            );
        }
    }
}

#[test]
fn the_same_directives_without_the_cap_would_let_capped_targets_through() {
    // Proves the cases above can fail: EnvFilter alone lets the specific directive win.
    for directives in PER_MODULE_DIRECTIVES {
        let recorder = Recorder::default();
        let subscriber = tracing_subscriber::registry()
            .with(requested_filter(directives))
            .with(recorder.clone());
        tracing::subscriber::with_default(subscriber, emit);
        let lines = recorder.lines();
        assert!(
            !below_info_from_capped(&lines).is_empty(),
            "{directives} enables nothing capped on its own: {lines:#?}"
        );
    }
}

#[test]
fn capped_targets_keep_info_and_other_targets_keep_every_level() {
    for crowded in [false, true] {
        let lines = through_filter("trace", crowded);
        for expected in [
            "INFO aws_smithy_runtime::client::orchestrator event:capped info",
            "TRACE rotor_core::steps event:rotor trace",
            "TRACE hyperlocal_client event:prefix only",
            "INFO rotor_core::function span:invoke",
        ] {
            assert!(
                lines.iter().any(|line| line == expected),
                "{expected} missing: {lines:#?}"
            );
        }
    }
}

#[test]
fn a_per_module_setting_keeps_rotors_own_info_lines() {
    let lines = through_filter("aws_smithy_runtime::client::orchestrator=trace", false);
    assert!(
        lines
            .iter()
            .any(|line| line == "INFO rotor_core::function span:invoke"),
        "{lines:#?}"
    );
    let lines = through_filter("warn", false);
    assert!(
        lines.iter().all(|line| !line.starts_with("INFO ")),
        "a bare level replaces the default: {lines:#?}"
    );
}

#[test]
fn a_target_is_capped_with_its_modules_but_not_by_a_shared_prefix() {
    assert!(is_capped("hyper"));
    assert!(is_capped("hyper::proto::h1"));
    assert!(is_capped("aws_smithy_runtime_api::client"));
    assert!(!is_capped("hyperlocal"));
    assert!(!is_capped("rotor_core::logging"));
    assert!(!is_capped("tower_http_like"));
    assert!(
        !is_capped("tokio_postgres"),
        "engine crates declare their drivers"
    );
    let cap = DependencyCap::new(&["tokio_postgres"]);
    assert!(cap.caps("tokio_postgres::query") && cap.caps("hyper"));
    assert!(!cap.caps("tokio_postgres_rustls_like"));
}

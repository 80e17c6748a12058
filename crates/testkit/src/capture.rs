//! Captures tracing output, formatted and filtered exactly as in production at TRACE, so tests
//! can prove that no secret reaches a log.
//!
//! One process-wide subscriber is installed on first use (production JSON format, production
//! filter at TRACE). It writes each line to the capture active on the writing thread, if any.
//! A global subscriber avoids the interest-cache races of per-thread dispatchers, which can make
//! a capture miss events when tests run on parallel threads.
//!
//! Driver targets that an engine crate declares ([`Rotator::log_targets`](rotor_core::Rotator::log_targets))
//! are capped as production caps them once a capture names them ([`LogCapture::start_capping`]):
//! the capping is process-wide and only grows, so a later capture never sees less capped.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once, PoisonError};

use rotor_core::logging::DependencyCap;
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

type Buffer = Arc<Mutex<Vec<u8>>>;

thread_local! {
    static ACTIVE: RefCell<Option<Buffer>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// The driver targets captures cap besides rotor-core's own, as production does for the rotator
/// that declares them.
static DECLARED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// Caps the [`DECLARED`] targets below INFO. They can be added after callsites registered, so
/// every callsite is asked again on each event instead of caching an answer.
struct DeclaredCap;

impl DeclaredCap {
    fn allows(metadata: &Metadata<'_>) -> bool {
        let declared = DECLARED.lock().unwrap_or_else(PoisonError::into_inner);
        DependencyCap::new(&declared).allows(metadata)
    }
}

impl<S: Subscriber> Layer<S> for DeclaredCap {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        Self::allows(metadata)
    }
}

/// Writes to the capture active on the current thread; discards otherwise.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        ACTIVE.with(|active| {
            if let Some(buffer) = active.borrow().as_ref() {
                buffer
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct ThreadWriters;

impl<'a> MakeWriter<'a> for ThreadWriters {
    type Writer = ThreadWriter;

    fn make_writer(&'a self) -> Self::Writer {
        ThreadWriter
    }
}

/// Log lines captured on this thread while the value lives.
///
/// Use it in a current-thread runtime (`#[tokio::test]`'s default) so that tasks spawned by
/// dependencies (HTTP connections, database drivers) log into the capture too.
#[must_use = "the capture stops when this value is dropped"]
pub struct LogCapture {
    buffer: Buffer,
    outer: Option<Buffer>,
}

impl std::fmt::Debug for LogCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogCapture").finish_non_exhaustive()
    }
}

impl LogCapture {
    /// Starts capturing everything logged on this thread at TRACE, through rotor's production
    /// filter (which caps dependencies that log request bodies) and production's JSON format.
    pub fn start() -> Self {
        Self::start_capping(&[])
    }

    /// Like [`start`](Self::start), with `targets` (a rotator's
    /// [`log_targets`](rotor_core::Rotator::log_targets)) capped as production caps them.
    pub fn start_capping(targets: &[&'static str]) -> Self {
        cap_targets(targets);
        INSTALL.call_once(|| {
            let format = tracing_subscriber::fmt::layer()
                .json()
                .with_writer(ThreadWriters)
                .with_current_span(true)
                .with_span_list(true);
            let _first_subscriber = tracing_subscriber::registry()
                .with(rotor_core::logging::filter("trace", &[]))
                .with(DeclaredCap)
                .with(format)
                .try_init();
        });
        let buffer = Buffer::default();
        let outer = ACTIVE.with(|active| active.borrow_mut().replace(buffer.clone()));
        Self { buffer, outer }
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// Which of `needles` appear in the capture. Empty needles are ignored.
    pub fn leaked<'n>(&self, needles: &[&'n str]) -> Vec<&'n str> {
        let text = self.text();
        needles
            .iter()
            .copied()
            .filter(|needle| !needle.is_empty() && text.contains(needle))
            .collect()
    }
}

/// Caps `targets` (a rotator's [`log_targets`](rotor_core::Rotator::log_targets)) in every
/// capture of this process from now on, as production caps them.
pub fn cap_targets(targets: &[&'static str]) {
    let mut declared = DECLARED.lock().unwrap_or_else(PoisonError::into_inner);
    for target in targets {
        if !declared.contains(target) {
            declared.push(target);
        }
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        let outer = self.outer.take();
        ACTIVE.with(|active| *active.borrow_mut() = outer);
    }
}

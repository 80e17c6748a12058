//! Captures tracing output, formatted and filtered exactly as in production at TRACE, so tests
//! can prove that no secret reaches a log.
//!
//! One process-wide subscriber is installed on first use (production JSON format, production
//! filter at TRACE). It writes each line to the capture active on the writing thread, if any.
//! A global subscriber avoids the interest-cache races of per-thread dispatchers, which can make
//! a capture miss events when tests run on parallel threads.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once, PoisonError};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

type Buffer = Arc<Mutex<Vec<u8>>>;

thread_local! {
    static ACTIVE: RefCell<Option<Buffer>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

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
        INSTALL.call_once(|| {
            let format = tracing_subscriber::fmt::layer()
                .json()
                .with_writer(ThreadWriters)
                .with_current_span(true)
                .with_span_list(true);
            let _first_subscriber = tracing_subscriber::registry()
                .with(rotor_core::logging::filter("trace"))
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

impl Drop for LogCapture {
    fn drop(&mut self) {
        let outer = self.outer.take();
        ACTIVE.with(|active| *active.borrow_mut() = outer);
    }
}

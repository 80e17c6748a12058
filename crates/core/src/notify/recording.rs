use std::sync::{Mutex, PoisonError};

use super::{NotificationError, NotifyFuture, RotationNotice, RotationNotifier};

/// An in-memory notifier for tests: records every notice, or refuses them all.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    notices: Mutex<Vec<RotationNotice>>,
    refuse: bool,
}

impl RecordingNotifier {
    /// A notifier that records every notice.
    pub fn new() -> Self {
        Self::default()
    }

    /// A notifier that refuses every notice, as a bus that does not exist would.
    pub fn refusing() -> Self {
        Self {
            refuse: true,
            ..Self::default()
        }
    }

    /// The notices published so far.
    pub fn notices(&self) -> Vec<RotationNotice> {
        self.notices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl RotationNotifier for RecordingNotifier {
    fn publish<'a>(&'a self, notice: &'a RotationNotice) -> NotifyFuture<'a> {
        Box::pin(async move {
            if self.refuse {
                return Err(NotificationError::Refused {
                    bus: "recording".into(),
                    code: "ResourceNotFoundException".into(),
                    message: "the recording notifier refuses every notice".into(),
                });
            }
            self.notices
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(notice.clone());
            Ok(())
        })
    }
}

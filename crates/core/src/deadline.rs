//! The invocation deadline, from which every timeout is derived.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// The moment by which a step must be done.
///
/// Engines bound connect and statement timeouts with [`Deadline::remaining`], so a slow database
/// produces a typed error instead of a Lambda timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
}

impl Deadline {
    /// A deadline `budget` from now.
    pub fn after(budget: Duration) -> Self {
        Self {
            at: Instant::now() + budget,
        }
    }

    /// A deadline given in milliseconds since the Unix epoch, as the Lambda context carries it.
    pub fn from_epoch_millis(epoch_millis: u64) -> Self {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let remaining = Duration::from_millis(epoch_millis).saturating_sub(now);
        Self::after(remaining)
    }

    /// This deadline moved earlier by `margin`, leaving time to report an error.
    pub fn with_margin(self, margin: Duration) -> Self {
        let now = Instant::now();
        let at = self.at.checked_sub(margin).filter(|at| *at > now).unwrap_or(now);
        Self { at }
    }

    /// Time left, zero once passed.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Time left, but at most `cap`.
    pub fn bounded(&self, cap: Duration) -> Duration {
        std::cmp::min(self.remaining(), cap)
    }

    /// The deadline as a tokio instant.
    pub fn instant(&self) -> Instant {
        self.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_time_is_bounded_and_never_negative() {
        let deadline = Deadline::after(Duration::from_secs(10));
        assert!(deadline.remaining() <= Duration::from_secs(10));
        assert_eq!(deadline.bounded(Duration::from_secs(1)), Duration::from_secs(1));
        assert_eq!(Deadline::from_epoch_millis(1).remaining(), Duration::ZERO);
        assert_eq!(
            deadline.with_margin(Duration::from_secs(60)).remaining(),
            Duration::ZERO
        );
    }

    #[test]
    fn epoch_deadlines_in_the_future_leave_time() {
        let in_a_minute = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(60);
        let deadline = Deadline::from_epoch_millis(u64::try_from(in_a_minute.as_millis()).unwrap());
        assert!(deadline.remaining() > Duration::from_secs(50));
    }
}

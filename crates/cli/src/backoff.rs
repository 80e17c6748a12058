//! Backing off from throttling (exponential, full jitter, bounded), and pacing fleet starts
//! (a token bucket).

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// Retries an operation while it is throttled: the n-th retry waits a random time in
/// `[0, min(cap, base · 2ⁿ)]`, at most `attempts` tries in all.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    /// Tries in all, the first included.
    pub(crate) attempts: u32,
    /// The first ceiling.
    pub(crate) base: Duration,
    /// The largest ceiling.
    pub(crate) cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            attempts: 8,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// The ceiling of the wait before retry `n` (0-based).
    fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1_u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// Runs `operation` until it succeeds, fails without being throttled, or runs out of
    /// attempts. Each retry adds one to `throttled`.
    pub(crate) async fn retry<T, E, F, Fut>(
        &self,
        throttled: &mut u32,
        mut operation: F,
        is_throttled: impl Fn(&E) -> bool,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut retry = 0;
        loop {
            match operation().await {
                Err(error) if is_throttled(&error) && retry + 1 < self.attempts => {
                    *throttled += 1;
                    let ceiling = self.ceiling(retry);
                    let wait = ceiling.mul_f64(rand::random::<f64>());
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
                result => return result,
            }
        }
    }
}

/// A token bucket of depth one: starts are spaced `1/rate` apart, so no one-second window sees
/// more than `rate` of them (rounded up).
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    /// At most `per_second` starts per second; must be positive.
    pub(crate) fn new(per_second: f64) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: None,
        }
    }

    /// Waits for the next token.
    pub(crate) async fn ready(&mut self) {
        let now = Instant::now();
        let at = self.next.map_or(now, |next| next.max(now));
        tokio::time::sleep_until(at).await;
        self.next = Some(at + self.interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_grow_exponentially_up_to_the_cap() {
        let backoff = Backoff::default();
        assert_eq!(backoff.ceiling(0), Duration::from_millis(100));
        assert_eq!(backoff.ceiling(3), Duration::from_millis(800));
        assert_eq!(backoff.ceiling(10), Duration::from_secs(5));
        assert_eq!(backoff.ceiling(40), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_is_retried_a_bounded_number_of_times() {
        let backoff = Backoff::default();
        let mut throttled = 0;
        let mut calls = 0;
        let result: Result<(), &str> = backoff
            .retry(
                &mut throttled,
                || {
                    calls += 1;
                    async { Err("throttled") }
                },
                |_| true,
            )
            .await;
        assert!(result.is_err());
        assert_eq!(calls, 8);
        assert_eq!(throttled, 7);
        let mut other = 0;
        let result: Result<(), &str> = backoff
            .retry(&mut other, || async { Err("denied") }, |_| false)
            .await;
        assert!(result.is_err());
        assert_eq!(other, 0, "only throttling is retried");
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_spaces_starts_by_the_rate() {
        let mut pacer = Pacer::new(4.0);
        let began = Instant::now();
        for _ in 0..5 {
            pacer.ready().await;
        }
        assert_eq!(began.elapsed(), Duration::from_secs(1));
    }
}

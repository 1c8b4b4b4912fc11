//! The only place that reads the time or sleeps. Every timer in stepyard (visibility timeouts,
//! delays, retention, dedup windows, Wait states, retries, schedules) asks this clock, so that
//! time can be shifted for tests: `advance` moves "now" forward and wakes every sleeper, which
//! then re-reads the clock and either returns or sleeps for what is left.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    /// Milliseconds added to the system time by `advance`.
    offset_ms: AtomicU64,
    /// Bumped on every `advance`; sleepers watch it so none sleeps past a shifted deadline.
    generation: watch::Sender<u64>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("now_millis", &self.now_millis())
            .finish()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            inner: Arc::new(Inner {
                offset_ms: AtomicU64::new(0),
                generation: watch::channel(0).0,
            }),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        real + self.inner.offset_ms.load(Ordering::Acquire)
    }

    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.now_millis())
    }

    /// Seconds since the Unix epoch, with millisecond precision.
    pub fn now_secs_f64(&self) -> f64 {
        self.now_millis() as f64 / 1000.0
    }

    /// Moves "now" forward and wakes every sleeper to re-check its deadline.
    pub fn advance(&self, by: Duration) {
        self.inner
            .offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::AcqRel);
        self.inner.generation.send_modify(|g| *g += 1);
    }

    /// Sleeps until the clock reads at least `deadline_ms` (epoch milliseconds).
    pub async fn sleep_until_millis(&self, deadline_ms: u64) {
        // Subscribe before reading the time: an `advance` between the read and the sleep
        // then marks the receiver changed, so the wakeup is not lost.
        let mut advanced = self.inner.generation.subscribe();
        loop {
            let now = self.now_millis();
            if now >= deadline_ms {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(deadline_ms - now)) => {}
                _ = advanced.changed() => {}
            }
        }
    }

    pub async fn sleep(&self, duration: Duration) {
        let deadline = self.now_millis() + duration.as_millis() as u64;
        self.sleep_until_millis(deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn advance_wakes_a_sleeper_early() {
        let clock = Clock::new();
        let deadline = clock.now_millis() + 3_600_000;
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until_millis(deadline).await }
        });
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(3601));
        tokio::time::timeout(Duration::from_secs(2), sleeper)
            .await
            .expect("sleeper wakes after advance")
            .expect("sleeper task");
    }
}

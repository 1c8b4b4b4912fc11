//! The only place that reads the time or sleeps. Every timer in stepyard (visibility timeouts,
//! delays, retention, dedup windows, Wait states, retries, schedules) asks this clock, so that
//! tests can move time: `advance` moves "now" forward, `freeze` stops it following real time,
//! and `advance_settled` (`POST /_stepyard/clock/advance`) steps from one due timer to the next,
//! letting the work each one causes settle before going on.
//!
//! Timers: every sleeper is an entry `(deadline, seq)` in one ordered map, woken by one driver
//! task that sleeps (in real time) until the earliest entry is due, the way mini-redis expires
//! keys; moving the clock fires the entries it makes due at once. So an advance costs the
//! timers it fires, not one wakeup per sleeper, and 10,000 parked Wait states cost 10,000
//! map entries and one tokio timer.
//!
//! Locks: `timers` is a `parking_lot::Mutex` held only for map operations (never across an
//! `.await`); under it a sleeper may mark its work busy again (an atomic add plus a
//! `Notify::notify_waiters`, which takes no lock of ours), so there is no lock order to get
//! wrong. `write` serialises the writers of the reading (advance, freeze, unfreeze).

use crate::settle::{self, Kind, Tracker, Work};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// `frozen_ms` when the clock follows real time.
const FOLLOWING: u64 = u64::MAX;

#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    /// Milliseconds added to the system time while the clock follows it (negative when
    /// started in the past).
    offset_ms: AtomicI64,
    /// The reading while frozen, or `FOLLOWING`.
    frozen_ms: AtomicU64,
    /// Serialises the writers of the reading, so a freeze and an advance never interleave.
    write: Mutex<()>,
    /// Serialises `advance_settled` calls: two stepping advances would each settle the other's
    /// steps.
    advancing: tokio::sync::Mutex<()>,
    timers: Mutex<Timers>,
    /// Wakes the driver: the earliest deadline or the reading changed. `Notify` keeps a permit
    /// when the driver is not waiting, so a change between its check and its sleep is kept.
    driver: Arc<Notify>,
    driver_started: AtomicBool,
    tracker: Arc<Tracker>,
}

#[derive(Default)]
struct Timers {
    pending: BTreeMap<(u64, u64), Waker>,
    /// Entries the driver or an advance took out of `pending` and woke, whose sleepers have
    /// not resumed yet: still due work for `settle`.
    fired: usize,
    next_seq: u64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Lets the driver see the clock is gone and end.
        self.driver.notify_one();
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("now_millis", &self.now_millis())
            .field("frozen", &self.is_frozen())
            .finish()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// How a clock starts: following real time or frozen, at the real time or at `start_ms`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockStart {
    pub frozen: bool,
    pub start_ms: Option<u64>,
}

/// Why `advance_settled` did not finish.
#[derive(Debug)]
pub enum AdvanceError {
    /// The target is before the clock's reading.
    Backwards { now_ms: u64, target_ms: u64 },
    /// Work was still busy when the settle timeout passed.
    Busy(Vec<(&'static str, String)>),
}

fn real_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Clock {
    pub fn new() -> Self {
        Self::starting(ClockStart::default())
    }

    pub fn starting(start: ClockStart) -> Self {
        let real = real_millis();
        let at = start.start_ms.unwrap_or(real);
        Clock {
            inner: Arc::new(Inner {
                offset_ms: AtomicI64::new(at as i64 - real as i64),
                frozen_ms: AtomicU64::new(if start.frozen { at } else { FOLLOWING }),
                write: Mutex::new(()),
                advancing: tokio::sync::Mutex::new(()),
                timers: Mutex::new(Timers::default()),
                driver: Arc::new(Notify::new()),
                driver_started: AtomicBool::new(false),
                tracker: Tracker::new(),
            }),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> u64 {
        let frozen = self.inner.frozen_ms.load(Ordering::Acquire);
        if frozen != FOLLOWING {
            return frozen;
        }
        // `unfreeze` stores the offset before clearing `frozen_ms` (Release/Acquire), so a
        // reader that sees the clock following also sees the offset that goes with it.
        let offset = self.inner.offset_ms.load(Ordering::Acquire);
        (real_millis() as i64 + offset).max(0) as u64
    }

    /// Microseconds since the Unix epoch (trace spans): the reading in milliseconds, with
    /// the real clock's microseconds when the clock is following real time.
    pub fn now_micros(&self) -> u64 {
        if self.is_frozen() {
            return self.now_millis() * 1000;
        }
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        let offset = self.inner.offset_ms.load(Ordering::Acquire);
        (real + offset * 1000).max(0) as u64
    }

    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.now_millis())
    }

    /// Seconds since the Unix epoch, with millisecond precision.
    pub fn now_secs_f64(&self) -> f64 {
        self.now_millis() as f64 / 1000.0
    }

    pub fn is_frozen(&self) -> bool {
        self.inner.frozen_ms.load(Ordering::Acquire) != FOLLOWING
    }

    /// The reading minus the system time: how far the clock has been moved.
    pub fn offset_millis(&self) -> i64 {
        self.now_millis() as i64 - real_millis() as i64
    }

    /// The registry of background work this clock's server runs (`settle.rs`).
    pub fn tracker(&self) -> &Arc<Tracker> {
        &self.inner.tracker
    }

    /// A busy [`Work`] on this clock's tracker.
    pub fn work(&self, kind: Kind, arn: impl Into<Arc<str>>) -> Work {
        self.inner.tracker.work(kind, arn)
    }

    /// Moves "now" forward and fires every timer that is then due.
    pub fn advance(&self, by: Duration) {
        self.move_to(self.now_millis().saturating_add(by.as_millis() as u64));
    }

    /// Moves "now" forward to `target_ms` (never backwards) and fires what is due.
    fn move_to(&self, target_ms: u64) {
        {
            let _writer = self.inner.write.lock();
            let frozen = self.inner.frozen_ms.load(Ordering::Acquire);
            if frozen != FOLLOWING {
                self.inner
                    .frozen_ms
                    .store(frozen.max(target_ms), Ordering::Release);
            } else {
                let now = self.now_millis();
                if target_ms > now {
                    self.inner
                        .offset_ms
                        .fetch_add((target_ms - now) as i64, Ordering::AcqRel);
                }
            }
        }
        self.fire_due();
        self.inner.driver.notify_one();
    }

    /// Stops the clock at its current reading: only `advance` moves it from now on.
    pub fn freeze(&self) {
        let _writer = self.inner.write.lock();
        if !self.is_frozen() {
            let now = self.now_millis();
            self.inner.frozen_ms.store(now, Ordering::Release);
        }
        self.inner.driver.notify_one();
    }

    /// Lets the clock follow real time again, from its current reading.
    pub fn unfreeze(&self) {
        let _writer = self.inner.write.lock();
        let frozen = self.inner.frozen_ms.load(Ordering::Acquire);
        if frozen != FOLLOWING {
            self.inner
                .offset_ms
                .store(frozen as i64 - real_millis() as i64, Ordering::Release);
            self.inner.frozen_ms.store(FOLLOWING, Ordering::Release);
        }
        self.inner.driver.notify_one();
    }

    /// Sleeps until the clock reads at least `deadline_ms` (epoch milliseconds). Inside a
    /// [`Work`], the work counts as parked (idle) while it sleeps. The timer is registered
    /// here, not at the first poll, so `settle` and `advance` see it as soon as it exists.
    pub fn sleep_until_millis(&self, deadline_ms: u64) -> Sleep {
        self.timer(deadline_ms, true)
    }

    /// A timeout at `deadline_ms` guarding other work (an execution's TimeoutSeconds, a task's
    /// heartbeat): unlike a sleep it does not park the current work, whose state is the
    /// guarded work's. When it fires, the work is busy again before the timer is gone.
    pub fn timeout_at_millis(&self, deadline_ms: u64) -> Sleep {
        self.timer(deadline_ms, false)
    }

    fn timer(&self, deadline_ms: u64, parks: bool) -> Sleep {
        let mut sleep = Sleep {
            clock: self.clone(),
            deadline_ms,
            seq: None,
            parked: None,
        };
        if self.now_millis() < deadline_ms {
            let earliest = {
                let mut t = self.inner.timers.lock();
                let seq = t.next_seq;
                t.next_seq += 1;
                // The real waker replaces this one at the first poll; a timer fired before
                // then is seen by that poll as no longer pending.
                t.pending.insert((deadline_ms, seq), Waker::noop().clone());
                sleep.seq = Some(seq);
                t.pending.keys().next() == Some(&(deadline_ms, seq))
            };
            // Parked only once the entry is in: `settle` then sees the timer or the work.
            if parks {
                sleep.parked = Some(settle::park());
            }
            self.start_driver();
            if earliest {
                self.inner.driver.notify_one();
            }
        }
        sleep
    }

    pub fn sleep(&self, duration: Duration) -> Sleep {
        let deadline = self
            .now_millis()
            .saturating_add(duration.as_millis() as u64);
        self.sleep_until_millis(deadline)
    }

    /// A deadline in real time, for waits that must end even on a frozen clock (a long poll
    /// returns after its real duration, so no client hangs).
    pub fn real_deadline(&self, after: Duration) -> RealDeadline {
        RealDeadline(tokio::time::Instant::now() + after)
    }

    /// Whether nothing can make progress without a client or the clock: no work busy and no
    /// timer due now still to resume. Timers are read before `busy` (see `settle.rs`).
    pub fn is_settled(&self) -> bool {
        let now = self.now_millis();
        let due = {
            let t = self.inner.timers.lock();
            t.fired > 0 || t.pending.keys().next().is_some_and(|&(d, _)| d <= now)
        };
        !due && self.inner.tracker.busy() == 0
    }

    /// Waits until settled, or `timeout` passes in real time (then the busy works, by kind
    /// and ARN). Not polled: it sleeps until a work releases or a due timer resumes.
    pub async fn settle(&self, timeout: Duration) -> Result<(), Vec<(&'static str, String)>> {
        let give_up = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.inner.tracker.changed();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.is_settled() {
                return Ok(());
            }
            // A timer due now but not yet fired (the driver is about to) must be fired.
            self.fire_due();
            tokio::select! {
                _ = &mut changed => {}
                _ = tokio::time::sleep_until(give_up) => {
                    if self.is_settled() {
                        return Ok(());
                    }
                    let mut busy = self.inner.tracker.busy_list();
                    if busy.is_empty() {
                        busy.push(("timer", "a timer due now is still to resume".into()));
                    }
                    return Err(busy);
                }
            }
        }
    }

    /// Moves the clock to `target_ms` one due timer at a time: settles, moves to the earliest
    /// pending deadline not after the target, fires what is due there, settles again, and so
    /// on; then moves to the target and settles. So a `rate(1 hour)` rule advanced 3 hours
    /// fires three times, each firing seeing the clock at its own time.
    pub async fn advance_settled(
        &self,
        target_ms: u64,
        timeout: Duration,
    ) -> Result<(), AdvanceError> {
        let _one_at_a_time = self.inner.advancing.lock().await;
        let now = self.now_millis();
        if target_ms < now {
            return Err(AdvanceError::Backwards {
                now_ms: now,
                target_ms,
            });
        }
        loop {
            self.settle(timeout).await.map_err(AdvanceError::Busy)?;
            let next = {
                let t = self.inner.timers.lock();
                t.pending.keys().next().map(|&(d, _)| d)
            };
            match next {
                Some(d) if d <= target_ms => self.move_to(d),
                _ => break,
            }
        }
        self.move_to(target_ms);
        self.settle(timeout).await.map_err(AdvanceError::Busy)
    }

    /// Takes every due entry out of `pending` and wakes its sleeper; returns the earliest
    /// deadline left.
    fn fire_due(&self) -> Option<u64> {
        let now = self.now_millis();
        let mut woken = Vec::new();
        let next = {
            let mut t = self.inner.timers.lock();
            while let Some(entry) = t.pending.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                woken.push(entry.remove());
                t.fired += 1;
            }
            t.pending.keys().next().map(|&(d, _)| d)
        };
        // Wake outside the lock: a woken sleeper on another thread takes it at once.
        for w in woken {
            w.wake();
        }
        next
    }

    fn start_driver(&self) {
        if self.inner.driver_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.inner.driver_started.store(false, Ordering::Release);
            return;
        };
        let weak = Arc::downgrade(&self.inner);
        let wake = self.inner.driver.clone();
        runtime.spawn(drive(weak, wake));
    }
}

/// The driver: fires due timers and sleeps (in real time) until the next one, or until told
/// the reading or the earliest deadline changed. It holds the clock weakly so that a dropped
/// server's driver ends (`Inner::drop` wakes it).
async fn drive(weak: Weak<Inner>, wake: Arc<Notify>) {
    loop {
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let delay = {
            let Some(inner) = weak.upgrade() else { return };
            let clock = Clock { inner };
            let next = clock.fire_due();
            match next {
                Some(d) if !clock.is_frozen() => Some(Duration::from_millis(
                    d.saturating_sub(clock.now_millis()).max(1),
                )),
                _ => None,
            }
        };
        match delay {
            Some(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = &mut notified => {}
                }
            }
            None => notified.await,
        }
    }
}

/// Real monotonic time, for bounds on I/O and for measuring it (how long the durable log may
/// be held for one call, how long a request took for its log line): never moved or frozen by
/// time control, unlike [`Clock::now`]. Usable from plain threads (the log writer).
pub fn real_instant() -> std::time::Instant {
    std::time::Instant::now()
}

/// A real-time deadline from [`Clock::real_deadline`].
#[derive(Debug, Clone, Copy)]
pub struct RealDeadline(tokio::time::Instant);

impl RealDeadline {
    pub fn passed(&self) -> bool {
        tokio::time::Instant::now() >= self.0
    }

    pub async fn sleep(self) {
        tokio::time::sleep_until(self.0).await
    }
}

/// Runs `fut` for at most `limit` of real time (calls out of the emulator: HTTP targets,
/// Lambda): `None` when it took longer.
pub async fn real_timeout<F: Future>(limit: Duration, fut: F) -> Option<F::Output> {
    tokio::time::timeout(limit, fut).await.ok()
}

/// Sleeps `duration` of real time, whatever the emulated clock does (watchdogs of real
/// sockets: a frozen or advanced clock must not close or keep open a connection).
pub async fn real_sleep(duration: Duration) {
    tokio::time::sleep(duration).await
}

/// A sleep on the clock (see [`Clock::sleep_until_millis`]).
pub struct Sleep {
    clock: Clock,
    deadline_ms: u64,
    /// Set once registered in `pending`.
    seq: Option<u64>,
    parked: Option<settle::Parked>,
}

impl Sleep {
    /// Ends the sleep's registration: busy again first, then out of the timers (see
    /// `settle.rs`: a resumed timer must never look idle in between). Under the timers lock.
    fn unregister(&mut self, t: &mut Timers) {
        let Some(seq) = self.seq.take() else { return };
        drop(self.parked.take());
        // A timeout firing (or any timer ending) in a work's task means that task runs now,
        // whatever else it was parked on.
        settle::unpark_current();
        if t.pending.remove(&(self.deadline_ms, seq)).is_none() {
            t.fired -= 1;
        }
        if self.deadline_ms <= self.clock.now_millis() {
            self.clock.inner.tracker.poke();
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(seq) = this.seq else {
            return Poll::Ready(());
        };
        let now = this.clock.now_millis();
        let inner = this.clock.inner.clone();
        let mut t = inner.timers.lock();
        let key = (this.deadline_ms, seq);
        if now < this.deadline_ms {
            if let Some(w) = t.pending.get_mut(&key) {
                if !w.will_wake(cx.waker()) {
                    *w = cx.waker().clone();
                }
                return Poll::Pending;
            }
        }
        this.unregister(&mut t);
        Poll::Ready(())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if self.seq.is_some() {
            let inner = self.clock.inner.clone();
            let mut t = inner.timers.lock();
            self.unregister(&mut t);
        }
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

    #[tokio::test]
    async fn a_frozen_clock_stays_put_until_advanced() {
        let clock = Clock::starting(ClockStart {
            frozen: true,
            start_ms: Some(1_893_456_000_000),
        });
        std::thread::sleep(Duration::from_millis(3));
        assert_eq!(clock.now_millis(), 1_893_456_000_000);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now_millis(), 1_893_456_001_500);
        clock.unfreeze();
        assert!(clock.now_millis() >= 1_893_456_001_500);
        assert!(clock.now_millis() < 1_893_456_002_500);
    }

    #[tokio::test]
    async fn a_sleep_in_real_time_ends_without_an_advance() {
        let clock = Clock::new();
        tokio::time::timeout(
            Duration::from_secs(2),
            clock.sleep(Duration::from_millis(5)),
        )
        .await
        .expect("the driver wakes a real-time sleeper");
    }

    #[tokio::test]
    async fn stepping_fires_timers_in_order_of_due_time() {
        let clock = Clock::starting(ClockStart {
            frozen: true,
            start_ms: Some(1_000_000),
        });
        let seen = Arc::new(Mutex::new(Vec::new()));
        for at in [1_003_000u64, 1_001_000, 1_002_000] {
            let (clock, seen) = (clock.clone(), seen.clone());
            let work = clock.work(Kind::Execution, format!("t{at}"));
            tokio::spawn(work.run(async move {
                clock.sleep_until_millis(at).await;
                seen.lock().push((at, clock.now_millis()));
            }));
        }
        clock
            .advance_settled(1_010_000, Duration::from_secs(5))
            .await
            .expect("settles");
        assert_eq!(
            *seen.lock(),
            vec![
                (1_001_000, 1_001_000),
                (1_002_000, 1_002_000),
                (1_003_000, 1_003_000)
            ]
        );
        assert_eq!(clock.now_millis(), 1_010_000);
    }
}

//! What the emulator is still doing on its own: the registry `POST /_stepyard/settle` and
//! `POST /_stepyard/clock/advance` wait on.
//!
//! Every piece of background work (an EventBridge delivery, an SNS topic's delivery, an
//! execution and each of its Parallel/Map branches, a status-change event, a replay, a move
//! task, the schedule) runs under a [`Work`] guard made *before* the work is spawned, so the
//! work is counted from the instant its cause finished. A work is busy while it runs and idle
//! while it is parked: sleeping on the clock, or waiting for a task token, an activity worker,
//! a `.sync` child or a branch. The emulator is settled when no work is busy and no timer due
//! at the clock's current reading is still to resume (see `clock.rs`).
//!
//! Cost: `busy` is one atomic counter, which `settle` reads; a work's label (kind and ARN, only
//! read to say what is still busy when `settle` times out) sits in one of 16 shards picked by
//! the work's id, so concurrent works rarely meet on a lock.
//!
//! No lost wakeup: whoever ends a park makes the work busy *before* the parked task can be seen
//! as idle again. A timer that fires counts as due until its sleeper has marked itself busy
//! (the clock removes a fired timer only after that); a signal sent to a parked task (a task
//! token answered, a branch finished, a child ended) carries a [`Wake`] guard, busy from the
//! send until the woken task has taken over. `settle` reads the timers first, then `busy`, so
//! a wake in flight is always seen on one side or the other.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{oneshot, Notify};

const SHARDS: usize = 16;

/// What a busy work is, for the `busy` list of a `settle` that timed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Execution,
    Branch,
    EventDelivery,
    SnsDelivery,
    StatusEvent,
    Replay,
    MoveTask,
    Schedule,
    StopChild,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Execution => "execution",
            Kind::Branch => "execution-branch",
            Kind::EventDelivery => "eventbridge-delivery",
            Kind::SnsDelivery => "sns-delivery",
            Kind::StatusEvent => "status-change-event",
            Kind::Replay => "eventbridge-replay",
            Kind::MoveTask => "sqs-move-task",
            Kind::Schedule => "eventbridge-schedule",
            Kind::StopChild => "stop-child-execution",
        }
    }
}

#[derive(Default)]
pub struct Tracker {
    /// Works not parked, plus wakes in flight.
    busy: AtomicUsize,
    /// Woken (`notify_waiters`) whenever the emulator may have become settled.
    changed: Notify,
    next_id: AtomicU64,
    labels: [Mutex<HashMap<u64, Arc<WorkInner>>>; SHARDS],
    /// `.sync` parents waiting for a child execution (by ARN) to end.
    ended: Mutex<HashMap<Arc<str>, Vec<oneshot::Sender<Wake>>>>,
}

struct WorkInner {
    tracker: Arc<Tracker>,
    id: u64,
    kind: Kind,
    arn: Arc<str>,
    /// Read by `busy_list` from other threads; written only by the work's own task.
    parked: AtomicBool,
}

tokio::task_local! {
    /// The work the current task runs for; `park` looks it up.
    static CURRENT: Arc<WorkInner>;
}

/// One piece of background work; busy from creation until dropped, except while parked.
pub struct Work {
    inner: Arc<WorkInner>,
}

/// A busy count in flight from a waker to the task it wakes; dropping it ends the handoff.
pub struct Wake {
    tracker: Arc<Tracker>,
}

impl Drop for Wake {
    fn drop(&mut self) {
        self.tracker.release();
    }
}

impl Tracker {
    pub fn new() -> Arc<Self> {
        Arc::new(Tracker::default())
    }

    /// A busy work labelled `kind` / `arn`. Make it before spawning the work, and move it into
    /// the spawned future with [`Work::run`].
    pub fn work(self: &Arc<Self>, kind: Kind, arn: impl Into<Arc<str>>) -> Work {
        self.busy.fetch_add(1, Ordering::SeqCst);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let inner = Arc::new(WorkInner {
            tracker: self.clone(),
            id,
            kind,
            arn: arn.into(),
            parked: AtomicBool::new(false),
        });
        self.labels[id as usize % SHARDS]
            .lock()
            .insert(id, inner.clone());
        Work { inner }
    }

    /// A handoff: busy until dropped by the task it is sent to.
    pub fn wake(self: &Arc<Self>) -> Wake {
        self.busy.fetch_add(1, Ordering::SeqCst);
        Wake {
            tracker: self.clone(),
        }
    }

    fn release(&self) {
        if self.busy.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.changed.notify_waiters();
        }
    }

    pub fn busy(&self) -> usize {
        self.busy.load(Ordering::SeqCst)
    }

    /// Wakes `settle` waiters to check again (a due timer has resumed, or the clock moved).
    pub fn poke(&self) {
        self.changed.notify_waiters();
    }

    /// A future that resolves at the next `poke` or release to zero. Create it, then check
    /// the condition, then await it: a change between the two is not lost.
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// The works that are busy now, as `{"kind", "arn"}` pairs (for a timed-out settle).
    pub fn busy_list(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for shard in &self.labels {
            for w in shard.lock().values() {
                if !w.parked.load(Ordering::SeqCst) {
                    out.push((w.kind.as_str(), w.arn.to_string()));
                }
            }
        }
        out.sort();
        out
    }

    /// Resolves with a [`Wake`] when the execution `arn` ends (its [`Work`] is dropped).
    /// Register before checking whether it has ended, so the end is not missed.
    pub fn on_end(&self, arn: &str) -> oneshot::Receiver<Wake> {
        let (tx, rx) = oneshot::channel();
        self.ended.lock().entry(arn.into()).or_default().push(tx);
        rx
    }

    fn ended(self: &Arc<Self>, arn: &Arc<str>) {
        // One uncontended map lookup per execution end; the lock is never held across
        // anything that takes another lock (a `Wake` is only counted here).
        let waiting = self.ended.lock().remove(arn);
        for tx in waiting.into_iter().flatten() {
            let _ = tx.send(self.wake());
        }
    }
}

impl Work {
    /// Runs `fut` as this work: parks inside it (clock sleeps, [`parked`]) count for this work,
    /// and the work ends (is dropped) when `fut` ends.
    pub fn run<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        let inner = self.inner.clone();
        // A named future rather than an `async` block: an async block awaiting a captured
        // future can keep two copies of its state, which for an execution is kilobytes each.
        CURRENT.scope(
            inner,
            Running {
                fut,
                work: Some(self),
            },
        )
    }

    pub fn tracker(&self) -> &Arc<Tracker> {
        &self.inner.tracker
    }
}

pin_project_lite::pin_project! {
    /// A future run as a work ([`Work::run`]); the work ends with it.
    struct Running<F> {
        #[pin]
        fut: F,
        work: Option<Work>,
    }
}

impl<F: Future> Future for Running<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let out = std::task::ready!(this.fut.poll(cx));
        drop(this.work.take());
        Poll::Ready(out)
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        let inner = &self.inner;
        let tracker = &inner.tracker;
        tracker.labels[inner.id as usize % SHARDS]
            .lock()
            .remove(&inner.id);
        if inner.kind == Kind::Execution {
            tracker.ended(&inner.arn);
        }
        // A work dropped while parked (its task was aborted mid-wait) is not counted busy.
        if !inner.parked.swap(false, Ordering::SeqCst) {
            tracker.release();
        }
    }
}

/// Marks the current task's work idle until dropped (see the module comment). Outside any
/// work, or when the work is already parked (nested waits), it does nothing.
pub struct Parked {
    inner: Option<Arc<WorkInner>>,
}

pub fn park() -> Parked {
    let inner = CURRENT
        .try_with(|w| {
            // Only this task writes `parked`, so the check and the store do not race.
            (!w.parked.load(Ordering::SeqCst)).then(|| w.clone())
        })
        .ok()
        .flatten();
    if let Some(w) = &inner {
        w.parked.store(true, Ordering::SeqCst);
        w.tracker.release();
    }
    Parked { inner }
}

impl Drop for Parked {
    fn drop(&mut self) {
        if let Some(w) = self.inner.take() {
            w.unpark();
        }
    }
}

impl WorkInner {
    /// Busy again (if parked) before anything that follows the wait can be observed.
    fn unpark(&self) {
        if self.parked.swap(false, Ordering::SeqCst) {
            self.tracker.busy.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Marks the current task's work busy if it is parked: its task is running again (a timeout
/// fired while it waited on something else).
pub fn unpark_current() {
    let _ = CURRENT.try_with(|w| w.unpark());
}

/// Awaits `fut` with the current work parked (a wait on a token, a worker, a child, a branch).
pub async fn parked<F: Future>(fut: F) -> F::Output {
    let _parked = park();
    fut.await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_work_is_busy_until_it_parks_and_busy_again_when_it_resumes() {
        let tracker = Tracker::new();
        let work = tracker.work(Kind::Execution, "arn:e");
        assert_eq!(tracker.busy(), 1);
        let (tx, rx) = oneshot::channel::<Wake>();
        let task = tokio::spawn(work.run(async move {
            let wake = parked(rx).await.expect("a wake");
            drop(wake);
        }));
        while tracker.busy() != 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(tracker.busy_list(), vec![]);
        // The wake counts from the send: the work is never seen idle in between.
        assert!(tx.send(tracker.wake()).is_ok(), "the task waits");
        assert!(tracker.busy() >= 1);
        task.await.expect("task");
        assert_eq!(tracker.busy(), 0);
    }

    #[tokio::test]
    async fn a_busy_work_is_listed_by_kind_and_arn_and_its_end_is_announced() {
        let tracker = Tracker::new();
        let work = tracker.work(Kind::Execution, "arn:child");
        assert_eq!(
            tracker.busy_list(),
            vec![("execution", "arn:child".to_string())]
        );
        let ended = tracker.on_end("arn:child");
        drop(work);
        let wake = ended.await.expect("the end is announced with a wake");
        assert_eq!(tracker.busy(), 1);
        drop(wake);
        assert_eq!(tracker.busy(), 0);
    }
}

//! Task tokens and activity task queues: how a Task state waits for the outside world.
//!
//! A waiting task (an activity, later `.waitForTaskToken`) takes a token from [`TaskBoard`]
//! and waits on its [`TokenWaiter`]; SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat and
//! GetActivityTask reach it through the same board by token. The board is shared by every
//! execution of one service instance and knows nothing of history or data flow.
//!
//! Tokens carry their own validity: a well-formed token that no task waits on any more is a
//! task that is over (`TaskTimedOut`), anything else is `InvalidToken`, so the board keeps no
//! record of finished tasks.

use crate::clock::Clock;
use crate::settle::{Tracker, Wake};
use base64::Engine as _;
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// What the outside world says about a waiting task.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// A worker took the activity task (GetActivityTask).
    Started {
        worker_name: Option<String>,
    },
    Heartbeat,
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token this service could have handed out.
    Invalid,
    /// A token of a task that has ended (succeeded, failed, timed out, stopped).
    Expired,
}

/// One activity task handed to the next worker that polls.
#[derive(Debug, Clone)]
pub struct ActivityTask {
    /// Shared with the board and the waiting task: one copy of the token per task.
    pub token: Arc<str>,
    pub input: String,
}

#[derive(Default)]
struct ActivityQueue {
    pending: VecDeque<ActivityTask>,
    /// Wakes one poller per task offered.
    ready: Arc<Notify>,
}

/// A signal and the busy count it carries to the parked task (see `settle.rs`).
type Sent = (Signal, Option<Wake>);

/// A token's signals on their way to the waiting task: a queue and a `Notify`, rather than an
/// unbounded channel, whose first block of 32 slots (2.5 KB) every parked task would carry.
/// Its lock is a leaf: senders take it under the board's lock, the waiter alone, and nothing
/// is locked or awaited while it is held, so it cannot deadlock.
#[derive(Default)]
struct Mailbox {
    queue: parking_lot::Mutex<VecDeque<Sent>>,
    notify: Notify,
    /// The waiter is gone, or the board was cleared: nothing more is delivered.
    closed: AtomicBool,
    /// An activity token's execution (its ARN, the Task's cursor when issued): the state
    /// document names live activity tokens with their execution (a callback's token is found
    /// in its history instead). Kept here rather than in a map of its own so that a parked
    /// activity Task does not pay for a second copy of its token. Boxed: a callback's token
    /// has none.
    owner: std::sync::OnceLock<Box<(Box<str>, u64)>>,
}

impl Mailbox {
    fn send(&self, sent: Sent) -> Result<(), Sent> {
        if self.is_closed() {
            return Err(sent);
        }
        self.queue.lock().push_back(sent);
        self.notify.notify_one();
        Ok(())
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// The next signal, or `None` once closed and drained. `notify_one` stores a permit when
    /// nobody waits, so a signal sent between the queue check and the wait is not lost.
    async fn recv(&self) -> Option<Sent> {
        loop {
            if let Some(sent) = self.queue.lock().pop_front() {
                return Some(sent);
            }
            if self.is_closed() {
                return None;
            }
            self.notify.notified().await;
        }
    }
}

#[derive(Default)]
struct Board {
    tokens: HashMap<Arc<str>, Arc<Mailbox>>,
    /// Activity ARNs that exist; a Task on any other activity fails at once.
    activities: HashSet<String>,
    queues: HashMap<String, ActivityQueue>,
}

#[derive(Default)]
pub struct TaskBoard {
    board: Mutex<Board>,
    /// The server's settle registry: a signal makes its waiting execution busy before the
    /// sender returns. `None` in the interpreter's own tests.
    tracker: Option<Arc<Tracker>>,
}

/// A task's side of its token: signals arrive here until it is dropped, which ends the token.
pub struct TokenWaiter {
    pub token: Arc<str>,
    rx: Arc<Mailbox>,
    board: Arc<TaskBoard>,
}

impl TokenWaiter {
    /// The next signal; `None` never happens while the waiter lives (the board holds a sender).
    /// The execution is parked while it waits; the signal's wake keeps it busy until here.
    pub async fn next(&mut self) -> Option<Signal> {
        crate::settle::parked(self.rx.recv())
            .await
            .map(|(signal, _wake)| signal)
    }

    /// Whether nothing has been sent that the task has not read yet.
    pub fn is_idle(&self) -> bool {
        self.rx.queue.lock().is_empty() && !self.rx.is_closed()
    }

    /// Notified by the next signal sent (or the mailbox closing): for a parked Task's wait,
    /// which enables it before it reads `is_idle`, so that no signal is missed between.
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.rx.notify.notified()
    }
}

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

impl Drop for TokenWaiter {
    fn drop(&mut self) {
        let mut board = self.board.board.lock();
        board.tokens.remove(&self.token);
        drop(board);
        self.rx.close();
    }
}

const TOKEN_PREFIX: &str = "AQ";
const TOKEN_BYTES: usize = 48;

fn new_token() -> String {
    let mut bytes = Vec::with_capacity(TOKEN_BYTES);
    for _ in 0..TOKEN_BYTES / 16 {
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn well_formed(token: &str) -> bool {
    token.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(rest)
            .is_ok_and(|b| b.len() == TOKEN_BYTES)
    })
}

impl TaskBoard {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A board whose signals count in `tracker` until the waiting task has them.
    pub fn tracked(tracker: Arc<Tracker>) -> Arc<Self> {
        Arc::new(TaskBoard {
            tracker: Some(tracker),
            ..Self::default()
        })
    }

    fn wake(&self) -> Option<Wake> {
        self.tracker.as_ref().map(|t| t.wake())
    }

    pub fn add_activity(&self, activity_arn: &str) {
        self.board
            .lock()
            .activities
            .insert(activity_arn.to_string());
    }

    pub fn remove_activity(&self, activity_arn: &str) {
        let mut board = self.board.lock();
        board.activities.remove(activity_arn);
        board.queues.remove(activity_arn);
    }

    pub fn activity_exists(&self, activity_arn: &str) -> bool {
        self.board.lock().activities.contains(activity_arn)
    }

    /// Forgets every activity and token (reset); waiting tasks then never hear back.
    pub fn clear(&self) {
        let mut board = self.board.lock();
        board.activities.clear();
        board.queues.clear();
        for (_, mailbox) in board.tokens.drain() {
            mailbox.close();
        }
    }

    /// A fresh token for a task that is about to wait.
    pub fn issue(self: &Arc<Self>) -> TokenWaiter {
        let rx = Arc::new(Mailbox::default());
        let tx = rx.clone();
        let token: Arc<str> = new_token().into();
        self.board.lock().tokens.insert(token.clone(), tx);
        TokenWaiter {
            token,
            rx,
            board: self.clone(),
        }
    }

    /// Every token a task waits on now (for the state document; not on any request path).
    pub fn live_tokens(&self) -> Vec<String> {
        self.board
            .lock()
            .tokens
            .keys()
            .map(|t| t.to_string())
            .collect()
    }

    /// Notes whose activity token `token` is (see `Mailbox::owner`); forgotten with the token.
    pub fn own(&self, token: &str, execution_arn: &str, at: u64) {
        if let Some(mailbox) = self.board.lock().tokens.get(token) {
            let _ = mailbox.owner.set(Box::new((execution_arn.into(), at)));
        }
    }

    /// The live activity tokens of each execution, as (cursor, token) (for the state
    /// document; not on any request path).
    pub fn owned_tokens(&self) -> HashMap<String, Vec<(u64, String)>> {
        let mut out: HashMap<String, Vec<(u64, String)>> = HashMap::new();
        let board = self.board.lock();
        let owned = board
            .tokens
            .iter()
            .filter_map(|(token, mailbox)| Some((token, mailbox.owner.get()?)));
        for (token, owner) in owned {
            let (arn, at) = &**owner;
            out.entry(arn.to_string())
                .or_default()
                .push((*at, token.to_string()));
        }
        out
    }

    /// The token a task waited on before a restart, registered again (see `Restart`).
    pub fn issue_as(self: &Arc<Self>, token: String) -> TokenWaiter {
        let rx = Arc::new(Mailbox::default());
        let tx = rx.clone();
        let token: Arc<str> = token.into();
        self.board.lock().tokens.insert(token.clone(), tx);
        TokenWaiter {
            token,
            rx,
            board: self.clone(),
        }
    }

    /// Queues an activity task for the next worker. False if the activity does not exist.
    pub fn offer(&self, activity_arn: &str, task: ActivityTask) -> bool {
        let mut board = self.board.lock();
        if !board.activities.contains(activity_arn) {
            return false;
        }
        let queue = board.queues.entry(activity_arn.to_string()).or_default();
        queue.pending.push_back(task);
        queue.ready.notify_one();
        true
    }

    /// What `signal` would say of `token`, without delivering anything.
    pub fn check(&self, token: &str) -> Result<(), TokenError> {
        let board = self.board.lock();
        match board.tokens.get(token) {
            Some(tx) if !tx.is_closed() => Ok(()),
            Some(_) => Err(TokenError::Expired),
            None if well_formed(token) => Err(TokenError::Expired),
            None => Err(TokenError::Invalid),
        }
    }

    /// Delivers `signal` to the task waiting on `token`.
    pub fn signal(&self, token: &str, signal: Signal) -> Result<(), TokenError> {
        let board = self.board.lock();
        match board.tokens.get(token) {
            Some(tx) => tx
                .send((signal, self.wake()))
                .map_err(|_| TokenError::Expired),
            None if well_formed(token) => Err(TokenError::Expired),
            None => Err(TokenError::Invalid),
        }
    }

    /// GetActivityTask: the oldest task of the activity whose execution still waits, marked
    /// started by `worker_name`; or `None` once `deadline_ms` passes on `clock`, or the same
    /// time passes in real time (so a poll on a frozen clock still returns).
    pub async fn poll(
        &self,
        activity_arn: &str,
        worker_name: Option<String>,
        clock: &Clock,
        deadline_ms: u64,
    ) -> Option<ActivityTask> {
        let real = clock.real_deadline(std::time::Duration::from_millis(
            deadline_ms.saturating_sub(clock.now_millis()),
        ));
        loop {
            let ready = {
                let mut board = self.board.lock();
                let Board { tokens, queues, .. } = &mut *board;
                let queue = queues.entry(activity_arn.to_string()).or_default();
                while let Some(task) = queue.pending.pop_front() {
                    let started = Signal::Started {
                        worker_name: worker_name.clone(),
                    };
                    // A task whose execution ended (or timed out) while queued is skipped.
                    if tokens
                        .get(&task.token)
                        .is_some_and(|tx| tx.send((started, self.wake())).is_ok())
                    {
                        return Some(task);
                    }
                }
                queue.ready.clone()
            };
            if clock.now_millis() >= deadline_ms || real.passed() {
                return None;
            }
            tokio::select! {
                _ = ready.notified() => {}
                _ = clock.sleep_until_millis(deadline_ms) => return None,
                _ = real.sleep() => return None,
            }
        }
    }
}

/// The board's live tokens, indexed once to find which of them histories name (the state
/// document keeps a running execution's callback tokens with the event that names them). A
/// search of every history for every live token took running executions x live tokens x
/// events: with 10,000 executions parked on tokens, 10^8 searches per export. Here a history's
/// texts are read once: each place a token could start (`TOKEN_PREFIX`) is looked up at the
/// lengths live tokens have.
pub struct LiveTokens<'a> {
    /// Tokens of the shape `new_token` gives, by text.
    shaped: HashSet<&'a str>,
    /// Their lengths (one, unless a state document brought others).
    lengths: Vec<usize>,
    /// Tokens of another shape (only a crafted state document brings one): searched for one
    /// by one, as before.
    other: Vec<&'a str>,
}

impl<'a> LiveTokens<'a> {
    pub fn new(live: &'a [String]) -> Self {
        let mut tokens = LiveTokens {
            shaped: HashSet::new(),
            lengths: Vec::new(),
            other: Vec::new(),
        };
        for token in live {
            if token.starts_with(TOKEN_PREFIX) {
                tokens.shaped.insert(token);
                if !tokens.lengths.contains(&token.len()) {
                    tokens.lengths.push(token.len());
                }
            } else {
                tokens.other.push(token);
            }
        }
        tokens
    }

    /// Each live token (but those `skip` says) that an event of `history` names in its
    /// details, with the `previousEventId` of the newest such event: the Task's cursor, where
    /// the token was issued. Sorted, so that a document is written the same way each time.
    pub fn named_in(
        &self,
        history: &[super::HistoryEvent],
        skip: impl Fn(&str) -> bool,
    ) -> Vec<(u64, String)> {
        let mut found: HashMap<&str, u64> = HashMap::new();
        if !self.shaped.is_empty() {
            for ev in history.iter().rev() {
                let Some(text) = ev.details_text() else {
                    continue;
                };
                let mut from = 0;
                while let Some(at) = text[from..].find(TOKEN_PREFIX) {
                    let start = from + at;
                    for len in &self.lengths {
                        let candidate = text.get(start..start + len);
                        if let Some(&token) = candidate.and_then(|c| self.shaped.get(c)) {
                            if !skip(token) {
                                found.entry(token).or_insert(ev.previous_event_id);
                            }
                        }
                    }
                    // The prefix is ASCII: one byte on is a character boundary.
                    from = start + 1;
                }
            }
        }
        for &token in self.other.iter().filter(|t| !skip(t)) {
            let named = history.iter().rev().find(|ev| {
                ev.details_text()
                    .is_some_and(|d| !token.is_empty() && d.contains(token))
            });
            if let Some(ev) = named {
                found.insert(token, ev.previous_event_id);
            }
        }
        let mut out: Vec<(u64, String)> = found
            .into_iter()
            .map(|(token, at)| (at, token.to_string()))
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u64, prev: u64, text: &str) -> super::super::HistoryEvent {
        super::super::HistoryEvent::new(
            id,
            prev,
            0,
            "TaskSubmitted",
            Some((
                "taskSubmittedEventDetails".into(),
                serde_json::json!({"output": text}),
            )),
        )
    }

    #[test]
    fn live_tokens_a_history_names_are_found_at_the_newest_event_naming_each() {
        let (a, b, gone) = (new_token(), new_token(), new_token());
        let odd = "not-a-token-shape".to_string();
        let live = vec![a.clone(), b.clone(), odd.clone()];
        let history = vec![
            event(1, 0, &format!("{{\"token\": \"{a}\"}}")),
            // Inside a longer run of token characters, as a plain substring search finds it.
            event(2, 1, &format!("x-AQ{b}_tail {gone}")),
            event(3, 2, &format!("again {a} and {odd}")),
            event(4, 3, "nothing here: AQ"),
        ];
        let tokens = LiveTokens::new(&live);
        assert_eq!(tokens.named_in(&history, |_| false), {
            let mut want = vec![(1, b.clone()), (2, a.clone()), (2, odd.clone())];
            want.sort();
            want
        });
        assert_eq!(tokens.named_in(&history, |t| t != b), vec![(1, b.clone())]);
        assert!(tokens.named_in(&history[3..], |_| false).is_empty());
    }

    #[test]
    fn tokens_are_well_formed_and_unique() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(well_formed(&a));
        assert!(!well_formed("AQxyz"));
        assert!(!well_formed(&a[1..]));
    }

    #[tokio::test]
    async fn a_signal_reaches_the_waiter_and_an_ended_token_is_expired() {
        let board = TaskBoard::new();
        let mut waiter = board.issue();
        let token = waiter.token.clone();
        board
            .signal(&token, Signal::Succeeded(Value::from(1)))
            .unwrap();
        assert_eq!(waiter.next().await, Some(Signal::Succeeded(Value::from(1))));
        drop(waiter);
        assert_eq!(
            board.signal(&token, Signal::Heartbeat),
            Err(TokenError::Expired)
        );
        assert_eq!(
            board.signal("nonsense", Signal::Heartbeat),
            Err(TokenError::Invalid)
        );
    }

    #[tokio::test]
    async fn a_poll_takes_an_offered_task_and_skips_ended_ones() {
        let board = TaskBoard::new();
        let clock = Clock::new();
        board.add_activity("arn:a");
        let gone = board.issue();
        let mut live = board.issue();
        for w in [&gone, &live] {
            let task = ActivityTask {
                token: w.token.clone(),
                input: "{}".into(),
            };
            assert!(board.offer("arn:a", task));
        }
        drop(gone);
        let deadline = clock.now_millis() + 1000;
        let task = board
            .poll("arn:a", Some("w".into()), &clock, deadline)
            .await
            .expect("the live task");
        assert_eq!(task.token, live.token);
        assert_eq!(
            live.next().await,
            Some(Signal::Started {
                worker_name: Some("w".into())
            })
        );
        assert!(!board.offer("arn:missing", task));
    }
}

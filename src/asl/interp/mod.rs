//! The interpreter: runs a parsed state machine as one async task per execution, records
//! AWS's history events, and ends in a terminal status. JSONPath machines only for now:
//! a state using JSONata or `Assign` fails with `States.Runtime`, and Task states fail with
//! `States.Runtime` naming their resource (integrations come later) while Retry/Catch still
//! apply to them.
//!
//! Contract used by the Step Functions service (`src/services/sfn/`):
//! - the service builds an `ExecutionSpec`, creates a shared `ExecutionRecord` and calls
//!   `spawn`; it reads the record for DescribeExecution / GetExecutionHistory and calls
//!   `ExecutionControl::stop` for StopExecution.

pub mod callbacks;
mod choice;
mod dataflow;
mod engine;
mod failure;
mod history;
pub mod integrations;
mod map;
pub mod map_runs;
mod parallel;
mod query;
pub mod resume;
mod run;
mod task;
pub mod test_state;
mod vars;

use crate::asl::ast::StateMachine;
use crate::clock::Clock;
pub use failure::Failure;
pub use history::StoredEvent;

use callbacks::TaskBoard;
use engine::{BaseContext, Engine};
use history::{error_details, Recorder};
use integrations::status_events;
use parking_lot::Mutex;
use run::{run_machine, run_machine_from};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What an execution starts from.
pub struct ExecutionSpec {
    pub machine: Arc<StateMachine>,
    pub input: Value,
    /// The input as the caller wrote it, which `ExecutionStarted` keeps byte for byte (spacing
    /// included); `None` records `input` serialised.
    pub input_text: Option<String>,
    /// The context object's static part: `{"Execution": {"Id", "Name", "Input", "StartTime",
    /// "RoleArn", "RedriveCount"}, "StateMachine": {"Id", "Name"}}`; the interpreter adds
    /// `State`, `Map`, `Task` as it runs.
    pub context: Value,
    pub clock: Clock,
    /// The service's task tokens and activity queues (`callbacks`).
    pub board: Arc<TaskBoard>,
    /// Where Distributed Maps record their map runs.
    pub map_runs: Arc<map_runs::MapRuns>,
    /// A Standard execution: remember where a failure happened, for RedriveExecution.
    pub redrivable: bool,
    /// How Task states reach the services (and where status-change events go); `None` runs
    /// the machine alone, as the interpreter's own tests do.
    pub tasks: Option<integrations::TaskCalls>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }
}

/// One history event in the shape GetExecutionHistory returns: `timestamp` (epoch seconds),
/// `type`, `id`, `previousEventId`, and one `...EventDetails` member.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp_ms: u64,
    /// The event's type, then (if the event has one) its `("passStateEnteredEventDetails",
    /// {...})`-style member, in one text. The type and the member's name are each one of a
    /// few dozen, kept once for the process and written here as its number, one character
    /// (see `Members`): a box of its own per event was a fifth of a parked execution's
    /// history, and the type's own `String` (24 bytes and a 32-byte allocation per event) a
    /// sixth of a finished one's. The member's value is kept as its JSON text: a history is
    /// written once and read rarely, and a `Value` tree costs several times its text (a
    /// parked execution's history was most of its memory).
    text: Box<str>,
}

/// The event types (`TaskSubmitted`) and details members' names (`taskSubmittedEventDetails`),
/// each kept once for the whole process and numbered: there are a few dozen of each (AWS's
/// types and `...EventDetails` members, and the names a data directory written by stepyard
/// holds). Read-locked once a name is known; the
/// lock is a leaf (nothing else is locked under it).
#[derive(Default)]
struct Members {
    number: std::collections::HashMap<&'static str, u32>,
    names: Vec<&'static str>,
}

/// Numbers below the surrogates, so that each is a `char`.
const MAX_MEMBERS: usize = 0xD000;

fn members() -> &'static parking_lot::RwLock<Members> {
    static MEMBERS: std::sync::OnceLock<parking_lot::RwLock<Members>> = std::sync::OnceLock::new();
    MEMBERS.get_or_init(Default::default)
}

/// The longest name kept in the table: AWS's are under 40 characters. A longer one (only a
/// crafted state document could hold it) stays in its event's text, so the table, which is
/// never freed, holds at most `MAX_MEMBERS` x 64 bytes whatever documents are loaded.
const MAX_MEMBER_LEN: usize = 64;

/// The character standing for the type or member `name`; `None` past `MAX_MEMBERS` names or
/// for a name longer than `MAX_MEMBER_LEN`.
fn member_char(name: &str) -> Option<char> {
    if name.len() > MAX_MEMBER_LEN {
        return None;
    }
    let known = members().read().number.get(name).copied();
    let n = match known {
        Some(n) => n,
        None => {
            let mut m = members().write();
            match m.number.get(name) {
                Some(n) => *n,
                None if m.names.len() < MAX_MEMBERS => {
                    let kept: &'static str = Box::leak(name.to_string().into_boxed_str());
                    let n = m.names.len() as u32;
                    m.names.push(kept);
                    m.number.insert(kept, n);
                    n
                }
                None => return None,
            }
        }
    };
    char::from_u32(n + 1)
}

/// Writes `name` as its character, or (never in practice) between NULs.
fn push_name(text: &mut String, name: &str) {
    match member_char(name) {
        Some(c) => text.push(c),
        None => {
            text.push('\0');
            text.push_str(name);
            text.push('\0');
        }
    }
}

/// The name `text` starts with (as `push_name` wrote it) and what follows it.
fn split_name(text: &str) -> Option<(&str, &str)> {
    let mut chars = text.chars();
    let first = chars.next()?;
    if first == '\0' {
        return chars.as_str().split_once('\0');
    }
    let n = (first as usize).checked_sub(1)?;
    let name: &'static str = members().read().names.get(n).copied()?;
    Some((name, chars.as_str()))
}

impl HistoryEvent {
    pub fn new(
        id: u64,
        previous_event_id: u64,
        timestamp_ms: u64,
        event_type: &str,
        details: Option<(String, Value)>,
    ) -> Self {
        use std::fmt::Write as _;
        let mut text = String::with_capacity(if details.is_some() { 64 } else { 4 });
        push_name(&mut text, event_type);
        if let Some((member, value)) = details {
            push_name(&mut text, &member);
            let _ = write!(text, "{value}");
        }
        HistoryEvent {
            id,
            previous_event_id,
            timestamp_ms,
            text: text.into_boxed_str(),
        }
    }

    /// `PassStateEntered`, `TaskSubmitted`, ...
    pub fn event_type(&self) -> &str {
        split_name(&self.text).map_or("", |(name, _)| name)
    }

    /// About what the event takes in memory: its text's length (known, nothing measured)
    /// and the room of the event itself.
    pub fn bytes(&self) -> u64 {
        (self.text.len() + std::mem::size_of::<HistoryEvent>()) as u64
    }

    /// The details member's name and its JSON text.
    fn member_and_text(&self) -> Option<(&str, &str)> {
        let (_, rest) = split_name(&self.text)?;
        // A member's name is never empty as written: nothing after the type is no details.
        if rest.is_empty() {
            return None;
        }
        split_name(rest)
    }

    /// The details member and its value (parsed from the kept text; numbers and key order
    /// come back as they went in).
    pub fn details(&self) -> Option<(&str, Value)> {
        let (member, text) = self.member_and_text()?;
        Some((member, serde_json::from_str(text).unwrap_or(Value::Null)))
    }

    /// The details member's value as its JSON text (for a search in it: nothing parsed).
    pub fn details_text(&self) -> Option<&str> {
        Some(self.member_and_text()?.1)
    }
}

/// Where a durable execution's changes go (`--data-dir`): each history event as it is
/// appended, the task token a Task waits on, and the record after each status change. Called
/// under the record's lock so the log sees changes in the order they were made; an
/// implementation must only queue (never wait), as `crate::persist::Durable::submit` does.
pub trait RecordSink: Send + Sync + std::fmt::Debug {
    fn event(&self, event: &HistoryEvent);
    fn token(&self, at_event: u64, token: &str);
    fn changed(&self, record: &ExecutionRecord);
    /// The execution is gone (retention, reset): delete what was written.
    fn forgotten(&self);
    /// Opens a hold on the log (`crate::persist::Hold`) for a Task's call: the call's writes
    /// and the history event that records it are committed together. `None`: nothing to hold.
    fn hold(&self) -> Option<crate::persist::Hold> {
        None
    }
}

/// The live state of one execution, shared between its task and the API.
#[derive(Debug)]
pub struct ExecutionRecord {
    pub status: Status,
    /// A succeeded execution's output as its JSON text: every reader (DescribeExecution, the
    /// status-change event, the data directory) wants the text, and a `Value` tree kept for
    /// as long as the execution is kept costs several times its text.
    pub output: Option<Box<str>>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub stop_ms: Option<u64>,
    pub history: Vec<HistoryEvent>,
    /// Set when a top-level state of a redrivable execution failed. Boxed: every record,
    /// finished ones too, would otherwise carry its room.
    pub resume: Option<Box<Resume>>,
    pub redrive_count: u64,
    pub redrive_ms: Option<u64>,
    /// False for executions whose history nobody can read (Express, map-run children):
    /// events are then counted, for ids and the history limit, but not kept.
    pub keep_history: bool,
    event_count: u64,
    /// `--data-dir` only: where changes are written; `None` keeps the in-memory path as is.
    pub sink: Option<Arc<dyn RecordSink>>,
    /// A parked execution's state, input and variables (see `engine::ParkedAt`), kept here as
    /// text in place of `resume`, whose `Value` trees would be held for as long as it waits:
    /// taken back when the run resumes (which sets `resume` again as it re-enters the state),
    /// or made into `resume` when StopExecution closes the record (a redrive starts there).
    parked: Option<Box<ParkedPoint>>,
    /// While the run is live: what StopExecution needs for the ABORTED status-change event.
    /// Here rather than in `ExecutionControl` (which the store keeps for as long as it keeps
    /// the execution) so that the run's end drops it: the context text alone was a tenth of
    /// a finished execution.
    abort_events: Option<Box<AbortEvents>>,
}

/// The task runner and the context an ABORTED status-change event is made from.
struct AbortEvents(integrations::TaskCalls, Arc<BaseContext>);

impl std::fmt::Debug for AbortEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AbortEvents")
    }
}

/// Bytes of history every kept execution record of the process has appended (never less):
/// the bound on finished executions' bytes is looked at again when it has grown enough
/// (`services::sfn::retention`). One counter for the process rather than a handle in every
/// record: servers sharing a process (tests) only look at their bound a little more often.
static HISTORY_BYTES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The reading of `HISTORY_BYTES`.
pub fn history_bytes_meter() -> u64 {
    HISTORY_BYTES.load(Ordering::Relaxed)
}

/// Where a run parked: the state, its input as text, and the variables in scope (`None`:
/// none).
#[derive(Debug)]
pub struct ParkedPoint {
    pub(crate) state: String,
    pub(crate) input: Box<str>,
    pub(crate) variables: Option<Box<serde_json::Map<String, Value>>>,
}

impl ParkedPoint {
    /// The point as a `Resume` (no restart: a redrive enters the state again).
    fn into_resume(self) -> Resume {
        Resume {
            state: self.state,
            // Written by `to_string`, so it reads back as it was.
            input: serde_json::from_str(&self.input).unwrap_or_default(),
            variables: self.variables.map(|v| *v).unwrap_or_default(),
            restart: None,
            after_restart: false,
        }
    }
}

impl ExecutionRecord {
    /// A record that counts events without keeping them.
    pub fn without_history() -> Self {
        ExecutionRecord {
            keep_history: false,
            ..Self::default()
        }
    }

    /// A record rebuilt from the data directory or a state document, its history as kept.
    pub fn restored(mut history: Vec<HistoryEvent>) -> Self {
        // Collected from what was read (in place, in the room of the read events, which are
        // larger, or grown as they came): kept for as long as the execution is, so exact.
        history.shrink_to_fit();
        ExecutionRecord {
            event_count: history.last().map_or(0, |e| e.id),
            history,
            ..Self::default()
        }
    }

    /// About how many bytes the kept history takes (its events' texts and their room):
    /// summed when asked (the sweep of finished executions, now and then), not kept.
    pub fn history_bytes(&self) -> u64 {
        self.history.iter().map(HistoryEvent::bytes).sum()
    }

    /// The output as a value (parsed from its text), for those who want the tree.
    pub fn output_value(&self) -> Option<Value> {
        self.output
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
    }

    /// Writes the record (status, output, redrive members) to its sink, if it has one.
    pub fn persist(&self) {
        if let Some(sink) = &self.sink {
            sink.changed(self);
        }
    }

    /// The id of the last event recorded (0 before the first).
    pub fn last_event_id(&self) -> u64 {
        self.event_count
    }

    /// Appends an event and returns its id.
    pub fn push_event(
        &mut self,
        previous_event_id: u64,
        timestamp_ms: u64,
        event_type: &str,
        details: Option<(String, Value)>,
    ) -> u64 {
        self.event_count += 1;
        let id = self.event_count;
        if self.keep_history {
            self.history.push(HistoryEvent::new(
                id,
                previous_event_id,
                timestamp_ms,
                event_type,
                details,
            ));
            if let Some(event) = self.history.last() {
                HISTORY_BYTES.fetch_add(event.bytes(), Ordering::Relaxed);
                if let Some(sink) = &self.sink {
                    sink.event(event);
                }
            }
        }
        id
    }
}

impl Default for ExecutionRecord {
    fn default() -> Self {
        ExecutionRecord {
            status: Status::Running,
            output: None,
            error: None,
            cause: None,
            stop_ms: None,
            history: Vec::new(),
            resume: None,
            redrive_count: 0,
            redrive_ms: None,
            keep_history: true,
            event_count: 0,
            sink: None,
            parked: None,
            abort_events: None,
        }
    }
}

pub type SharedRecord = Arc<Mutex<ExecutionRecord>>;

/// Where a redriven execution starts again: the top-level state that failed, with the input
/// and variables it had.
#[derive(Debug, Clone)]
pub struct Resume {
    pub state: String,
    pub input: Value,
    /// The variables in scope when that state was entered.
    pub variables: serde_json::Map<String, Value>,
    /// Set when a running execution resumes after a restart: the state was already entered
    /// (its `...StateEntered` is in the history) and is not entered again.
    pub restart: Option<Box<Restart>>,
    /// Set when a running execution continues after a restart (at a state it had entered,
    /// or the one after the last it left): its `TimeoutSeconds` still counts from its start.
    pub after_restart: bool,
}

/// The entry of the state a restarted execution was in, and the task token it waited on.
#[derive(Debug, Clone)]
pub struct Restart {
    pub entered_prev: u64,
    pub entered_id: u64,
    /// A Wait counts its time from here, so it ends at its original deadline.
    pub entered_ms: u64,
    pub token: Option<String>,
    /// A `.waitForTaskToken` Task whose request had gone out (`TaskSubmitted`): when it
    /// started. It waits for its callback again instead of sending the request twice.
    pub submitted_ms: Option<u64>,
    /// A Task whose last attempt had succeeded (`TaskSucceeded` or `LambdaFunctionSucceeded`)
    /// before the restart: its result, which is not asked for again.
    pub succeeded: Option<Value>,
    /// An activity Task already scheduled (`ActivityScheduled`, no outcome yet): when. It is
    /// offered to workers again without a second `ActivityScheduled`, its timeout counted
    /// from then.
    pub activity_scheduled_ms: Option<u64>,
    /// Every token the execution issued, for the Tasks of branches and iterations resumed
    /// inside this state.
    pub tokens: resume::Tokens,
}

/// A handle on a running execution (from [`spawn`]); clones share it.
#[derive(Clone)]
pub struct ExecutionControl {
    record: SharedRecord,
    clock: Clock,
    /// Raised by `stop`; the execution's task watches it and drops its work.
    stop_signal: Arc<StopSignal>,
}

impl ExecutionControl {
    /// StopExecution: ends the execution as ABORTED with `ExecutionAborted`, unless it has
    /// already ended. The record is finalised here, under its lock, rather than by the task:
    /// the caller sees ABORTED as soon as `stop` returns, and the task's own completion (which
    /// checks for RUNNING under the same lock) can no longer overwrite it. The task is then
    /// told to drop its work, which aborts its Parallel/Map child tasks too.
    pub fn stop(&self, error: Option<String>, cause: Option<String>) {
        {
            let mut rec = self.record.lock();
            if rec.status == Status::Running {
                if let Some(point) = rec.parked.take() {
                    rec.resume = Some(Box::new(point.into_resume()));
                }
                let now = self.clock.now_millis();
                // AWS records ExecutionAborted with previousEventId 0.
                rec.push_event(
                    0,
                    now,
                    "ExecutionAborted",
                    Some((
                        "executionAbortedEventDetails".into(),
                        error_details(error.as_deref(), cause.as_deref()),
                    )),
                );
                rec.status = Status::Aborted;
                rec.error = error;
                rec.cause = cause;
                rec.stop_ms = Some(now);
                rec.persist();
                if let Some(events) = rec.abort_events.take() {
                    let AbortEvents(calls, base) = *events;
                    // Read from the context's text: this runs under the record's lock.
                    let snapshot = status_events::Snapshot::of_text(base.json(), &rec);
                    calls.status_changed_detached(snapshot);
                }
            }
        }
        // Nobody listening means the task has already finished: nothing left to stop.
        self.stop_signal.raise();
    }

    pub fn record(&self) -> &SharedRecord {
        &self.record
    }
}

/// Starts the execution on its own tokio task and returns at once.
pub fn spawn(spec: ExecutionSpec, record: SharedRecord) -> ExecutionControl {
    spawn_from(spec, record, None)
}

/// Starts the run on its own tokio task, from the start or from `resume`.
fn spawn_from(
    mut spec: ExecutionSpec,
    record: SharedRecord,
    resume: Option<Resume>,
) -> ExecutionControl {
    let stop_rx = Arc::new(StopSignal::default());
    let context = std::mem::take(&mut spec.context);
    let base = Arc::new(BaseContext::of(&context));
    record.lock().abort_events = spec
        .tasks
        .clone()
        .map(|t| Box::new(AbortEvents(t, base.clone())));
    let control = ExecutionControl {
        record: record.clone(),
        clock: spec.clock.clone(),
        stop_signal: stop_rx.clone(),
    };
    let work = execution_work(&spec, &context);
    tokio::spawn(work.run(run_parking(Box::new(Start {
        spec,
        context,
        base,
        record,
        stop_rx,
        resume,
        parks: true,
        task_wait: None,
    }))));
    control
}

/// Runs the execution; while it is parked in a top-level Wait or Task (see `ParkedAt`), its
/// task holds only the parked run and what ends the wait. Each run is boxed, and freed when
/// it parks.
async fn run_parking(start: Box<Start>) {
    let mut start = start;
    loop {
        let Some(parked) = Box::pin(execute(start)).await else {
            return;
        };
        // Boxed too: a run that never parks should not carry this room.
        let Some(parks) = wait_parked(&parked).await else {
            return;
        };
        let Some(resumed) = unbox(parked).resumed(parks) else {
            return;
        };
        start = Box::new(resumed);
    }
}

/// Waits until the parked run resumes (`Some`: whether it may park again), or StopExecution
/// has closed its record (`None`: nothing is left to do; a parked Task's token goes with
/// it). The Wait's end, a signal on the Task's token, the Task's own deadline and the
/// execution's timeout all resume it; the run then sees which came first (a timeout ends it
/// in `finish`, and a run resumed for it does not park again, so that it gets there). Each
/// kind's wait is boxed on its own, so a parked Wait does not carry a Task's room.
async fn wait_parked(parked: &Parked) -> Option<bool> {
    match &parked.until {
        engine::Until::Deadline(deadline_ms) => Box::pin(wait_deadline(parked, *deadline_ms)).await,
        engine::Until::Task(wait) => Box::pin(wait_token(parked, wait)).await,
    }
}

async fn wait_deadline(parked: &Parked, deadline_ms: u64) -> Option<bool> {
    let clock = &parked.clock;
    tokio::select! {
        _ = clock.sleep_until_millis(deadline_ms) => Some(true),
        _ = timeout(clock, parked.timeout_ms) => Some(true),
        _ = stopped(parked.stop_rx.clone()) => None,
    }
}

/// Parked as a token wait is (`settle::park`): a signal carries its own wake, and a
/// deadline's timer counts as due until the run is busy again. One timer for the Task's
/// deadline and the execution's timeout, whichever is first.
fn wait_token<'a>(parked: &'a Parked, wait: &'a engine::TaskWait) -> TokenWait<'a> {
    let clock = &parked.clock;
    let deadline = match (wait.at.deadline(), parked.timeout_ms) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let timer = deadline.map(|d| clock.timeout_at_millis(d));
    TokenWait {
        waiter: &wait.waiter,
        stop: &parked.stop_rx,
        signal: wait.waiter.notified(),
        stopped: parked.stop_rx.notify.notified(),
        timer,
        timeout_ms: parked.timeout_ms,
        clock,
        _parked: crate::settle::park(),
    }
}

pin_project_lite::pin_project! {
    /// A parked Task's wait (`wait_token`) as one future: a signal on its token (`Some(true)`),
    /// its deadline or the execution's timeout (`Some(false)` for the latter: the resumed run
    /// must not park again), or StopExecution (`None`). Written by hand: the `select!` of
    /// three async waits it replaces kept each one's state besides, about twice the room,
    /// for as long as the execution waits. No wakeup is lost: each `Notified` is enabled
    /// before the flag or queue it guards is read, and made again after it fires.
    struct TokenWait<'a> {
        waiter: &'a callbacks::TokenWaiter,
        stop: &'a StopSignal,
        #[pin]
        signal: tokio::sync::futures::Notified<'a>,
        #[pin]
        stopped: tokio::sync::futures::Notified<'a>,
        timer: Option<crate::clock::Sleep>,
        timeout_ms: Option<u64>,
        clock: &'a Clock,
        _parked: crate::settle::Parked,
    }
}

impl std::future::Future for TokenWait<'_> {
    type Output = Option<bool>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<bool>> {
        use std::task::Poll;
        let mut this = self.project();
        loop {
            this.stopped.as_mut().enable();
            if this.stop.raised.load(Ordering::SeqCst) {
                return Poll::Ready(None);
            }
            this.signal.as_mut().enable();
            if !this.waiter.is_idle() {
                return Poll::Ready(Some(true));
            }
            if let Some(timer) = this.timer.as_mut() {
                if std::pin::Pin::new(timer).poll(cx).is_ready() {
                    let now = this.clock.now_millis();
                    return Poll::Ready(Some(this.timeout_ms.is_none_or(|t| t > now)));
                }
            }
            if this.stopped.as_mut().poll(cx).is_ready() {
                this.stopped.set(this.stop.notify.notified());
                continue;
            }
            if this.signal.as_mut().poll(cx).is_ready() {
                this.signal.set(this.waiter.notified());
                continue;
            }
            return Poll::Pending;
        }
    }
}

/// A run that parked: how to resume it, where, and when. Only what a resumed `Start` needs
/// (not a whole `Start`, whose unused members would take room for as long as it waits).
struct Parked {
    machine: Arc<StateMachine>,
    clock: Clock,
    board: Arc<TaskBoard>,
    map_runs: Arc<map_runs::MapRuns>,
    tasks: Option<integrations::TaskCalls>,
    base: Arc<BaseContext>,
    record: SharedRecord,
    stop_rx: Arc<StopSignal>,
    /// The `...StateEntered` of the state it parked in: its `previousEventId`, id and time.
    entered: [u64; 3],
    until: engine::Until,
    timeout_ms: Option<u64>,
}

impl Parked {
    /// The run, resuming inside the Wait or Task it parked in; `parks`: whether it may park
    /// again. `None` if StopExecution has closed its record meanwhile.
    fn resumed(self, parks: bool) -> Option<Start> {
        let Parked {
            machine,
            clock,
            board,
            map_runs,
            tasks,
            base,
            record,
            stop_rx,
            entered,
            until,
            ..
        } = self;
        // Where a redrive would start is back in the record at once: a StopExecution from
        // now on closes the record without the parked point.
        let redrive_at = {
            let mut r = record.lock();
            let point = r.parked.take()?.into_resume();
            r.resume = Some(Box::new(point.clone()));
            point
        };
        // A Task goes on waiting on its token where it stood: an activity already scheduled,
        // a callback whose request went out (as after a restart, but with its token's
        // mailbox, its deadlines and its attempts kept: see `TaskWait`).
        let (task_wait, submitted_ms, activity_scheduled_ms) = match until {
            engine::Until::Deadline(_) => (None, None, None),
            engine::Until::Task(w) => {
                let (submitted, scheduled) = match w.at.activity_scheduled_ms {
                    Some(ms) => (None, Some(ms)),
                    None => (Some(w.at.started_ms), None),
                };
                (Some(w), submitted, scheduled)
            }
        };
        let [entered_prev, entered_id, entered_ms] = entered;
        let resume = Resume {
            restart: Some(Box::new(Restart {
                entered_prev,
                entered_id,
                entered_ms,
                token: None,
                submitted_ms,
                succeeded: None,
                activity_scheduled_ms,
                tokens: Default::default(),
            })),
            after_restart: true,
            ..redrive_at
        };
        Some(Start {
            spec: ExecutionSpec {
                machine,
                input: Value::Null,
                input_text: None,
                context: Value::Null,
                clock,
                board,
                map_runs,
                // Only Standard executions (which can be redriven) park.
                redrivable: true,
                tasks,
            },
            context: Value::Null,
            base,
            record,
            stop_rx,
            resume: Some(resume),
            parks,
            task_wait,
        })
    }
}

/// The execution's entry in the settle registry, made before its task is spawned so the
/// execution counts as busy from the moment StartExecution returns.
pub fn execution_work(spec: &ExecutionSpec, context: &Value) -> crate::settle::Work {
    let arn = context["Execution"]["Id"].as_str().unwrap_or("execution");
    spec.clock.work(crate::settle::Kind::Execution, arn)
}

/// RedriveExecution: runs the execution again from `resume`, continuing its history (the
/// service has already recorded `ExecutionRedriven` and set the record back to RUNNING).
pub fn spawn_redrive(
    spec: ExecutionSpec,
    record: SharedRecord,
    resume: Resume,
) -> ExecutionControl {
    spawn_from(spec, record, Some(resume))
}

/// Runs the execution to its end on the caller's task (StartSyncExecution, tests).
pub async fn run_to_end(mut spec: ExecutionSpec, record: SharedRecord) {
    // Nobody can raise it: `stopped` simply never fires.
    let stop_rx = Arc::new(StopSignal::default());
    let context = std::mem::take(&mut spec.context);
    let base = Arc::new(BaseContext::of(&context));
    // Nothing parks here (`parks: false`), so the run always ends.
    execute(Box::new(Start {
        spec,
        context,
        base,
        record,
        stop_rx,
        resume: None,
        parks: false,
        task_wait: None,
    }))
    .await;
}

enum Ending {
    Finished(Result<Value, failure::Failure>, u64),
    TimedOut,
    Stopped,
}

/// `spec.context` has been taken into `context` (used for the start, then dropped) and `base`
/// (kept, compact). The awaits on status-change events are boxed:
/// a parked execution keeps this future for as long as it waits, and should not carry the
/// (larger) state of a delivery it is not making.
async fn execute(start: Box<Start>) -> Option<Box<Parked>> {
    let Start {
        mut spec,
        context,
        base,
        record,
        stop_rx,
        resume,
        parks,
        task_wait,
    } = unbox(start);
    let rec = Recorder::new(record.clone(), spec.clock.clone());
    if let Some(resume) = resume {
        let cursor = rec.len() as u64;
        drop(context);
        return finish(Box::new(Finish {
            spec,
            base,
            record,
            rec,
            stop_rx,
            resume: Some(resume),
            cursor,
            parks,
            task_wait,
        }))
        .await;
    }
    let role_arn = context
        .pointer("/Execution/RoleArn")
        .cloned()
        .unwrap_or(Value::Null);
    rec.emit(
        0,
        "ExecutionStarted",
        Some((
            "executionStartedEventDetails",
            json!({
                // Taken, not copied: the spec lives as long as the execution runs.
                "input": spec.input_text.take().unwrap_or_else(|| history::text(&spec.input)),
                "inputDetails": {"truncated": false},
                "roleArn": role_arn,
            }),
        )),
    );
    if let Some(calls) = spec.tasks.as_ref().filter(|c| c.status_wanted(false)) {
        let snapshot = {
            let r = record.lock();
            status_events::Snapshot::of(&context, &r, execution_start_ms(&context))
        };
        Box::pin(calls.status_changed(snapshot)).await;
    }
    drop(context);
    finish(Box::new(Finish {
        spec,
        base,
        record,
        rec,
        stop_rx,
        resume: None,
        cursor: 0,
        parks,
        task_wait: None,
    }))
    .await
}

/// `execute`'s arguments, and `finish`'s: an async fn keeps its arguments for as long as it
/// runs (a parked execution's task holds them for days), so they are passed as one box and
/// unpacked inside, where what is moved on no longer takes room in the waiting future.
struct Start {
    spec: ExecutionSpec,
    context: Value,
    base: Arc<BaseContext>,
    record: SharedRecord,
    stop_rx: Arc<StopSignal>,
    resume: Option<Resume>,
    /// Whether a top-level Wait or Task may park the run (`spawn`; not `run_to_end`).
    parks: bool,
    /// A parked Task's wait, for the resumed run (see `TaskWait`).
    task_wait: Option<Box<engine::TaskWait>>,
}

/// The contents of `b`, its allocation freed now (moving out of `*b` in place frees the box
/// only at the end of the scope, which for an async fn is the end of the run).
#[allow(clippy::boxed_local)] // The box is the point: it is what is freed here.
pub(crate) fn unbox<T>(b: Box<T>) -> T {
    *b
}

struct Finish {
    spec: ExecutionSpec,
    base: Arc<BaseContext>,
    record: SharedRecord,
    rec: Recorder,
    stop_rx: Arc<StopSignal>,
    resume: Option<Resume>,
    cursor: u64,
    parks: bool,
    task_wait: Option<Box<engine::TaskWait>>,
}

/// The execution's start, from the context object's `Execution.StartTime`.
fn execution_start_ms(context: &Value) -> u64 {
    status_events::start_ms(context["Execution"]["StartTime"].as_str())
}

/// Runs the machine (from its start, or from `resume`) and records how the execution ended.
async fn finish(args: Box<Finish>) -> Option<Box<Parked>> {
    let Finish {
        spec,
        base,
        record,
        rec,
        stop_rx,
        resume,
        cursor,
        parks,
        task_wait,
    } = unbox(args);
    // Taken apart, so that what moves on takes no room while the run is awaited.
    let ExecutionSpec {
        machine,
        input,
        clock,
        board,
        map_runs,
        redrivable,
        tasks,
        ..
    } = spec;
    // A run resumed after a restart keeps the deadline it had: counted from the execution's
    // start (or its last redrive), not from now.
    let start_ms = match &resume {
        Some(r) if r.after_restart => {
            let redriven = record.lock().redrive_ms;
            redriven.unwrap_or_else(|| execution_start_ms(&base.value()))
        }
        _ => clock.now_millis(),
    };
    let deadline = machine
        .timeout_seconds
        .map(|s| start_ms.saturating_add(s.saturating_mul(1000)));
    let parks = parks && redrivable;
    let engine = Arc::new(Engine {
        rec,
        base_context: base.clone(),
        board,
        map_runs,
        redrive_from: redrivable.then(|| machine.clone()),
        tasks: tasks.clone(),
        restarts: Default::default(),
        parking: parks.then(Default::default),
        task_wait: parking_lot::Mutex::new(task_wait),
        context: Default::default(),
        shared_arn: Default::default(),
    });
    let kept = parks.then(|| (machine.clone(), stop_rx.clone()));
    let work = match resume {
        Some(r) => run_machine_from(
            engine.clone(),
            machine,
            r.state,
            r.input,
            cursor,
            vars::Variables::with_values(r.variables),
            r.restart,
        ),
        None => run_machine(
            engine.clone(),
            machine,
            input,
            cursor,
            vars::Variables::default(),
        ),
    };
    // Whichever comes first ends the run; the others are dropped. Dropping `work` drops the
    // JoinSets of any running Parallel/Map, which aborts their child tasks.
    let ending = tokio::select! {
        (result, cursor) = work => Ending::Finished(result, cursor),
        _ = timeout(&clock, deadline) => Ending::TimedOut,
        _ = stopped(stop_rx) => Ending::Stopped,
    };
    let parked = engine.parking.as_ref().and_then(|p| p.lock().take());
    if let (Ending::Finished(..), Some(at), Some((machine, stop_rx))) = (&ending, parked, kept) {
        // A parked execution keeps its history for long: room grown for more events is
        // given back while it is short (a long one would be copied at every park).
        let engine::ParkedAt {
            point,
            entered_prev,
            entered_id,
            entered_ms,
            until,
        } = at;
        {
            let mut r = record.lock();
            if r.history.len() <= 32 {
                r.history.shrink_to_fit();
            }
            r.resume = None;
            r.parked = Some(Box::new(point));
        }
        return Some(Box::new(Parked {
            machine,
            clock,
            board: engine.board.clone(),
            map_runs: engine.map_runs.clone(),
            tasks,
            base,
            record,
            stop_rx,
            entered: [entered_prev, entered_id, entered_ms],
            until,
            timeout_ms: deadline,
        }));
    }
    let now = clock.now_millis();
    // The context is read only for a snapshot someone wants.
    let wanted = tasks.as_ref().is_some_and(|c| c.status_wanted(true));
    let snapshot = close_record(&record, ending, now, wanted.then(|| base.json()));
    if let (Some(calls), Some(snapshot)) = (&tasks, snapshot) {
        Box::pin(calls.status_changed(snapshot)).await;
    }
    None
}

/// Records how the run ended, and gives its snapshot when given the context; `None` when
/// StopExecution had already closed the record.
fn close_record(
    record: &SharedRecord,
    ending: Ending,
    now: u64,
    context: Option<&str>,
) -> Option<status_events::Snapshot> {
    let mut rec = record.lock();
    if rec.status != Status::Running {
        return None; // StopExecution got there first and already closed the record.
    }
    let last_id = rec.last_event_id();
    let (status, event_type, prev, details) = match ending {
        Ending::Finished(Ok(output), cursor) => {
            let text = history::text(&output);
            drop(output);
            rec.output = Some(text.as_str().into());
            let details = json!({
                "output": text,
                "outputDetails": {"truncated": false},
            });
            // A succeeded execution cannot be redriven: where a redrive would start (the
            // last state's input tree) is no longer wanted.
            rec.resume = None;
            (
                Status::Succeeded,
                "ExecutionSucceeded",
                cursor,
                ("executionSucceededEventDetails", details),
            )
        }
        Ending::Finished(Err(f), cursor) => {
            let details = error_details(f.error.as_deref(), f.cause.as_deref());
            rec.error = f.error;
            rec.cause = f.cause;
            (
                Status::Failed,
                "ExecutionFailed",
                cursor,
                ("executionFailedEventDetails", details),
            )
        }
        Ending::TimedOut => {
            rec.error = Some("States.Timeout".into());
            (
                Status::TimedOut,
                "ExecutionTimedOut",
                last_id,
                (
                    "executionTimedOutEventDetails",
                    error_details(Some("States.Timeout"), None),
                ),
            )
        }
        // `stop` finalises the record itself; reaching here means it raced with nothing.
        Ending::Stopped => return None,
    };
    rec.push_event(prev, now, event_type, Some((details.0.into(), details.1)));
    rec.status = status;
    rec.stop_ms = Some(now);
    // Nothing can stop it now (the status-change event goes out from the snapshot below).
    rec.abort_events = None;
    // Kept as it is for as long as the execution is kept (90 days, or until the caps evict
    // it): the room grown for more events (up to half the history) is given back, once.
    rec.history.shrink_to_fit();
    rec.persist();
    Some(status_events::Snapshot::of_text(context?, &rec))
}

async fn timeout(clock: &Clock, deadline: Option<u64>) {
    match deadline {
        Some(d) => clock.timeout_at_millis(d).await,
        None => std::future::pending().await,
    }
}

/// StopExecution's signal to the execution's task: a flag and a `Notify`, a tenth of what a
/// `watch` channel (with its eight `Notify`s) costs each of a hundred thousand parked
/// executions.
#[derive(Default)]
struct StopSignal {
    raised: AtomicBool,
    notify: tokio::sync::Notify,
}

impl StopSignal {
    fn raise(&self) {
        self.raised.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
}

/// Resolves once `stop` has been called; never if nobody does (no `ExecutionControl` left):
/// the execution then simply runs to its end. No wakeup is lost: the waiter is registered
/// (`enable`) before the flag is read, so a `raise` after the read wakes it, and one before
/// it is seen by the read.
async fn stopped(signal: Arc<StopSignal>) {
    loop {
        let notified = signal.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if signal.raised.load(Ordering::SeqCst) {
            return;
        }
        notified.await;
    }
}

#[cfg(test)]
mod member_tests {
    use super::HistoryEvent;
    use serde_json::json;

    #[test]
    fn a_details_member_known_or_too_long_to_keep_reads_back_as_it_was_given() {
        let long = "x".repeat(super::MAX_MEMBER_LEN + 1);
        for member in ["taskSubmittedEventDetails", long.as_str()] {
            let value = json!({"resource": "sendMessage", "n": 1.50});
            let event = HistoryEvent::new(
                1,
                0,
                0,
                "TaskSubmitted",
                Some((member.into(), value.clone())),
            );
            let (name, read) = event.details().expect("details kept");
            assert_eq!((name, read), (member, value));
        }
        assert!(
            super::member_char(&long).is_none(),
            "a long name is not kept in the table"
        );
    }
}

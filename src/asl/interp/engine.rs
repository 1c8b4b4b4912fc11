//! What every run of one execution shares (the history writer, the context object, the task
//! board, the way out to the services), apart from the state loop that uses it, so that the
//! state kinds (Task, Parallel, Map) and the loop (`run.rs`) each depend on it alone.

use super::callbacks::{TaskBoard, TokenWaiter};
use super::failure::Failure;
use super::history::Recorder;
use super::integrations::runner::TaskCalls;
use super::map_runs::MapRuns;
use crate::asl::ast::{State, StateKind, StateMachine};
use crate::time::format_millis;
use serde_json::{json, Value};
use std::sync::Arc;

tokio::task_local! {
    /// The span of the state this task is running (tracing on): the parent of its Task's
    /// calls and of the states of the branches and iterations it starts. Set around one
    /// state's run by the state loop; a branch captures it when it is created, before it is
    /// spawned onto a task of its own.
    pub(crate) static STATE_SPAN: crate::request::TraceContext;
}

/// The span of the state running here, if tracing is on.
pub(crate) fn state_span() -> Option<crate::request::TraceContext> {
    STATE_SPAN.try_with(|t| *t).ok()
}

/// What every run of one execution shares: the history writer and the context object's
/// static part. Immutable after start (but for `restarts`), so branches read it without locking.
pub(crate) struct Engine {
    pub rec: Recorder,
    /// Shared with the execution's control and its branches.
    pub base_context: Arc<BaseContext>,
    /// Where waiting tasks (activities, task tokens) meet the API.
    pub board: Arc<TaskBoard>,
    /// Distributed Map runs, for the map-run API.
    pub map_runs: Arc<MapRuns>,
    /// The machine whose failed state a redrive resumes at (a Standard execution's top level);
    /// `None` where nothing can be redriven.
    pub redrive_from: Option<Arc<StateMachine>>,
    /// How Task states reach the services; `None` where nothing can be called (tests of the
    /// interpreter alone).
    pub tasks: Option<TaskCalls>,
    /// States a restarted execution is inside (see `Restart`), by the id of their
    /// `...StateEntered`: put by the state loop, taken by the state's first attempt. Locked
    /// only to put or take one entry (never across an await).
    pub restarts: parking_lot::Mutex<std::collections::HashMap<u64, Box<super::Restart>>>,
    /// A Standard execution's own run (`spawn`): where its top level leaves the Wait it parks
    /// in (see `ParkedAt`). `None` where nothing parks (Express, map runs, TestState).
    pub parking: Option<parking_lot::Mutex<Option<ParkedAt>>>,
    /// A top-level Task's wait on its token (see `TaskWait`): left here by the Task when it
    /// parks, for the state loop to park the run with; put here by a resumed run, for the
    /// Task to take back. Locked only to put or take it (never across an await).
    pub task_wait: parking_lot::Mutex<Option<Box<TaskWait>>>,
    /// `base_context` parsed, the first time a state of this run needs it: every state reads
    /// the context object, and parsing it (with the execution's input) per state made a Map
    /// of 1,000 Pass items parse the input 1,000 times. Kept by the run, not by the
    /// `BaseContext` a parked execution holds, so parking still keeps only the text.
    pub context: std::sync::OnceLock<Value>,
    /// The execution's ARN as its states' spans share it (made by the first one traced).
    pub shared_arn: std::sync::OnceLock<Arc<str>>,
}

/// A top-level Wait an execution parks in as data rather than as a live run: the run ends
/// and its task keeps only this and a timer until the Wait's deadline (or StopExecution, or
/// the execution's timeout), then resumes from it as a restarted execution does (see
/// `Restart`). A parked run's futures were most of what a waiting execution kept.
pub(crate) struct ParkedAt {
    /// The state, its input and the variables: kept in the execution's record while it is
    /// parked (see `ExecutionRecord::parked`).
    pub point: super::ParkedPoint,
    pub entered_prev: u64,
    pub entered_id: u64,
    pub entered_ms: u64,
    pub until: Until,
}

/// What ends a parked run's wait.
pub(crate) enum Until {
    /// A Wait's deadline (epoch milliseconds).
    Deadline(u64),
    /// A Task's token: a signal on it, or its TimeoutSeconds / HeartbeatSeconds deadline.
    Task(Box<TaskWait>),
}

/// A top-level Task of a Standard execution parked on its token (an activity waiting for a
/// worker or its outcome, a `.waitForTaskToken` callback): the token stays on the board, so
/// SendTask* and GetActivityTask reach its mailbox, and the run that resumes takes this back
/// and goes on waiting where it stood (nothing is scheduled, offered or sent again).
pub(crate) struct TaskWait {
    pub waiter: super::callbacks::TokenWaiter,
    /// Its deadlines, and when its wait began.
    pub at: WaitAt,
    /// The attempts each retrier has made, and the state's retry count (`$$.State.RetryCount`).
    pub attempts: Box<[u64]>,
    pub retry_count: u64,
    /// The id of the last event the Task recorded, which its next one chains to.
    pub cursor: u64,
    /// The state's input, as text.
    pub input: Box<str>,
    /// The state's span (tracing on), which the resumed run records when the state ends.
    pub span: Option<Box<crate::request::TraceContext>>,
}

/// The context object's static part, kept as its JSON text and parsed when a state needs it:
/// as a `Value` tree (with the execution's input in it) it is a few kilobytes, most of what a
/// parked execution would otherwise hold; parsing it per state costs about what the clone of
/// the tree it replaces did.
#[derive(Debug)]
pub struct BaseContext {
    /// The context's JSON text (`..json_len`), then any member below that is not found in it
    /// as it is (one written with escapes).
    text: Box<str>,
    json_len: usize,
    /// `Execution.Id` and `StateMachine.Name`, read per branch, per Task and per traced state:
    /// kept apart so those do not parse the whole context (with its input) each time, as
    /// ranges of `text` (where the same characters already are) rather than copies.
    execution_arn: (usize, usize),
    machine_name: (usize, usize),
    /// Whose activity tokens this run's Tasks are (`TaskBoard::own`) when not the execution
    /// itself: a Distributed Map child execution (its own execution, as on AWS; see
    /// `map_runs::child_arn`), so a parent's state-document entry never lists a child's token.
    /// `None` (the execution) costs a parked execution nothing.
    owner: Option<Box<str>>,
}

impl BaseContext {
    pub fn of(context: &Value) -> Self {
        let member = |pointer: &str| {
            context
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let mut text = context.to_string();
        let json_len = text.len();
        let mut place = |member: &str| match text[..json_len].find(member) {
            Some(at) => (at, at + member.len()),
            None => {
                let at = text.len();
                text.push_str(member);
                (at, text.len())
            }
        };
        let execution_arn = place(member("/Execution/Id"));
        let machine_name = place(member("/StateMachine/Name"));
        BaseContext {
            text: text.into_boxed_str(),
            json_len,
            execution_arn,
            machine_name,
            owner: None,
        }
    }

    /// The same context, its activity tokens owned by `owner` (a map run's child execution).
    pub fn owned_by(&self, owner: &str) -> Self {
        BaseContext {
            text: self.text.clone(),
            json_len: self.json_len,
            execution_arn: self.execution_arn,
            machine_name: self.machine_name,
            owner: Some(owner.into()),
        }
    }

    /// Whose activity tokens this run's Tasks are.
    pub fn owner(&self) -> &str {
        self.owner
            .as_deref()
            .unwrap_or_else(|| self.execution_arn())
    }

    /// The context's `Execution.Id`.
    pub fn execution_arn(&self) -> &str {
        &self.text[self.execution_arn.0..self.execution_arn.1]
    }

    /// The context's `StateMachine.Name`.
    pub fn machine_name(&self) -> &str {
        &self.text[self.machine_name.0..self.machine_name.1]
    }

    /// The context object's JSON text.
    pub fn json(&self) -> &str {
        &self.text[..self.json_len]
    }

    /// The context object (numbers and key order as they went in).
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.text[..self.json_len]).unwrap_or(Value::Null)
    }
}

impl Engine {
    /// The execution's ARN, shared by its states' spans.
    pub fn shared_execution_arn(&self) -> Arc<str> {
        self.shared_arn
            .get_or_init(|| Arc::from(self.base_context.execution_arn()))
            .clone()
    }

    /// The context object's static part (see `context`).
    pub fn context_value(&self) -> &Value {
        self.context.get_or_init(|| self.base_context.value())
    }

    /// A Parallel branch's or Map iteration's entry in the settle registry.
    pub fn branch_work(&self) -> crate::settle::Work {
        let arn = match self.base_context.execution_arn() {
            "" => "execution",
            arn => arn,
        };
        self.rec.clock().work(crate::settle::Kind::Branch, arn)
    }

    /// The context object as a state sees it: the static part plus `State` (`RetryCount`
    /// only where AWS has it: the states that can retry).
    pub fn context_for(&self, state: &State, entered_ms: u64, retry_count: u64) -> Value {
        let mut ctx = self.context_value().clone();
        if let Value::Object(o) = &mut ctx {
            let mut s = json!({
                "Name": state.name,
                "EnteredTime": format_millis(entered_ms),
            });
            let retries = matches!(
                state.kind,
                StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
            );
            if let (true, Value::Object(so)) = (retries, &mut s) {
                so.insert("RetryCount".into(), Value::from(retry_count));
            }
            o.insert("State".into(), s);
        }
        ctx
    }
}

/// Where a Task's wait on its token stood when its run parked (see `TaskWait`): its deadlines,
/// and when its wait began. Handed back to the Task when the run resumes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WaitAt {
    /// An activity: when it was scheduled (it stays offered, or taken by its worker).
    pub activity_scheduled_ms: Option<u64>,
    /// A callback: when its Task started (`TaskStarted`).
    pub started_ms: u64,
    pub timeout_at: Option<u64>,
    pub heartbeat_at: Option<u64>,
}

impl WaitAt {
    /// The earliest of its deadlines.
    pub(crate) fn deadline(&self) -> Option<u64> {
        match (self.timeout_at, self.heartbeat_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The failure a Task returns when it parks its run: it is not a failure of the state (no
/// retry, no catch, no event), and the state loop parks the run on seeing `engine.task_wait`.
pub(crate) fn parked() -> Failure {
    Failure::runtime("parked")
}

/// Whether a Task that may park (`park`) parks now, waiting on `waiter` until `at`'s
/// deadline: nothing to read yet, and the deadline still ahead. If so, its wait is left for
/// the state loop (see `TaskWait`) and the `Err` to return is handed back; else the waiter.
pub(crate) fn park_now(
    engine: &Engine,
    park: bool,
    waiter: TokenWaiter,
    at: WaitAt,
) -> Result<TokenWaiter, Failure> {
    let now = engine.rec.clock().now_millis();
    if !park || !waiter.is_idle() || at.deadline().is_some_and(|d| d <= now) {
        return Ok(waiter);
    }
    *engine.task_wait.lock() = Some(Box::new(TaskWait {
        waiter,
        at,
        attempts: Box::default(),
        retry_count: 0,
        cursor: 0,
        input: Box::default(),
        span: None,
    }));
    Err(parked())
}

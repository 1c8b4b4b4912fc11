//! Standard executions in the data directory (`--data-dir`): one resource per execution
//! (`sfn/exec/<arn>`: what it runs and how it stands, rewritten only when its status changes)
//! and one item per history event (`sfn/hist/<arn>`, id = event id) appended as events are
//! recorded, plus the task tokens its Tasks waited on (`sfn/token/<arn>`, id = the last event
//! id when the token was issued). Everything goes through the group-commit writer; the record
//! lock is held while submitting, so the log sees an execution's changes in order.
//!
//! At start, a RUNNING execution resumes where its history says it was (see `resume_point`
//! and `crate::asl::interp::resume`), as a redrive does but without re-entering the state: a
//! Wait ends at its original deadline, a Task keeps the token it had (and a callback whose
//! request went out is not sent again), a Map or Parallel keeps its finished iterations and
//! branches and continues the running ones, variables and the execution's timeout carry on.

use super::records::RevisionRecord;
use super::store::{Execution, Revision};
use crate::asl::ast::StateMachine;
use crate::asl::interp::resume::{self, position, Position, Tokens};
use crate::asl::interp::StoredEvent;
use crate::asl::interp::{ExecutionRecord, HistoryEvent, RecordSink, Resume, SharedRecord, Status};
use crate::persist::{Durable, Loaded, Op};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

pub const EXEC_PREFIX: &str = "sfn/exec/";

pub fn hist_key(arn: &str) -> String {
    format!("sfn/hist/{arn}")
}

pub fn token_key(arn: &str) -> String {
    format!("sfn/token/{arn}")
}

/// One execution as the data directory keeps it.
#[derive(Serialize, Deserialize)]
pub struct StoredExecution {
    pub arn: String,
    pub mock_case: Option<String>,
    pub name: String,
    pub machine_arn: String,
    pub machine_name: String,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    pub input: String,
    pub trace_header: Option<String>,
    pub start_ms: u64,
    pub revision: RevisionRecord,
    pub machine_update_ms: Option<u64>,
    pub status: String,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub stop_ms: Option<u64>,
    pub redrive_count: u64,
    pub redrive_ms: Option<u64>,
    /// Where a redrive starts (state, input, variables), once a state failed.
    pub resume: Option<(String, Value, serde_json::Map<String, Value>)>,
}

/// The sink an execution's record writes through.
pub struct ExecSink {
    durable: Arc<Durable>,
    /// The parts that never change, serialised once (a `StoredExecution` without status).
    fixed: Value,
    arn: String,
}

impl ExecSink {
    pub fn new(durable: Arc<Durable>, execution: &Execution) -> Arc<Self> {
        let fixed = serde_json::to_value(stored(execution, &ExecutionRecord::default()))
            .unwrap_or(Value::Null);
        Arc::new(ExecSink {
            durable,
            fixed,
            arn: execution.arn.clone(),
        })
    }

    /// Deletes the execution (retention eviction, reset).
    pub fn forget(durable: &Durable, arn: &str) {
        durable.submit(vec![
            Op::DeleteResource(format!("{EXEC_PREFIX}{arn}")),
            Op::DeleteItems(hist_key(arn)),
            Op::DeleteItems(token_key(arn)),
        ]);
    }
}

impl std::fmt::Debug for ExecSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExecSink({})", self.arn)
    }
}

/// One execution in the state document: its record, its full history, and (running ones)
/// the task tokens its Tasks wait on, as `[event id, token]` (as the data directory keeps
/// them), so a loaded execution waits on the same token.
#[derive(Serialize, Deserialize)]
struct DocumentExecution {
    execution: StoredExecution,
    history: Vec<StoredEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tokens: Vec<(u64, String)>,
}

/// An execution as the state document holds it. `live` are the tokens tasks wait on now:
/// the task board does not say whose callback tokens are, so a running execution's are the
/// ones its history names (a callback passes `$$.Task.Token` in its parameters); `owned` are
/// its activity tokens, which the board does know.
pub fn export_execution(
    e: &Execution,
    live: &crate::asl::interp::callbacks::LiveTokens,
    owned: &[(u64, String)],
) -> Value {
    let record = e.record.lock();
    let mut tokens = Vec::new();
    if record.status == Status::Running {
        tokens.extend(owned.iter().cloned());
        // Issued at the Task's cursor, which the event that names it chains to.
        tokens.extend(live.named_in(&record.history, |token| {
            owned.iter().any(|(_, t)| t == token)
        }));
    }
    let doc = DocumentExecution {
        execution: stored(e, &record),
        history: record.history.iter().map(StoredEvent::of).collect(),
        tokens,
    };
    serde_json::to_value(doc).unwrap_or(Value::Null)
}

/// The executions of a state document's `stepfunctions.executions`, rebuilt (running ones
/// with where they resume).
pub fn import_executions(section: &Value) -> Result<Vec<Restored>, String> {
    let docs: Vec<DocumentExecution> = serde_json::from_value(section.clone())
        .map_err(|e| format!("stepfunctions.executions: {e}"))?;
    let mut revisions = Revisions::default();
    docs.into_iter()
        .map(|d| {
            let mut history: Vec<HistoryEvent> =
                d.history.into_iter().map(StoredEvent::into_event).collect();
            history.sort_by_key(|e| e.id);
            restore(d.execution, history, &d.tokens, &mut revisions)
        })
        .collect()
}

impl RecordSink for ExecSink {
    fn event(&self, e: &HistoryEvent) {
        if let Some(bytes) = crate::persist::row("a history event", &StoredEvent::of(e)) {
            self.durable
                .submit(vec![Op::PutItem(hist_key(&self.arn), e.id, bytes)]);
        }
    }

    fn token(&self, at_event: u64, token: &str) {
        self.durable.submit(vec![Op::PutItem(
            token_key(&self.arn),
            at_event,
            token.as_bytes().to_vec(),
        )]);
    }

    fn forgotten(&self) {
        Self::forget(&self.durable, &self.arn);
    }

    fn hold(&self) -> Option<crate::persist::Hold> {
        Some(self.durable.hold())
    }

    fn changed(&self, record: &ExecutionRecord) {
        let mut value = self.fixed.clone();
        if let Value::Object(map) = &mut value {
            let dynamic = dynamic_part(record);
            for (k, v) in dynamic {
                map.insert(k, v);
            }
        }
        if let Some(bytes) = crate::persist::row("an execution", &value) {
            self.durable.submit(vec![Op::PutResource(
                format!("{EXEC_PREFIX}{}", self.arn),
                bytes,
            )]);
        }
    }
}

/// The record's output as the value the data directory and the state document hold (the
/// record keeps its text; it was written by `to_string`, so it reads back).
fn output_value(r: &ExecutionRecord) -> Value {
    r.output_value().unwrap_or(Value::Null)
}

fn dynamic_part(r: &ExecutionRecord) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("status".into(), r.status.as_str().into());
    m.insert("output".into(), output_value(r));
    m.insert("error".into(), r.error.clone().into());
    m.insert("cause".into(), r.cause.clone().into());
    m.insert("stop_ms".into(), r.stop_ms.into());
    m.insert("redrive_count".into(), r.redrive_count.into());
    m.insert("redrive_ms".into(), r.redrive_ms.into());
    m.insert(
        "resume".into(),
        r.resume
            .as_ref()
            .map(|x| serde_json::json!([x.state, x.input, x.variables]))
            .unwrap_or(Value::Null),
    );
    m
}

pub fn stored(e: &Execution, r: &ExecutionRecord) -> StoredExecution {
    StoredExecution {
        arn: e.arn.clone(),
        mock_case: e.mock_case.clone(),
        name: e.name().to_string(),
        machine_arn: e.machine_arn(),
        machine_name: e.machine_name().to_string(),
        version_arn: e.version_arn.clone(),
        alias_arn: e.alias_arn.clone(),
        input: e.input.clone(),
        trace_header: e.trace_header.clone(),
        start_ms: e.start_ms,
        revision: super::records::export_revision(&e.revision),
        machine_update_ms: e.machine_update_ms,
        status: r.status.as_str().into(),
        output: Some(output_value(r)).filter(|o| !o.is_null()),
        error: r.error.clone(),
        cause: r.cause.clone(),
        stop_ms: r.stop_ms,
        redrive_count: r.redrive_count,
        redrive_ms: r.redrive_ms,
        resume: r
            .resume
            .as_ref()
            .map(|x| (x.state.clone(), x.input.clone(), x.variables.clone())),
    }
}

fn status_of(text: &str) -> Option<Status> {
    Some(match text {
        "RUNNING" => Status::Running,
        "SUCCEEDED" => Status::Succeeded,
        "FAILED" => Status::Failed,
        "TIMED_OUT" => Status::TimedOut,
        "ABORTED" => Status::Aborted,
        _ => return None,
    })
}

/// An execution read back, with what to resume it from if it was running.
pub struct Restored {
    pub account: String,
    pub region: String,
    pub execution: Arc<Execution>,
    pub resume: Option<Resume>,
}

/// Every execution the data directory holds.
pub fn load(loaded: &Loaded) -> Result<Vec<Restored>, String> {
    let mut events: HashMap<&str, Vec<HistoryEvent>> = HashMap::new();
    let mut tokens: HashMap<&str, Vec<(u64, String)>> = HashMap::new();
    for (parent, id, value) in &loaded.items {
        if let Some(arn) = parent.strip_prefix("sfn/hist/") {
            let e: StoredEvent = serde_json::from_slice(value)
                .map_err(|e| format!("execution {arn}: event {id}: {e}"))?;
            events.entry(arn).or_default().push(e.into_event());
        } else if let Some(arn) = parent.strip_prefix("sfn/token/") {
            tokens
                .entry(arn)
                .or_default()
                .push((*id, String::from_utf8_lossy(value).into_owned()));
        }
    }
    let mut out = Vec::new();
    let mut revisions = Revisions::default();
    for (arn, bytes) in loaded.resources_under(EXEC_PREFIX) {
        let s: StoredExecution =
            serde_json::from_slice(bytes).map_err(|e| format!("execution {arn}: {e}"))?;
        let mut history = events.remove(arn).unwrap_or_default();
        history.sort_by_key(|e| e.id);
        let tokens = tokens.remove(arn).unwrap_or_default();
        out.push(restore(s, history, &tokens, &mut revisions)?);
    }
    Ok(out)
}

/// The revisions executions read back run, by their record's JSON text: the executions of one
/// machine share one (as they do when started), instead of each keeping its own definition
/// and its parse (several KB an execution, and a parse each at start).
pub type Revisions = HashMap<String, Arc<Revision>>;

/// Rebuilds one execution; a RUNNING one comes with where it resumes.
pub fn restore(
    s: StoredExecution,
    history: Vec<HistoryEvent>,
    tokens: &[(u64, String)],
    revisions: &mut Revisions,
) -> Result<Restored, String> {
    let arn = crate::arn::Arn::parse(&s.arn).ok_or_else(|| format!("bad ARN {}", s.arn))?;
    let key =
        serde_json::to_string(&s.revision).map_err(|e| format!("execution {}: {e}", s.arn))?;
    let revision = match revisions.get(&key) {
        Some(revision) => revision.clone(),
        None => {
            let parsed = super::machines::parse_machine(&s.revision.definition, "STANDARD")
                .map_err(|e| format!("execution {}: {e}", s.arn))?;
            let revision = Arc::new(Revision {
                definition: s.revision.definition,
                parsed,
                role_arn: s.revision.role_arn,
                logging: s.revision.logging,
                tracing: s.revision.tracing,
                revision_id: s.revision.revision_id,
            });
            revisions.insert(key, revision.clone());
            revision
        }
    };
    let parsed = &revision.parsed;
    let status = status_of(&s.status).ok_or_else(|| format!("status {}", s.status))?;
    let mut record = ExecutionRecord::restored(history);
    record.status = status;
    record.output = s
        .output
        .filter(|o| !o.is_null())
        .map(|o| o.to_string().into());
    record.error = s.error;
    record.cause = s.cause;
    record.stop_ms = s.stop_ms;
    record.redrive_count = s.redrive_count;
    record.redrive_ms = s.redrive_ms;
    record.resume = s.resume.map(|(state, input, variables)| {
        Box::new(Resume {
            state,
            input,
            variables,
            restart: None,
            after_restart: false,
        })
    });
    let resume = if status == Status::Running {
        Some(
            resume_point(&record.history, parsed, tokens).unwrap_or_else(|| Resume {
                // Crashed before the first state was entered: start at the top.
                state: parsed.start_at.clone(),
                input: serde_json::from_str(&s.input).unwrap_or(Value::Null),
                variables: Default::default(),
                restart: None,
                after_restart: true,
            }),
        )
    } else {
        None
    };
    let record: SharedRecord = Arc::new(Mutex::new(record));
    let execution = Execution {
        arn: s.arn.clone(),
        mock_case: s.mock_case,
        version_arn: s.version_arn,
        alias_arn: s.alias_arn,
        input: s.input,
        trace_header: s.trace_header,
        start_ms: s.start_ms,
        revision,
        machine_update_ms: s.machine_update_ms,
        record,
        control: Mutex::new(Default::default()),
    };
    // Kept once, in the ARN: a document whose names say otherwise is not one stepyard wrote.
    if execution.name() != s.name
        || execution.machine_name() != s.machine_name
        || execution.machine_arn() != s.machine_arn
    {
        return Err(format!(
            "execution {}: its name or state machine does not match its ARN",
            s.arn
        ));
    }
    Ok(Restored {
        account: arn.account.to_string(),
        region: arn.region.to_string(),
        execution: Arc::new(execution),
        resume,
    })
}

/// Where a running execution continues (see `crate::asl::interp::resume`): inside the
/// top-level state it had entered and not left (a Map or Parallel with its finished branches
/// and iterations kept), or at the state after the last one it left, with the variables its
/// states assigned. `None` before any state was entered.
pub fn resume_point(
    history: &[HistoryEvent],
    machine: &StateMachine,
    tokens: &[(u64, String)],
) -> Option<Resume> {
    let tokens: Tokens = Arc::new(tokens.to_vec());
    let events: Vec<&HistoryEvent> = history.iter().collect();
    match position(&events, machine, &tokens) {
        Position::At(resume, _) => Some(resume),
        Position::Fresh => None,
        // Its last state ended and the execution did not: that state runs again.
        Position::Done(..) => {
            let entered = history.iter().rev().find(|e| {
                e.event_type().ends_with("StateEntered")
                    && e.details().is_some_and(|(_, d)| {
                        d.get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| machine.state(n).is_some())
                    })
            })?;
            let details = entered.details()?.1;
            let name = details.get("name")?.as_str()?;
            Some(Resume {
                state: name.to_string(),
                input: resume::json_member(entered, "input"),
                variables: Default::default(),
                restart: None,
                after_restart: true,
            })
        }
    }
}

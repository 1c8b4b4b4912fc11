//! How a state fails: the error/cause pair that Retry and Catch match, and the rules for
//! matching them (`States.ALL`, `States.TaskFailed`, terminal errors).

use crate::asl::errors::StatesError;
use serde_json::{Map, Value};

/// A failure travelling up from a state. `error`/`cause` are optional because a Fail state may
/// give neither; `from_child` marks a failure that a Parallel branch or Map iteration already
/// attributed to its own state, so the enclosing state does not prefix it again.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub error: Option<String>,
    pub cause: Option<String>,
    pub from_child: bool,
}

impl Failure {
    pub fn runtime(cause: impl Into<String>) -> Self {
        StatesError::runtime(cause).into()
    }

    pub fn name(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }

    /// The error output a Catch hands to its ResultPath: `{"Error", "Cause"}`.
    /// `{"Error": .., "Cause": ..}`, both always there (`null` when unset), as AWS hands a
    /// caught error to its Catch.
    pub fn to_object(&self) -> Value {
        let mut o = Map::new();
        o.insert("Error".into(), self.error.as_deref().into());
        o.insert("Cause".into(), self.cause.as_deref().into());
        Value::Object(o)
    }

    /// Adds AWS's "An error occurred while executing the state ..." preamble to a
    /// `States.Runtime` or `States.QueryEvaluationError` raised by the state itself, once: the failure is then marked as
    /// attributed, so enclosing Parallel/Map states pass it on unchanged.
    pub fn located(mut self, state: &str, entered_id: u64) -> Self {
        let own = matches!(
            self.name(),
            "States.Runtime" | "States.QueryEvaluationError"
        );
        if self.from_child || !own {
            self.from_child = true;
            return self;
        }
        self.from_child = true;
        let cause = self.cause.take().unwrap_or_default();
        self.cause = Some(format!(
            "An error occurred while executing the state '{state}' (entered at the event id #{entered_id}). {cause}"
        ));
        self
    }
}

impl From<StatesError> for Failure {
    fn from(e: StatesError) -> Self {
        Failure {
            error: Some(e.error),
            cause: Some(e.cause),
            from_child: false,
        }
    }
}

/// Errors no wildcard matches: neither `States.ALL` nor `States.TaskFailed` retries or
/// catches them (`States.DataLimitExceeded` only when named explicitly).
fn is_terminal(name: &str) -> bool {
    matches!(name, "States.Runtime" | "States.DataLimitExceeded")
}

/// Whether a Retrier's or Catcher's `ErrorEquals` covers `failure`. `States.TaskFailed`
/// covers whatever a Task raises except `States.Timeout`. `States.Runtime` is never retried
/// or caught: AWS documents it as always failing the execution.
pub(crate) fn error_matches(error_equals: &[String], failure: &Failure, from_task: bool) -> bool {
    let name = failure.name();
    if name == "States.Runtime" {
        return false;
    }
    error_equals.iter().any(|e| match e.as_str() {
        "States.ALL" => !is_terminal(name),
        "States.TaskFailed" if e != name => {
            from_task && name != "States.Timeout" && !is_terminal(name)
        }
        other => other == name,
    })
}

/// The `Catch` entry that takes `failure` once no retrier runs the state again.
pub(crate) fn catcher_for(state: &crate::asl::ast::State, failure: &Failure) -> Option<usize> {
    let from_task = matches!(state.kind, crate::asl::ast::StateKind::Task(_));
    state
        .catchers()
        .iter()
        .position(|c| error_matches(&c.error_equals, failure, from_task))
}

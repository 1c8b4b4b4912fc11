//! The one place the API meets the interpreter (`crate::asl::interp`): start an execution in
//! the background, run one to its end (StartSyncExecution), stop one.

use crate::asl::interp::{self, ExecutionControl, ExecutionSpec, Resume, SharedRecord};

/// A Standard execution's handle, kept with the execution for StopExecution. Empty between
/// the execution's insertion in the store and its start (see `executions::start`).
#[derive(Default)]
pub struct Control {
    running: Option<ExecutionControl>,
}

impl Control {
    /// Stops the execution if it still runs: the interpreter records ABORTED with
    /// `error`/`cause` and an `ExecutionAborted` event before this returns.
    pub fn stop(&self, error: Option<String>, cause: Option<String>) {
        if let Some(control) = &self.running {
            control.stop(error, cause);
        }
    }

    /// Reset: stop the task so nothing keeps running for a store that is gone.
    pub fn abandon(&self) {
        self.stop(None, None);
    }
}

/// Starts `spec` on its own task; `record` shows its progress.
pub fn start(spec: ExecutionSpec, record: SharedRecord) -> Control {
    Control {
        running: Some(interp::spawn(spec, record)),
    }
}

/// Runs a stopped or failed execution again from `resume` (RedriveExecution).
pub fn redrive(spec: ExecutionSpec, record: SharedRecord, resume: Resume) -> Control {
    Control {
        running: Some(interp::spawn_redrive(spec, record, resume)),
    }
}

/// Runs `spec` to its end on the caller's task; `record` then holds a terminal status.
pub async fn run_sync(spec: ExecutionSpec, record: SharedRecord) {
    interp::run_to_end(spec, record).await
}

/// Runs `spec` on its own task with no handle kept (Express executions from StartExecution).
/// Not `spawn`: dropping an `ExecutionControl` would stop the execution.
pub fn run_detached(spec: ExecutionSpec, record: SharedRecord) {
    let work = interp::execution_work(&spec, &spec.context);
    tokio::spawn(work.run(interp::run_to_end(spec, record)));
}

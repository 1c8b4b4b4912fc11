//! A message move task's record, as `Store::move_tasks` keeps it (the handlers and the worker
//! that moves the messages are in `move_tasks.rs`).

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Running,
    Completed,
    Cancelled,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Completed => "COMPLETED",
            Status::Cancelled => "CANCELLED",
            Status::Failed => "FAILED",
        }
    }
}

/// Also the task's record in the data directory (`sqs/move/<task id>`, see `move_tasks.rs`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MoveTask {
    pub handle: String,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub max_per_second: Option<i64>,
    pub status: Status,
    pub started_ms: u64,
    pub moved: u64,
    pub to_move: u64,
    pub failure_reason: Option<String>,
}

/// Task id -> task.
#[derive(Debug, Default)]
pub struct MoveTasks {
    pub tasks: HashMap<String, MoveTask>,
}

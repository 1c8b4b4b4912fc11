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

/// Every move task, by task id. Reached only through `Store::move_tasks`'s lock.
#[derive(Debug, Default)]
pub struct MoveTasks {
    tasks: HashMap<String, MoveTask>,
}

impl MoveTasks {
    pub fn get(&self, task_id: &str) -> Option<&MoveTask> {
        self.tasks.get(task_id)
    }

    pub fn get_mut(&mut self, task_id: &str) -> Option<&mut MoveTask> {
        self.tasks.get_mut(task_id)
    }

    pub fn insert(&mut self, task_id: String, task: MoveTask) {
        self.tasks.insert(task_id, task);
    }

    pub fn count(&self) -> usize {
        self.tasks.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &MoveTask)> {
        self.tasks.iter()
    }

    /// Forgets every task (a state document replaces them).
    pub fn clear(&mut self) {
        self.tasks.clear();
    }

    /// Whether a task from `source_arn` is still running (AWS allows one at a time).
    pub fn running_from(&self, source_arn: &str) -> bool {
        self.tasks
            .values()
            .any(|t| t.source_arn == source_arn && t.status == Status::Running)
    }

    /// The `max` most recently started tasks from `source_arn`, newest first.
    pub fn latest_from(&self, source_arn: &str, max: usize) -> Vec<&MoveTask> {
        let mut mine: Vec<&MoveTask> = self
            .tasks
            .values()
            .filter(|t| t.source_arn == source_arn)
            .collect();
        mine.sort_by_key(|t| std::cmp::Reverse(t.started_ms));
        mine.truncate(max);
        mine
    }
}

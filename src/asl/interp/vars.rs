//! Workflow variables (`Assign`, both query languages): one scope per run of a (nested)
//! state machine. A Parallel branch or inline Map iteration starts with a copy of the
//! enclosing scope whose names are read-only there; what it assigns stays in the branch.
//! Assignments are staged while a state runs and committed when its output is known, so
//! `Output` and every `Assign` value of a state see the variables as they were on entry.

use super::failure::Failure;
use crate::asl::errors::StatesError;
use parking_lot::Mutex;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::sync::Arc;

/// AWS's quotas: one variable's value, one state's `Assign`, and all of an execution's
/// variables together (UTF-8 bytes of the JSON text).
const MAX_VARIABLE_BYTES: usize = 256 * 1024;
const MAX_ASSIGN_BYTES: usize = 256 * 1024;
const MAX_TOTAL_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub(crate) struct Variables {
    all: Map<String, Value>,
    /// Names bound by enclosing scopes: readable here, but not assignable.
    outer: Arc<HashSet<String>>,
}

impl Variables {
    /// A top-level scope holding `values` (TestState's `variables`).
    pub fn with_values(values: Map<String, Value>) -> Variables {
        Variables {
            all: values,
            outer: Arc::default(),
        }
    }

    pub fn map(&self) -> &Map<String, Value> {
        &self.all
    }

    /// The scope a Parallel branch or Map iteration starts with.
    pub fn inner(&self) -> Variables {
        let mut outer: HashSet<String> = (*self.outer).clone();
        outer.extend(self.all.keys().cloned());
        Variables {
            all: self.all.clone(),
            outer: Arc::new(outer),
        }
    }

    /// Binds the values of one `Assign`, checking scope and size quotas.
    pub fn commit(&mut self, assigned: Map<String, Value>) -> Result<(), Failure> {
        let mut total = 0usize;
        for (name, value) in &assigned {
            if self.outer.contains(name) {
                return Err(StatesError::runtime(format!(
                    "Cannot bind a value to the variable '{name}': it belongs to an outer scope."
                ))
                .into());
            }
            let size = json_size(value);
            if size > MAX_VARIABLE_BYTES {
                return Err(StatesError::runtime(format!(
                    "The value assigned to the variable '{name}' is {size} bytes, over the limit of {MAX_VARIABLE_BYTES} bytes."
                ))
                .into());
            }
            total += size;
        }
        if total > MAX_ASSIGN_BYTES {
            return Err(StatesError::runtime(format!(
                "The values assigned by the Assign field total {total} bytes, over the limit of {MAX_ASSIGN_BYTES} bytes."
            ))
            .into());
        }
        for (name, value) in assigned {
            self.all.insert(name, value);
        }
        let stored: usize = self.all.values().map(json_size).sum();
        if stored > MAX_TOTAL_BYTES {
            return Err(StatesError::runtime(format!(
                "The variables of this execution total {stored} bytes, over the limit of {MAX_TOTAL_BYTES} bytes."
            ))
            .into());
        }
        Ok(())
    }
}

fn json_size(v: &Value) -> usize {
    serde_json::to_string(v).map_or(0, |s| s.len())
}

/// Assignments of the state now running, committed by the state loop once the state's output
/// is known (a failure discards them; a catcher's own `Assign` replaces them).
#[derive(Debug, Default)]
pub(crate) struct Staged(Mutex<Option<Map<String, Value>>>);

impl Staged {
    pub fn set(&self, values: Map<String, Value>) {
        *self.0.lock() = Some(values);
    }

    pub fn clear(&self) {
        *self.0.lock() = None;
    }

    pub fn take(&self) -> Option<Map<String, Value>> {
        self.0.lock().take()
    }
}

/// `assignedVariables` of a `...StateExited` event: each value as JSON text.
pub(crate) fn assigned_details(values: &Map<String, Value>) -> Value {
    Value::Object(
        values
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Value::String(serde_json::to_string(v).unwrap_or_default()),
                )
            })
            .collect(),
    )
}

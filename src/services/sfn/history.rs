//! GetExecutionHistory: the execution's recorded events, paginated, oldest or newest first,
//! with or without the execution data (inputs and outputs).

use super::errors::SfnError;
use super::executions::find_execution;
use super::pagination;
use super::{timestamp, Inner};
use crate::asl::interp::HistoryEvent;
use crate::request::RequestContext;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HistoryInput {
    execution_arn: String,
    max_results: Option<i64>,
    #[serde(default)]
    reverse_order: bool,
    next_token: Option<String>,
    include_execution_data: Option<bool>,
}

/// The members that carry execution data, left out when `includeExecutionData` is false.
const DATA_MEMBERS: [&str; 2] = ["input", "output"];

/// One event in GetExecutionHistory's shape.
pub fn event_json(event: &HistoryEvent, include_data: bool) -> Value {
    let mut out = json!({
        "timestamp": timestamp(event.timestamp_ms),
        "type": event.event_type,
        "id": event.id,
        "previousEventId": event.previous_event_id,
    });
    if let Some((member, mut details)) = event.details() {
        if !include_data {
            if let Value::Object(map) = &mut details {
                for key in DATA_MEMBERS {
                    map.remove(key);
                }
            }
        }
        out[member] = details;
    }
    out
}

pub fn get_execution_history(
    sfn: &Inner,
    ctx: &RequestContext,
    input: HistoryInput,
) -> Result<Value, SfnError> {
    let execution = find_execution(sfn, ctx, &input.execution_arn)?;
    let include_data = input.include_execution_data.unwrap_or(true);
    // Copy the events out so the record lock is not held while rendering.
    let mut events: Vec<HistoryEvent> = execution.record.lock().history.clone();
    if input.reverse_order {
        events.reverse();
    }
    let listing = format!("history:{}:{}", execution.arn, input.reverse_order);
    let (page, next) = pagination::page(
        &events,
        input.max_results,
        input.next_token.as_deref(),
        &listing,
    )?;
    let mut out = json!({
        "events": page.iter().map(|e| event_json(e, include_data)).collect::<Vec<_>>(),
    });
    if let Some(next) = next {
        out["nextToken"] = next.into();
    }
    Ok(out)
}

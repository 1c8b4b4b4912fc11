//! GetExecutionHistory: the execution's recorded events, paginated, oldest or newest first,
//! with or without the execution data (inputs and outputs).

use super::errors::SfnError;
use super::executions::find_execution;
use super::pagination;
use super::{seconds, Inner};
use crate::asl::interp::HistoryEvent;
use crate::protocol::Pairs;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// One event in GetExecutionHistory's shape: its details member is the one flattened pair.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EventOutput {
    timestamp: f64,
    #[serde(rename = "type")]
    event_type: String,
    id: u64,
    previous_event_id: u64,
    #[serde(flatten)]
    details: Pairs<String, Value>,
}

impl EventOutput {
    fn new(event: HistoryEvent, include_data: bool) -> Self {
        let details = event.details().map(|(member, mut details)| {
            if !include_data {
                if let Value::Object(map) = &mut details {
                    for key in DATA_MEMBERS {
                        map.remove(key);
                    }
                }
            }
            (member.to_string(), details)
        });
        EventOutput {
            timestamp: seconds(event.timestamp_ms),
            event_type: event.event_type().to_string(),
            id: event.id,
            previous_event_id: event.previous_event_id,
            details: Pairs(details.into_iter().collect()),
        }
    }
}

pub fn get_execution_history(
    sfn: &Inner,
    ctx: &RequestContext,
    input: HistoryInput,
) -> Result<Listed<EventOutput>, SfnError> {
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
    let events = page
        .into_iter()
        .map(|e| EventOutput::new(e, include_data))
        .collect();
    Ok(Listed::new("events", events, next).token_member("nextToken"))
}

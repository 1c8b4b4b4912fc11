//! What an execution reports when its status changes (it starts, ends, is stopped): a
//! snapshot of its record, which the [`TaskRunner`](super::TaskRunner) turns into AWS's
//! "Step Functions Execution Status Change" event.

use crate::asl::interp::{ExecutionRecord, Status};
use serde_json::Value;

/// What the event says about the execution; read from the context object and the record.
pub struct Snapshot {
    pub status: Status,
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub start_ms: u64,
    pub stop_ms: Option<u64>,
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub redrive_count: u64,
}

impl Snapshot {
    pub fn of(context: &Value, record: &ExecutionRecord, start_ms: u64) -> Snapshot {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        Snapshot {
            status: record.status,
            execution_arn: text(&context["Execution"]["Id"]),
            state_machine_arn: text(&context["StateMachine"]["Id"]),
            name: text(&context["Execution"]["Name"]),
            start_ms,
            stop_ms: record.stop_ms,
            input: context["Execution"]["Input"].to_string(),
            output: record.output.as_deref().map(str::to_string),
            error: record.error.clone(),
            cause: record.cause.clone(),
            redrive_count: record.redrive_count,
        }
    }

    /// As [`Snapshot::of`], from the context object's JSON text: only the members a snapshot
    /// names are read and the input is kept as the text it is there, where parsing the whole
    /// context (its input as a tree) cost an execution's end a few dozen allocations.
    pub fn of_text(context: &str, record: &ExecutionRecord) -> Snapshot {
        use serde::Deserialize;
        use std::borrow::Cow;
        #[derive(Deserialize)]
        struct Context<'a> {
            #[serde(rename = "Execution", borrow)]
            execution: Execution<'a>,
            #[serde(rename = "StateMachine", borrow)]
            machine: Machine<'a>,
        }
        #[derive(Deserialize)]
        struct Execution<'a> {
            #[serde(rename = "Id", borrow)]
            id: Cow<'a, str>,
            #[serde(rename = "Name", borrow)]
            name: Cow<'a, str>,
            #[serde(rename = "Input", borrow)]
            input: Option<&'a serde_json::value::RawValue>,
            #[serde(rename = "StartTime", borrow)]
            start: Cow<'a, str>,
        }
        #[derive(Deserialize)]
        struct Machine<'a> {
            #[serde(rename = "Id", borrow)]
            id: Cow<'a, str>,
        }
        let Ok(c) = serde_json::from_str::<Context>(context) else {
            // Not the shape stepyard writes: read it as any JSON.
            let context: Value = serde_json::from_str(context).unwrap_or(Value::Null);
            let start_ms = start_ms(context["Execution"]["StartTime"].as_str());
            return Snapshot::of(&context, record, start_ms);
        };
        Snapshot {
            status: record.status,
            execution_arn: c.execution.id.into_owned(),
            state_machine_arn: c.machine.id.into_owned(),
            name: c.execution.name.into_owned(),
            start_ms: start_ms(Some(&c.execution.start)),
            stop_ms: record.stop_ms,
            input: c
                .execution
                .input
                .map_or("null", |raw| raw.get())
                .to_string(),
            output: record.output.as_deref().map(str::to_string),
            error: record.error.clone(),
            cause: record.cause.clone(),
            redrive_count: record.redrive_count,
        }
    }
}

/// An execution's `StartTime` (RFC 3339) in epoch milliseconds; 0 when it is not one.
pub fn start_ms(start_time: Option<&str>) -> u64 {
    start_time
        .and_then(crate::time::parse_rfc3339_nanos)
        .map(|ns| (ns / 1_000_000) as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_snapshot_read_from_the_contexts_text_says_what_one_read_from_its_tree_does() {
        let record = ExecutionRecord {
            status: Status::Failed,
            stop_ms: Some(1_700_000_001_000),
            output: Some(json!({"ok": "\u{e9}"}).to_string().into()),
            error: Some("E".into()),
            cause: Some("why".into()),
            ..Default::default()
        };
        for input in [
            json!({"order": {"id": 42, "items": [1, 2.5, "x\"y"]}, "n": null}),
            json!("caf\u{e9} \u{1F600}"),
            json!(null),
        ] {
            let context = json!({
                "Execution": {
                    "Id": "arn:aws:states:us-east-1:000000000000:execution:m:r\u{e9}n",
                    "Input": input,
                    "Name": "r\u{e9}n \"quoted\"",
                    "RoleArn": "arn:aws:iam::000000000000:role/r",
                    "StartTime": "2023-11-14T22:13:20.123Z",
                    "RedriveCount": 0
                },
                "StateMachine": {"Id": "arn:aws:states:us-east-1:000000000000:stateMachine:m", "Name": "m"}
            });
            let tree = Snapshot::of(
                &context,
                &record,
                start_ms(context["Execution"]["StartTime"].as_str()),
            );
            for text in [
                context.to_string(),
                serde_json::to_string_pretty(&context).unwrap(),
            ] {
                let read = Snapshot::of_text(&text, &record);
                assert_eq!(read.execution_arn, tree.execution_arn);
                assert_eq!(read.state_machine_arn, tree.state_machine_arn);
                assert_eq!(read.name, tree.name);
                assert_eq!(read.start_ms, 1_700_000_000_123);
                assert_eq!(read.start_ms, tree.start_ms);
                assert_eq!(read.stop_ms, tree.stop_ms);
                assert_eq!(read.output, tree.output);
                assert_eq!(read.error, tree.error);
                assert_eq!(read.cause, tree.cause);
                assert_eq!(read.status, tree.status);
                // The input as the same JSON (the pretty text keeps its own spacing).
                let parsed: Value = serde_json::from_str(&read.input).unwrap();
                assert_eq!(parsed, serde_json::from_str::<Value>(&tree.input).unwrap());
                if !text.contains('\n') {
                    assert_eq!(read.input, tree.input);
                }
            }
        }
    }
}

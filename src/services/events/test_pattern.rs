//! TestEventPattern: the pattern compiled as PutRule compiles it, matched against the event.

use super::errors::EventsError;
use super::matcher::{self, Matcher};
use super::parse;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TestInput {
    event_pattern: String,
    event: String,
}

pub fn test_event_pattern(input: Value) -> Result<Value, EventsError> {
    let input: TestInput = parse(input)?;
    let matcher = Matcher::compile(&input.event_pattern)?;
    let event = matcher::test_event(&input.event)?;
    Ok(json!({"Result": matcher.matches(&event)}))
}

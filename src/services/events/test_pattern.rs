//! TestEventPattern: the pattern compiled as PutRule compiles it, matched against the event.

use super::errors::EventsError;
use super::matcher::{self, Matcher};
use super::Inner;
use crate::request::RequestContext;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestInput {
    event_pattern: String,
    event: String,
}

pub fn test_event_pattern(
    _: &Inner,
    _: &RequestContext,
    input: TestInput,
) -> Result<TestPatternOutput, EventsError> {
    let matcher = Matcher::compile(&input.event_pattern)?;
    let event = matcher::test_event(&input.event)?;
    Ok(TestPatternOutput {
        result: matcher.matches(&event),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TestPatternOutput {
    result: bool,
}

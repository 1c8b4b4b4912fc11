//! Partner event sources: they exist only where a SaaS partner has created one for an
//! account, and this server has no partners. So these operations answer as AWS does for an
//! account without any: lists are empty, a named source does not exist, deleting is a no-op,
//! and the partner-side calls are refused.

use super::errors::EventsError;
use super::{empty, parse};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NamedSource {
    name: Option<String>,
    event_source_name: Option<String>,
}

fn source_name(input: Value) -> Result<String, EventsError> {
    let named: NamedSource = parse(input)?;
    Ok(named.name.or(named.event_source_name).unwrap_or_default())
}

/// ActivateEventSource, DeactivateEventSource, DescribeEventSource.
pub fn event_source(input: Value) -> Result<Value, EventsError> {
    let name = source_name(input)?;
    Err(EventsError::not_found("Event source", &name))
}

/// DescribePartnerEventSource, ListPartnerEventSourceAccounts.
pub fn partner_event_source(input: Value) -> Result<Value, EventsError> {
    let name = source_name(input)?;
    Err(EventsError::not_found("Event source", &name))
}

/// Deleting a source that does not exist succeeds (the operation has no not-found error).
pub fn delete_partner_event_source(input: Value) -> Result<Value, EventsError> {
    source_name(input)?;
    Ok(empty())
}

pub fn list_event_sources(_input: Value) -> Result<Value, EventsError> {
    Ok(json!({"EventSources": []}))
}

pub fn list_partner_event_sources(_input: Value) -> Result<Value, EventsError> {
    Ok(json!({"PartnerEventSources": []}))
}

/// Only accounts registered as SaaS partners may create sources or put partner events.
fn not_a_partner() -> EventsError {
    EventsError::OperationDisabled(
        "This account is not registered as an Amazon EventBridge SaaS partner.".into(),
    )
}

pub fn create_partner_event_source(_input: Value) -> Result<Value, EventsError> {
    Err(not_a_partner())
}

pub fn put_partner_events(_input: Value) -> Result<Value, EventsError> {
    Err(not_a_partner())
}

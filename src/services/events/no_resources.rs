//! Partner event sources: they exist only where a SaaS partner has created one for an
//! account, and this server has no partners. So these operations answer as AWS does for an
//! account without any: lists are empty, a named source does not exist, deleting is a no-op,
//! and the partner-side calls are refused.

use super::errors::EventsError;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::Deserialize;

/// The source an operation names (`Name`, or `EventSourceName` for the partner accounts list).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NamedSource {
    name: Option<String>,
    event_source_name: Option<String>,
}

impl NamedSource {
    fn name(self) -> String {
        self.name.or(self.event_source_name).unwrap_or_default()
    }
}

/// An input whose members (already checked against the model) change nothing here.
#[derive(Deserialize)]
pub struct Unused {}

/// ActivateEventSource, DeactivateEventSource, DescribeEventSource.
pub fn event_source(
    _: &Inner,
    _: &RequestContext,
    input: NamedSource,
) -> Result<Empty, EventsError> {
    let name = input.name();
    Err(EventsError::not_found("Event source", &name))
}

/// DescribePartnerEventSource, ListPartnerEventSourceAccounts.
pub fn partner_event_source(
    _: &Inner,
    _: &RequestContext,
    input: NamedSource,
) -> Result<Empty, EventsError> {
    let name = input.name();
    Err(EventsError::not_found("Event source", &name))
}

/// Deleting a source that does not exist succeeds (the operation has no not-found error).
pub fn delete_partner_event_source(
    _: &Inner,
    _: &RequestContext,
    _: NamedSource,
) -> Result<Empty, EventsError> {
    Ok(empty())
}

pub fn list_event_sources(
    _: &Inner,
    _: &RequestContext,
    _: Unused,
) -> Result<Listed<Empty>, EventsError> {
    Ok(Listed::new("EventSources", Vec::new(), None))
}

pub fn list_partner_event_sources(
    _: &Inner,
    _: &RequestContext,
    _: Unused,
) -> Result<Listed<Empty>, EventsError> {
    Ok(Listed::new("PartnerEventSources", Vec::new(), None))
}

/// Only accounts registered as SaaS partners may create sources or put partner events.
fn not_a_partner() -> EventsError {
    EventsError::OperationDisabled(
        "This account is not registered as an Amazon EventBridge SaaS partner.".into(),
    )
}

pub fn create_partner_event_source(
    _: &Inner,
    _: &RequestContext,
    _: Unused,
) -> Result<Empty, EventsError> {
    Err(not_a_partner())
}

pub fn put_partner_events(_: &Inner, _: &RequestContext, _: Unused) -> Result<Empty, EventsError> {
    Err(not_a_partner())
}

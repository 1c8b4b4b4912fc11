//! PutEvents: AWS's checks per entry (a failed entry gets ErrorCode/ErrorMessage, the others
//! still go), the size limit for the whole request, and hand-off to delivery. An entry for a
//! bus that does not exist is accepted and goes nowhere, as AWS does.

use super::arn;
use super::delivery;
use super::errors::EventsError;
use super::event::{Envelope, NewEvent};
use super::Inner;
use crate::model::ViolationKind;
use crate::request::RequestContext;
use crate::services::validation::coral_single;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// 256 KB for all entries together, counted as AWS counts them.
const MAX_REQUEST_BYTES: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutEventsInput {
    entries: Vec<EntryIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EntryIn {
    time: Option<f64>,
    source: Option<String>,
    resources: Option<Vec<String>>,
    detail_type: Option<String>,
    detail: Option<String>,
    event_bus_name: Option<String>,
    trace_header: Option<String>,
}

impl EntryIn {
    /// AWS's entry size: 14 bytes for a time, plus the UTF-8 length of each text field.
    fn size(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, |s| s.len());
        let resources: usize = self.resources.iter().flatten().map(String::len).sum();
        self.time.map_or(0, |_| 14)
            + text(&self.source)
            + text(&self.detail_type)
            + text(&self.detail)
            + resources
    }
}

/// Why one entry was refused: (ErrorCode, ErrorMessage).
type EntryError = (&'static str, String);

fn required(field: &str) -> EntryError {
    (
        "InvalidArgument",
        format!("Parameter {field} is not valid. Reason: {field} is a required argument."),
    )
}

pub fn put_events(
    ev: &Arc<Inner>,
    ctx: &RequestContext,
    input: PutEventsInput,
) -> Result<PutEventsOutput, EventsError> {
    if input.entries.is_empty() {
        return Err(EventsError::validation(coral_single(
            "entries",
            ViolationKind::TooShort { min: 1 },
            Some(Value::Array(vec![])),
        )));
    }
    let total: usize = input.entries.iter().map(EntryIn::size).sum();
    if total > MAX_REQUEST_BYTES {
        return Err(EventsError::validation(
            "Total size of the entries in the request is over the limit.",
        ));
    }
    let now = ev.now();
    let mut failed = 0;
    let mut results = Vec::with_capacity(input.entries.len());
    for entry in input.entries {
        results.push(match accept(ev, ctx, entry, now) {
            Ok(id) => ResultEntry {
                event_id: Some(id),
                ..ResultEntry::default()
            },
            Err((code, message)) => {
                failed += 1;
                ResultEntry {
                    error_code: Some(code),
                    error_message: Some(message),
                    ..ResultEntry::default()
                }
            }
        });
    }
    Ok(PutEventsOutput {
        failed_entry_count: failed,
        entries: results,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutEventsOutput {
    failed_entry_count: usize,
    entries: Vec<ResultEntry>,
}

/// A `PutEventsResultEntry`: the event id, or the error code and message of a failed entry.
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ResultEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
}

/// The first second RFC 3339 cannot write (year 10000).
const END_OF_RFC3339_SECS: f64 = 253_402_300_800.0;

/// An entry's `Time` (epoch seconds) as the event's time in ms. The event carries it as an
/// RFC 3339 `time`, so a value RFC 3339 cannot write (before 1970 here, or from year 10000 on,
/// `1e300`, NaN) fails this entry with `InvalidArgument` rather than being replaced by the
/// clock or wrapped into a wrong date: the AWS reference documents `Time` only as "per
/// RFC3339" and lists `InvalidArgument` as the code for a parameter that is not valid.
fn event_time_ms(secs: f64) -> Result<u64, EntryError> {
    if secs.is_finite() && (0.0..END_OF_RFC3339_SECS).contains(&secs) {
        return Ok((secs * 1000.0) as u64);
    }
    Err((
        "InvalidArgument",
        "Parameter Time is not valid. Reason: Time must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z.".into(),
    ))
}

/// Checks one entry and publishes it; the event id on success.
fn accept(
    ev: &Arc<Inner>,
    ctx: &RequestContext,
    entry: EntryIn,
    now: u64,
) -> Result<String, EntryError> {
    // An empty string counts as missing, checked in AWS's order.
    let present = |field: Option<String>, name| {
        field
            .filter(|s| !s.is_empty())
            .ok_or_else(|| required(name))
    };
    let source = present(entry.source, "Source")?;
    let detail_type = present(entry.detail_type, "DetailType")?;
    let detail_text = present(entry.detail, "Detail")?;
    let detail = match serde_json::from_str::<Value>(&detail_text) {
        Ok(object @ Value::Object(_)) => object,
        _ => return Err(("MalformedDetail", "Detail is malformed.".into())),
    };
    if source.starts_with("aws.") && !ctx.aws_service {
        return Err((
            "NotAuthorizedForSourceException",
            "Not authorized for the source.".into(),
        ));
    }
    let time_ms = match entry.time {
        None => now,
        Some(secs) => event_time_ms(secs)?,
    };
    // A bus ARN may name another account or region (cross-account delivery).
    let target_bus = entry.event_bus_name.as_deref();
    let (account, region) = match target_bus.and_then(arn::parse_bus_arn) {
        Some((account, region, _)) => (account, region),
        None => (ctx.account_id.clone(), ctx.region.clone()),
    };
    let bus = arn::bus_name(target_bus);
    let id = uuid::Uuid::new_v4().to_string();
    let event = NewEvent {
        account: &ctx.account_id,
        region: &ctx.region,
        source: &source,
        detail_type: &detail_type,
        detail,
        resources: entry.resources.unwrap_or_default(),
        time_ms,
    }
    .into_json(&id);
    delivery::publish(
        ev,
        &account,
        &region,
        &bus,
        Envelope {
            event,
            // An entry's own X-Ray header names the trace its deliveries join.
            trace: ctx.trace.adopting(entry.trace_header.as_deref()),
            trace_header: entry.trace_header,
            ingestion_ms: now,
            replay: None,
            from_bus: false,
        },
    );
    Ok(id)
}

//! The span of an API call and the resource it names, from the call's `RequestContext`
//! (the dispatch path records one per call).

use super::{Attr, Resource, Span};
use crate::request::RequestContext;
use serde_json::Value;
use std::borrow::Cow;

/// Records the span of an API call `ctx` made: `service.operation` on `resource`, from
/// `start_us` until now.
pub fn record_call(
    ctx: &RequestContext,
    service: crate::request::ServiceId,
    operation: &str,
    resource: Option<String>,
    start_us: u64,
    result: &Result<Value, crate::error::ApiError>,
) {
    let tracer = &ctx.tracer;
    // The model's own copy of the name lives as long as the program: no copy per call.
    let name: Cow<'static, str> = match service.model().operation(operation) {
        Some(op) => Cow::Borrowed(op.name.as_str()),
        None => Cow::Owned(operation.to_string()),
    };
    let mut span = Span::new(&ctx.trace, service.name(), name, tracer.now_us())
        .started(start_us)
        .error(result.is_err());
    span.resource = resource.map(Resource::Owned);
    match result {
        Ok(Value::Object(output)) => {
            // One pass over the (few) output members rather than a lookup per name we keep.
            for (key, value) in output {
                match key.as_str() {
                    "Entries" => entry_attributes(value, &mut span),
                    _ => {
                        if let (Some(name), Some(text)) = (
                            OUTPUT_MEMBERS.iter().find(|m| **m == key.as_str()),
                            value.as_str(),
                        ) {
                            // A message id is kept as its 16 bytes (no copy of the text).
                            let value = if *name == "MessageId" {
                                Attr::id(text)
                            } else {
                                Attr::Json(Value::from(text))
                            };
                            span.attributes.push((name, value));
                        }
                    }
                }
            }
        }
        Ok(_) => {}
        Err(e) => {
            span.attributes
                .push(("errorCode", Attr::Json(Value::from(e.code.as_ref()))));
            span.attributes
                .push(("errorMessage", Attr::Json(Value::from(e.message.as_str()))));
        }
    }
    tracer.record(span);
}

/// PutEvents' (and the batch calls') entries: the event ids, and the error codes of the
/// entries that failed (which make the span an error).
fn entry_attributes(entries: &Value, span: &mut Span) {
    let Some(entries) = entries.as_array() else {
        return;
    };
    let ids = entries.iter().filter_map(|e| e.get("EventId"));
    // Event ids (UUIDs stepyard wrote) kept as their bytes: one allocation for them all.
    let typed: Option<Box<[uuid::Uuid]>> = ids
        .clone()
        .map(|id| id.as_str().and_then(super::canonical_uuid))
        .collect();
    match typed {
        Some(typed) if typed.is_empty() => {}
        Some(typed) => span.attributes.push(("eventIds", Attr::Uuids(typed))),
        None => span
            .attributes
            .push(("eventIds", Attr::Json(Value::Array(ids.cloned().collect())))),
    }
    if entries.iter().any(|e| e.get("ErrorCode").is_some()) {
        let failed: Vec<Value> = entries
            .iter()
            .filter_map(|e| e.get("ErrorCode").cloned())
            .collect();
        span.error = true;
        span.attributes
            .push(("errorCodes", Attr::Json(Value::Array(failed))));
    }
}

/// Output members that name what a call created, kept on its span.
const OUTPUT_MEMBERS: &[&str] = &[
    "MessageId",
    "SequenceNumber",
    "executionArn",
    "stateMachineArn",
    "QueueUrl",
    "TopicArn",
    "SubscriptionArn",
    "RuleArn",
    "EventBusArn",
];

/// Members that name the resource a request acts on, in the order they are looked for.
const RESOURCE_MEMBERS: &[&str] = &[
    "QueueUrl",
    "TopicArn",
    "SubscriptionArn",
    "TargetArn",
    "stateMachineArn",
    "executionArn",
    "activityArn",
    "mapRunArn",
    "QueueName",
    "EventBusName",
    "Rule",
    "ResourceArn",
    "resourceArn",
    "Name",
    "name",
];

/// The resource a call's input names, as an ARN where one can be told (queue URLs become
/// queue ARNs; PutEvents names its first entry's bus). One pass over the input's (few)
/// members, rather than a hash lookup for each member it could have; the ARN is put together
/// without the formatting machinery (this runs for every traced call).
pub fn resource_of(input: &Value, ctx: &RequestContext) -> Option<String> {
    let object = input.as_object()?;
    let mut queue_url: Option<&Value> = None;
    let mut entries: Option<&Value> = None;
    let mut rule = false;
    // The member of RESOURCE_MEMBERS that comes first in that list, among the text ones.
    let mut named: Option<(usize, &str)> = None;
    for (key, value) in object {
        match key.as_str() {
            "QueueUrl" => queue_url = Some(value),
            "Entries" => entries = Some(value),
            "Rule" => rule = true,
            _ => {}
        }
        if let (Some(rank), Some(text)) = (
            RESOURCE_MEMBERS.iter().position(|m| *m == key.as_str()),
            value.as_str(),
        ) {
            if named.is_none_or(|(best, _)| rank < best) {
                named = Some((rank, text));
            }
        }
    }
    if let Some(url) = queue_url.and_then(Value::as_str) {
        return Some(queue_arn(url, &ctx.region).unwrap_or_else(|| url.to_string()));
    }
    if let (Some(entries), false, None) = (entries.and_then(Value::as_array), rule, queue_url) {
        let bus = entries
            .first()
            .and_then(|e| e.get("EventBusName"))
            .and_then(Value::as_str)
            .unwrap_or("default");
        if bus.starts_with("arn:") {
            return Some(bus.to_string());
        }
        return Some(
            [
                "arn:aws:events:",
                ctx.region.as_str(),
                ":",
                ctx.account_id.as_str(),
                ":event-bus/",
                bus,
            ]
            .concat(),
        );
    }
    named.map(|(_, text)| text.to_string())
}

/// `http://host/<account>/<name>` -> `arn:aws:sqs:<region>:<account>:<name>`.
pub fn queue_arn(url: &str, region: &str) -> Option<String> {
    let path = url
        .as_bytes()
        .windows(3)
        .position(|w| w == b"://")
        .map_or(url, |at| &url[at + 3..]);
    let mut parts = path.split('/').skip(1);
    let account = parts.next()?;
    let name = parts.next()?;
    if account.is_empty() || name.is_empty() {
        return None;
    }
    Some(["arn:aws:sqs:", region, ":", account, ":", name].concat())
}

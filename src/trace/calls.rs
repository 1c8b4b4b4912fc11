//! The span of an API call and the resource it names, from the call's `RequestContext`
//! (the dispatch path records one per call).

use super::Span;
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
    span.resource = resource;
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
                            span.attributes.push((name, Value::from(text)));
                        }
                    }
                }
            }
        }
        Ok(_) => {}
        Err(e) => {
            span.attributes
                .push(("errorCode", Value::from(e.code.as_ref())));
            span.attributes
                .push(("errorMessage", Value::from(e.message.as_str())));
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
    let ids: Vec<Value> = entries
        .iter()
        .filter_map(|e| e.get("EventId").cloned())
        .collect();
    if !ids.is_empty() {
        span.attributes.push(("eventIds", Value::Array(ids)));
    }
    let failed: Vec<Value> = entries
        .iter()
        .filter_map(|e| e.get("ErrorCode").cloned())
        .collect();
    if !failed.is_empty() {
        span.error = true;
        span.attributes.push(("errorCodes", Value::Array(failed)));
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
/// queue ARNs; PutEvents names its first entry's bus).
pub fn resource_of(input: &Value, ctx: &RequestContext) -> Option<String> {
    if let Some(url) = input.get("QueueUrl").and_then(Value::as_str) {
        return Some(queue_arn(url, &ctx.region).unwrap_or_else(|| url.to_string()));
    }
    if let Some(entries) = input.get("Entries").and_then(Value::as_array) {
        if input.get("Rule").is_none() && input.get("QueueUrl").is_none() {
            let bus = entries
                .first()
                .and_then(|e| e.get("EventBusName"))
                .and_then(Value::as_str)
                .unwrap_or("default");
            if bus.starts_with("arn:") {
                return Some(bus.to_string());
            }
            return Some(format!(
                "arn:aws:events:{}:{}:event-bus/{bus}",
                ctx.region, ctx.account_id
            ));
        }
    }
    RESOURCE_MEMBERS
        .iter()
        .find_map(|member| input.get(member)?.as_str())
        .map(str::to_string)
}

/// `http://host/<account>/<name>` -> `arn:aws:sqs:<region>:<account>:<name>`.
pub fn queue_arn(url: &str, region: &str) -> Option<String> {
    let path = url.split("://").nth(1).unwrap_or(url);
    let mut parts = path.split('/').skip(1);
    let account = parts.next()?;
    let name = parts.next()?;
    if account.is_empty() || name.is_empty() {
        return None;
    }
    Some(format!("arn:aws:sqs:{region}:{account}:{name}"))
}

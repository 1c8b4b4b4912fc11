//! The span of an API call and the resource it names, from the call's `RequestContext`
//! (the dispatch path records one per call).

use super::{Attr, Resource, Span};
use crate::request::RequestContext;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

/// Records the span of an API call `ctx` made: `service.operation` on `resource`, from
/// `start_us` until now. `result` is the output's JSON text, or the error.
pub fn record_call(
    ctx: &RequestContext,
    service: crate::request::ServiceId,
    operation: &str,
    resource: Option<Resource>,
    start_us: u64,
    result: Result<&[u8], &crate::error::ApiError>,
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
        Ok(text) => {
            // Only the members kept are read; the text is borrowed, the rest skipped.
            if let Ok(seen) = serde_json::from_slice::<Seen>(text) {
                seen.attributes(&mut span);
            }
        }
        Err(e) => {
            span.attributes
                .push(("errorCode", Attr::Json(Value::from(e.code.as_ref()))));
            span.attributes
                .push(("errorMessage", Attr::Json(Value::from(e.message.as_str()))));
        }
    }
    tracer.record(span);
}

/// The output members that name what a call created (kept on its span), and PutEvents' (and
/// the batch calls') entries, read from the output's JSON text.
#[derive(Deserialize)]
struct Seen<'a> {
    #[serde(rename = "MessageId", borrow)]
    message_id: Option<Cow<'a, str>>,
    #[serde(rename = "SequenceNumber", borrow)]
    sequence_number: Option<Cow<'a, str>>,
    #[serde(rename = "executionArn", borrow)]
    execution_arn: Option<Cow<'a, str>>,
    #[serde(rename = "stateMachineArn", borrow)]
    state_machine_arn: Option<Cow<'a, str>>,
    #[serde(rename = "QueueUrl", borrow)]
    queue_url: Option<Cow<'a, str>>,
    #[serde(rename = "TopicArn", borrow)]
    topic_arn: Option<Cow<'a, str>>,
    #[serde(rename = "SubscriptionArn", borrow)]
    subscription_arn: Option<Cow<'a, str>>,
    #[serde(rename = "RuleArn", borrow)]
    rule_arn: Option<Cow<'a, str>>,
    #[serde(rename = "EventBusArn", borrow)]
    event_bus_arn: Option<Cow<'a, str>>,
    #[serde(rename = "Entries", borrow)]
    entries: Option<Vec<SeenEntry<'a>>>,
}

#[derive(Deserialize)]
struct SeenEntry<'a> {
    #[serde(rename = "EventId", borrow)]
    event_id: Option<Cow<'a, str>>,
    #[serde(rename = "ErrorCode", borrow)]
    error_code: Option<Cow<'a, str>>,
}

impl Seen<'_> {
    fn attributes(self, span: &mut Span) {
        // A message id is kept as its 16 bytes (no copy of the text).
        if let Some(id) = &self.message_id {
            span.attributes.push(("MessageId", Attr::id(id)));
        }
        let texts = [
            ("SequenceNumber", self.sequence_number),
            ("executionArn", self.execution_arn),
            ("stateMachineArn", self.state_machine_arn),
            ("QueueUrl", self.queue_url),
            ("TopicArn", self.topic_arn),
            ("SubscriptionArn", self.subscription_arn),
            ("RuleArn", self.rule_arn),
            ("EventBusArn", self.event_bus_arn),
        ];
        for (name, text) in texts {
            if let Some(text) = text {
                span.attributes
                    .push((name, Attr::Json(Value::from(text.into_owned()))));
            }
        }
        if let Some(entries) = self.entries {
            entry_attributes(entries, span);
        }
    }
}

/// The event ids of the entries, and the error codes of those that failed (which make the
/// span an error).
fn entry_attributes(entries: Vec<SeenEntry<'_>>, span: &mut Span) {
    let mut ids: Vec<uuid::Uuid> = Vec::with_capacity(entries.len());
    let mut all_typed = true;
    let mut failed = false;
    for entry in &entries {
        match entry.event_id.as_deref().map(super::canonical_uuid) {
            Some(Some(id)) if all_typed => ids.push(id),
            Some(_) => all_typed = false,
            None => {}
        }
        failed |= entry.error_code.is_some();
    }
    // Event ids (UUIDs stepyard wrote) kept as their bytes: one allocation for them all.
    if !all_typed {
        let ids = entries
            .iter()
            .filter_map(|e| Some(Value::from(e.event_id.as_deref()?)));
        span.attributes
            .push(("eventIds", Attr::Json(Value::Array(ids.collect()))));
    } else if !ids.is_empty() {
        span.attributes
            .push(("eventIds", Attr::Uuids(ids.into_boxed_slice())));
    }
    if failed {
        let failed: Vec<Value> = entries
            .iter()
            .filter_map(|e| Some(Value::from(e.error_code.as_deref()?)))
            .collect();
        span.error = true;
        span.attributes
            .push(("errorCodes", Attr::Json(Value::Array(failed))));
    }
}

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
/// queue ARNs; PutEvents names its first entry's bus). The hot calls (a queue's, PutEvents)
/// are told by one pass over the input's few members rather than a hash lookup per member,
/// and their ARN is shared with the calls before that named it (this runs for every traced
/// call).
pub fn resource_of(input: &Value, ctx: &RequestContext) -> Option<Resource> {
    let object = input.as_object()?;
    let mut queue_url: Option<&Value> = None;
    let mut entries: Option<&Value> = None;
    let mut rule = false;
    for (key, value) in object {
        match key.as_str() {
            "QueueUrl" => queue_url = Some(value),
            "Entries" => entries = Some(value),
            "Rule" => rule = true,
            _ => {}
        }
    }
    if let Some(url) = queue_url.and_then(Value::as_str) {
        return Some(match queue_arn_parts(url) {
            Some((account, name)) => {
                shared(&["arn:aws:sqs:", &ctx.region, ":", account, ":", name])
            }
            None => shared(&[url]),
        });
    }
    if let (Some(entries), false, None) = (entries.and_then(Value::as_array), rule, queue_url) {
        let bus = entries
            .first()
            .and_then(|e| e.get("EventBusName"))
            .and_then(Value::as_str)
            .unwrap_or("default");
        if bus.starts_with("arn:") {
            return Some(shared(&[bus]));
        }
        return Some(shared(&[
            "arn:aws:events:",
            &ctx.region,
            ":",
            &ctx.account_id,
            ":event-bus/",
            bus,
        ]));
    }
    // Any other call: the first of the members that name a resource it has, as text (its
    // own copy: these are not the calls that repeat, and would push the hot names out).
    RESOURCE_MEMBERS
        .iter()
        .find_map(|member| object.get(*member)?.as_str())
        .map(|text| Resource::Owned(text.to_string()))
}

/// How many resource names each thread keeps to hand out again.
const RECENT: usize = 8;

thread_local! {
    /// The names this thread's recent calls acted on, with where the next one goes: a client
    /// calls the same few queues and buses over and over, so their spans share one copy of
    /// each name (an `Arc` clone) rather than each allocating its own, which the ring would
    /// then hold for a thousand traces.
    static RECENT_RESOURCES: RefCell<([Option<Arc<str>>; RECENT], usize)> =
        const { RefCell::new(([const { None }; RECENT], 0)) };
}

/// The name spelled by `pieces` one after the other, shared with the calls before that named
/// it (compared piece by piece: nothing is put together unless it is new).
fn shared(pieces: &[&str]) -> Resource {
    let len: usize = pieces.iter().map(|p| p.len()).sum();
    let spells = |name: &str| {
        name.len() == len && {
            let mut rest = name;
            pieces.iter().all(|piece| match rest.strip_prefix(piece) {
                Some(after) => {
                    rest = after;
                    true
                }
                None => false,
            })
        }
    };
    RECENT_RESOURCES.with(|recent| {
        // Only this thread touches its cache, and nothing here calls out: the borrow cannot
        // be taken twice.
        let mut recent = recent.borrow_mut();
        let (names, next) = &mut *recent;
        if let Some(name) = names.iter().flatten().find(|n| spells(n)) {
            return Resource::Shared(name.clone());
        }
        let name: Arc<str> = Arc::from(pieces.concat());
        names[*next] = Some(name.clone());
        *next = (*next + 1) % RECENT;
        Resource::Shared(name)
    })
}

/// The account and queue name of a queue URL `http://host/<account>/<name>` (its ARN is
/// `arn:aws:sqs:<region>:<account>:<name>`).
fn queue_arn_parts(url: &str) -> Option<(&str, &str)> {
    let path = url
        .as_bytes()
        .windows(3)
        .position(|w| w == b"://")
        .map_or(url, |at| &url[at + 3..]);
    // host/account/name[/...], split by hand (a byte loop; no searcher to set up per call).
    let slash = |text: &str| text.bytes().position(|b| b == b'/');
    let rest = &path[slash(path)? + 1..];
    let (account, rest) = match slash(rest) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => return None,
    };
    let name = slash(rest).map_or(rest, |at| &rest[..at]);
    if account.is_empty() || name.is_empty() {
        return None;
    }
    Some((account, name))
}

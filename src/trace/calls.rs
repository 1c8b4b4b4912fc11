//! The span of an API call and the resource it names, from the call's `RequestContext`
//! (the dispatch path records one per call).

use super::{Attr, Span, Text};
use crate::request::RequestContext;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

/// What a call answered, as its span reads it.
pub enum Answer<'a> {
    /// The output's JSON text (a client's call: the text it is sent).
    Text(&'a [u8]),
    /// The output as the `Value` an in-process caller reads.
    Value(&'a Value),
    /// The text members of a typed output, read from it unwritten (see `capture`), in
    /// [`TEXT_MEMBERS`]' order.
    Members(Members),
    /// An output with no member the span keeps (see [`output_has_seen_members`]): not read.
    Unread,
    Error(&'a crate::error::ApiError),
}

/// Records the span of an API call `ctx` made: operation `name` of `service` on `resource`,
/// from `start_us` until now, with what it answered.
pub fn record_call(
    ctx: &RequestContext,
    service: crate::request::ServiceId,
    name: Cow<'static, str>,
    resource: Option<Text>,
    start_us: u64,
    answer: Answer<'_>,
) {
    let tracer = &ctx.tracer;
    let mut span = Span::new(&ctx.trace, service.name(), name, tracer.now_us())
        .started(start_us)
        .error(matches!(answer, Answer::Error(_)));
    span.resource = resource;
    // Only the members kept are read; the text (or value) is borrowed, the rest skipped.
    match answer {
        Answer::Text(text) => {
            if let Ok(seen) = serde_json::from_slice::<Seen>(text) {
                seen.attributes(&mut span);
            }
        }
        Answer::Value(value) => {
            if let Ok(seen) = Seen::deserialize(value) {
                seen.attributes(&mut span);
            }
        }
        Answer::Members(members) => push_texts(
            &mut span,
            TEXT_MEMBERS
                .into_iter()
                .zip(members.into_iter().map(|m| m.map(Cow::Owned))),
        ),
        Answer::Unread => {}
        Answer::Error(e) => {
            span.attributes
                .push(("errorCode", Attr::Owned(e.code.to_string())));
            span.attributes
                .push(("errorMessage", Attr::Owned(e.message.clone())));
        }
    }
    tracer.record(span);
}

/// A member's text, borrowed from the output when it has no escapes. (A `Cow` directly in a
/// field is borrowed by serde; inside an `Option` it would be copied every time.)
#[derive(Deserialize)]
struct Member<'a>(#[serde(borrow)] Cow<'a, str>);

/// The output members that name what a call created (kept on its span), and PutEvents' (and
/// the batch calls') entries, read from the output's JSON text.
#[derive(Deserialize)]
struct Seen<'a> {
    #[serde(rename = "MessageId", borrow)]
    message_id: Option<Member<'a>>,
    #[serde(rename = "SequenceNumber", borrow)]
    sequence_number: Option<Member<'a>>,
    #[serde(rename = "executionArn", borrow)]
    execution_arn: Option<Member<'a>>,
    #[serde(rename = "stateMachineArn", borrow)]
    state_machine_arn: Option<Member<'a>>,
    #[serde(rename = "QueueUrl", borrow)]
    queue_url: Option<Member<'a>>,
    #[serde(rename = "TopicArn", borrow)]
    topic_arn: Option<Member<'a>>,
    #[serde(rename = "SubscriptionArn", borrow)]
    subscription_arn: Option<Member<'a>>,
    #[serde(rename = "RuleArn", borrow)]
    rule_arn: Option<Member<'a>>,
    #[serde(rename = "EventBusArn", borrow)]
    event_bus_arn: Option<Member<'a>>,
    #[serde(rename = "Entries")]
    entries: Option<Entries>,
}

#[derive(Deserialize)]
struct SeenEntry<'a> {
    #[serde(rename = "EventId", borrow)]
    event_id: Option<Member<'a>>,
    #[serde(rename = "ErrorCode", borrow)]
    error_code: Option<Member<'a>>,
}

pub use super::capture::{members_of, Members, TEXT_MEMBERS};

/// Keeps the text members found on `span`.
fn push_texts<'a>(
    span: &mut Span,
    texts: impl IntoIterator<Item = (&'static str, Option<Cow<'a, str>>)>,
) {
    for (name, text) in texts {
        let Some(text) = text else { continue };
        let value = match name {
            // A message id is kept as its 16 bytes (no copy of the text).
            "MessageId" => Attr::id(&text),
            _ => Attr::Owned(text.into_owned()),
        };
        span.attributes.push((name, value));
    }
}

impl Seen<'_> {
    fn attributes(self, span: &mut Span) {
        let texts = [
            self.message_id,
            self.sequence_number,
            self.execution_arn,
            self.state_machine_arn,
            self.queue_url,
            self.topic_arn,
            self.subscription_arn,
            self.rule_arn,
            self.event_bus_arn,
        ];
        push_texts(
            span,
            TEXT_MEMBERS
                .into_iter()
                .zip(texts.into_iter().map(|m| m.map(|Member(text)| text))),
        );
        if let Some(entries) = self.entries {
            entries.attributes(span);
        }
    }
}

/// Whether [`Seen`] reads output member `name`: a text member, or the entries.
fn seen_member(name: &str) -> bool {
    name == "Entries" || TEXT_MEMBERS.contains(&name)
}

thread_local! {
    /// Whether an operation's output has a member [`Seen`] reads, by the operation's address
    /// in its ('static) model: the few operations a thread serves over and over.
    static SEEN_OUTPUTS: RefCell<([(usize, bool); RECENT], usize)> =
        const { RefCell::new(([(0, false); RECENT], 0)) };
}

/// Whether the output of `op`, an operation of `model`, has a member the call's span keeps.
/// Outputs without one (ReceiveMessage's messages, whose escaped bodies would be scanned
/// through for nothing, GetQueueAttributes, the List calls) are not read for the span.
pub fn output_has_seen_members(
    model: &'static crate::model::ServiceModel,
    op: &'static crate::model::Operation,
) -> bool {
    let key = op as *const crate::model::Operation as usize;
    SEEN_OUTPUTS.with(|cache| {
        // Only this thread touches its cache, and nothing here calls out: the borrow cannot
        // be taken twice.
        let mut cache = cache.borrow_mut();
        let (entries, next) = &mut *cache;
        if let Some((_, seen)) = entries.iter().find(|(k, _)| *k == key) {
            return *seen;
        }
        let seen = match op.output.as_deref().and_then(|name| model.shape(name)) {
            Some(crate::model::Shape {
                kind: crate::model::ShapeKind::Structure { members, .. },
                ..
            }) => members.iter().any(|(name, _)| seen_member(name)),
            _ => false,
        };
        entries[*next] = (key, seen);
        *next = (*next + 1) % RECENT;
        seen
    })
}

/// PutEvents' (and the batch calls') entries as the span keeps them, read one by one (no
/// list of the entries is built): the event ids, and the error codes of those that failed
/// (which make the span an error).
#[derive(Default)]
struct Entries {
    /// The event ids, while each is a UUID stepyard wrote (kept as its bytes).
    ids: Ids,
    /// Every event id as its text, once one is not such a UUID.
    texts: Option<Vec<Value>>,
    failed: Vec<Value>,
}

/// Event ids kept as their bytes: the usual one without a list.
#[derive(Default)]
enum Ids {
    #[default]
    None,
    One(uuid::Uuid),
    Many(Vec<uuid::Uuid>),
}

impl Entries {
    fn add(&mut self, entry: SeenEntry<'_>) {
        if let Some(Member(id)) = &entry.event_id {
            match (&mut self.texts, super::canonical_uuid(id)) {
                (None, Some(uuid)) => {
                    self.ids = match std::mem::take(&mut self.ids) {
                        Ids::None => Ids::One(uuid),
                        Ids::One(first) => Ids::Many(vec![first, uuid]),
                        Ids::Many(mut all) => {
                            all.push(uuid);
                            Ids::Many(all)
                        }
                    };
                }
                (None, None) => {
                    // From here on every id is kept as text, the ones before it too.
                    let before: &[uuid::Uuid] = match &self.ids {
                        Ids::None => &[],
                        Ids::One(first) => std::slice::from_ref(first),
                        Ids::Many(all) => all,
                    };
                    let mut texts: Vec<Value> = before
                        .iter()
                        .map(|u| Value::from(u.hyphenated().to_string()))
                        .collect();
                    texts.push(Value::from(&**id));
                    self.texts = Some(texts);
                    self.ids = Ids::None;
                }
                (Some(texts), _) => texts.push(Value::from(&**id)),
            }
        }
        if let Some(Member(code)) = &entry.error_code {
            self.failed.push(Value::from(&**code));
        }
    }

    fn attributes(self, span: &mut Span) {
        let ids = match (self.texts, self.ids) {
            (Some(texts), _) => Some(Attr::Json(Box::new(Value::Array(texts)))),
            (None, Ids::None) => None,
            (None, Ids::One(id)) => Some(Attr::OneUuid(id)),
            (None, Ids::Many(all)) => Some(Attr::Uuids(all.into_boxed_slice())),
        };
        if let Some(ids) = ids {
            span.attributes.push(("eventIds", ids));
        }
        if !self.failed.is_empty() {
            span.error = true;
            span.attributes.push((
                "errorCodes",
                Attr::Json(Box::new(Value::Array(self.failed))),
            ));
        }
    }
}

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of entries")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Entries, A::Error> {
                let mut entries = Entries::default();
                while let Some(entry) = seq.next_element::<SeenEntry<'de>>()? {
                    entries.add(entry);
                }
                Ok(entries)
            }
        }
        deserializer.deserialize_seq(Visit)
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
pub fn resource_of(input: &Value, ctx: &RequestContext) -> Option<Text> {
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
        .map(|text| Text::Owned(text.to_string()))
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

/// `name` (a queue's ARN a message's span names), shared with the spans before that named it.
pub fn shared_name(name: &str) -> Text {
    shared(&[name])
}

/// The name spelled by `pieces` one after the other, shared with the calls before that named
/// it (compared piece by piece: nothing is put together unless it is new).
fn shared(pieces: &[&str]) -> Text {
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
            return Text::Shared(name.clone());
        }
        let name: Arc<str> = Arc::from(pieces.concat());
        names[*next] = Some(name.clone());
        *next = (*next + 1) % RECENT;
        Text::Shared(name)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(output: &str) -> (bool, Vec<(&'static str, Value)>) {
        let mut span = Span::new(
            &crate::request::TraceContext::root(1_700_000_000),
            "events",
            "PutEvents",
            0,
        );
        let seen: Seen = serde_json::from_str(output).expect("an output");
        seen.attributes(&mut span);
        // Read from a `Value` (an in-process call's output), the same.
        let mut again = Span::new(
            &crate::request::TraceContext::root(1_700_000_000),
            "events",
            "PutEvents",
            0,
        );
        let value: Value = serde_json::from_str(output).expect("an output");
        Seen::deserialize(&value)
            .expect("an output")
            .attributes(&mut again);
        assert_eq!(span.all_attributes(), again.all_attributes());
        (span.error, span.all_attributes())
    }

    #[test]
    fn only_outputs_with_a_member_the_span_keeps_are_read() {
        use crate::request::ServiceId;
        let seen = |service: ServiceId, operation: &str| {
            let model = service.model();
            let op = model
                .operation(operation)
                .expect("an operation of the model");
            // Twice: the second answer comes from the thread's cache.
            let first = output_has_seen_members(model, op);
            assert_eq!(output_has_seen_members(model, op), first);
            first
        };
        assert!(seen(ServiceId::Sqs, "SendMessage"));
        assert!(seen(ServiceId::Sqs, "CreateQueue"));
        assert!(seen(ServiceId::Events, "PutEvents"));
        assert!(seen(ServiceId::StepFunctions, "StartExecution"));
        assert!(!seen(ServiceId::Sqs, "ReceiveMessage"));
        assert!(!seen(ServiceId::Sqs, "DeleteMessage"));
        assert!(!seen(ServiceId::Sqs, "GetQueueAttributes"));
    }

    #[test]
    fn entries_keep_their_event_ids_in_order_and_the_failed_ones_error_codes() {
        let a = "5fea7756-0ea4-451a-a703-a558b933e274";
        let b = "00000000-0000-4000-8000-000000000001";
        let one = format!(r#"{{"FailedEntryCount":0,"Entries":[{{"EventId":"{a}"}}]}}"#);
        assert_eq!(
            attributes(&one),
            (false, vec![("eventIds", serde_json::json!([a]))])
        );
        let two = format!(r#"{{"Entries":[{{"EventId":"{a}"}},{{"EventId":"{b}"}}]}}"#);
        assert_eq!(
            attributes(&two),
            (false, vec![("eventIds", serde_json::json!([a, b]))])
        );
        // An id not in the form stepyard writes keeps every id as text, in order; a failed
        // entry's code makes the span an error.
        let mixed = format!(
            r#"{{"Entries":[{{"EventId":"{a}"}},{{"EventId":"Not-A-Uuid"}},{{"EventId":"{b}"}},{{"ErrorCode":"InternalFailure","ErrorMessage":"x"}}]}}"#
        );
        assert_eq!(
            attributes(&mixed),
            (
                true,
                vec![
                    ("eventIds", serde_json::json!([a, "Not-A-Uuid", b])),
                    ("errorCodes", serde_json::json!(["InternalFailure"])),
                ]
            )
        );
        // Escaped text reads as its characters.
        let escaped =
            r#"{"MessageId":"5fea7756-0ea4-451a-a703-a558b933e274","SequenceNumber":"1\u0032"}"#;
        assert_eq!(
            attributes(escaped),
            (
                false,
                vec![
                    ("MessageId", Value::from(a)),
                    ("SequenceNumber", Value::from("12")),
                ]
            )
        );
    }
}

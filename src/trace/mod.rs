//! Spans of a flow (DESIGN.md section 10): every API call, rule evaluation, target delivery,
//! execution, state, message receipt and SNS delivery records one [`Span`] into a bounded
//! ring of traces, read through `/_stepyard/traces` (`api.rs`) and exported over OTLP when
//! asked (`otlp.rs`).
//!
//! Recording is cheap on purpose: a span is a small struct of ids, times and typed values
//! (constants, names its owner already shares, ids as their 16 bytes, its first attributes
//! inside it) pushed under the short lock of one of eight shards (picked by trace id, so
//! concurrent requests rarely meet) into a slot of the ring that an evicted trace left, whose
//! buffer is reused: in the steady state recording a span allocates nothing, and nothing is
//! formatted or serialised until someone reads the traces. With `--trace-buffer 0` the
//! [`Tracer`] is off and recording is a branch on a `None`.

pub mod api;
pub mod calls;
mod capture;
pub mod context;
pub mod otlp;

use crate::clock::Clock;
use context::{TraceContext, TraceId};
use parking_lot::Mutex;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the trace buffer may weigh unless told (`--trace-buffer-bytes`): a thousand traces
/// of small payloads take a few MB; executions passing large inputs fill it sooner.
pub const DEFAULT_BUFFER_BYTES: usize = 64 << 20;
/// A trace keeps at most this many spans; past it new spans of the trace are dropped (a loop
/// runs into `MAX_HOPS` long before, but a long-lived trace could grow forever otherwise).
const MAX_SPANS_PER_TRACE: usize = 2000;
/// Spans of stepyard's own (service `stepyard`: a chain stopped, and why) kept past the cap.
const STEPYARD_SPANS_PAST_CAP: usize = 64;

/// One unit of work in a trace.
#[derive(Debug, Clone)]
pub struct Span {
    pub trace: TraceId,
    pub span_id: u64,
    pub parent: Option<u64>,
    /// The AWS signing name: `events`, `states`, `sqs`, `sns` (or `sts`).
    pub service: &'static str,
    pub name: Text,
    /// The ARN (or name) of what the span acted on.
    pub resource: Option<Text>,
    /// Epoch microseconds on the server's clock.
    pub start_us: u64,
    pub end_us: u64,
    pub error: bool,
    pub attributes: Attrs,
    /// Attributes worked out only when the span is read (or exported): what would cost too
    /// much to compute for every span recorded.
    pub deferred: Option<Deferred>,
    /// The rules of a bus evaluated for one event, kept as one record and read as one
    /// `EvaluateRule` span per rule (see [`Evaluations`]).
    pub evaluations: Option<Evaluations>,
}

/// Text a span keeps (its name, what it acted on): a constant, its own copy, or text its
/// owner already shares (a rule's or a target's ARN, a state's name), so that recording the
/// span copies nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Static(&'static str),
    Owned(String),
    Shared(Arc<str>),
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Owned(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Owned(s)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::Owned(s.to_string())
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text::Owned(s.clone())
    }
}

impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Self {
        Text::Shared(s)
    }
}

impl From<&Arc<str>> for Text {
    fn from(s: &Arc<str>) -> Self {
        Text::Shared(s.clone())
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Text::Static(s),
            Cow::Owned(s) => Text::Owned(s),
        }
    }
}

impl Text {
    /// The bytes this text holds of its own (a constant or a shared name: none).
    fn weight(&self) -> usize {
        match self {
            Text::Owned(s) => s.len(),
            Text::Static(_) | Text::Shared(_) => 0,
        }
    }
}

/// An attribute's value as recorded: small typed values that cost no allocation (a constant,
/// a shared name, an id kept as its 16 bytes), turned into JSON only when the span is read.
#[derive(Debug, Clone)]
pub enum Attr {
    /// JSON other than text, a whole number or a flag (boxed: most attributes are those, and a
    /// `Value` inline would make every span's attributes several times their size).
    Json(Box<Value>),
    /// Text of the span's own.
    Owned(String),
    Bool(bool),
    Static(&'static str),
    /// A name its owner already shares (a rule's ARN, a state's name): costs the trace nothing.
    Shared(Arc<str>),
    /// Text the trace holds (a state's input or output, written once and shared by the spans
    /// that show it): counted against the buffer's bytes.
    Text(Arc<str>),
    /// A UUID that was (and is read back as) its lowercase hyphenated form.
    Uuid(uuid::Uuid),
    /// A list of such UUIDs (a PutEvents' event ids), read as a JSON array.
    Uuids(Box<[uuid::Uuid]>),
    /// A list of one such UUID (a PutEvents of one entry): no allocation for the list.
    OneUuid(uuid::Uuid),
    /// A trace id (its 128 bits, big-endian), read as its X-Ray text `1-...-...`.
    TraceId([u8; 16]),
    /// A whole number.
    Count(u64),
}

impl Attr {
    /// `text` as a [`Attr::Uuid`] when it reads back the same (the form stepyard writes its
    /// ids in), else as a string.
    pub fn id(text: &str) -> Attr {
        match canonical_uuid(text) {
            Some(id) => Attr::Uuid(id),
            None => Attr::Owned(text.to_string()),
        }
    }

    /// The value as text, when it is text (the trace list's `?resource=` filter).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Attr::Json(v) => v.as_str(),
            Attr::Owned(s) => Some(s),
            Attr::Static(s) => Some(s),
            Attr::Shared(s) | Attr::Text(s) => Some(s),
            Attr::Uuid(_)
            | Attr::Uuids(_)
            | Attr::OneUuid(_)
            | Attr::TraceId(_)
            | Attr::Count(_)
            | Attr::Bool(_) => None,
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Attr::Json(v) => (**v).clone(),
            Attr::Owned(s) => Value::from(s.as_str()),
            Attr::Bool(b) => Value::Bool(*b),
            Attr::Static(s) => Value::from(*s),
            Attr::Shared(s) | Attr::Text(s) => Value::from(&**s),
            Attr::Uuid(id) => Value::from(id.hyphenated().to_string()),
            Attr::Uuids(ids) => ids
                .iter()
                .map(|id| Value::from(id.hyphenated().to_string()))
                .collect(),
            Attr::OneUuid(id) => Value::Array(vec![Value::from(id.hyphenated().to_string())]),
            Attr::TraceId(bytes) => Value::from(TraceId(u128::from_be_bytes(*bytes)).to_string()),
            Attr::Count(n) => Value::from(*n),
        }
    }

    /// `value` in the variant that keeps it smallest.
    pub fn json(value: Value) -> Attr {
        match value {
            Value::String(s) => Attr::Owned(s),
            Value::Bool(b) => Attr::Bool(b),
            other => match other.as_u64() {
                Some(n) => Attr::Count(n),
                None => Attr::Json(Box::new(other)),
            },
        }
    }

    /// `id` kept as its bytes, read as its X-Ray text.
    pub fn trace_id(id: TraceId) -> Attr {
        Attr::TraceId(id.0.to_be_bytes())
    }
}

/// `text` as a UUID, when it is one in the lowercase hyphenated form it would be written back in.
pub fn canonical_uuid(text: &str) -> Option<uuid::Uuid> {
    // uuid's parser (table-driven) and a scan for capitals: cheaper than a hand-written
    // digit loop, as counted under callgrind.
    if text.len() != 36 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    uuid::Uuid::try_parse(text).ok()
}

/// How many attributes a span keeps inside itself: enough for a delivery attempt's, a
/// message receipt's and every call's, so that such spans cost no allocation for them.
const INLINE_ATTRS: usize = 4;

/// A span's attributes: the first [`INLINE_ATTRS`] kept in the span itself, any further ones
/// (a failed delivery's error) in a list of their own.
#[derive(Debug, Clone, Default)]
pub struct Attrs {
    inline: [Option<(&'static str, Attr)>; INLINE_ATTRS],
    more: Vec<(&'static str, Attr)>,
}

impl Attrs {
    #[inline]
    pub fn push(&mut self, attribute: (&'static str, Attr)) {
        match self.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(attribute),
            None => self.more.push(attribute),
        }
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut (&'static str, Attr)> {
        self.inline
            .iter_mut()
            .map_while(Option::as_mut)
            .chain(&mut self.more)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(&'static str, Attr)> {
        self.inline
            .iter()
            .map_while(Option::as_ref)
            .chain(&self.more)
    }

    pub fn len(&self) -> usize {
        self.inline.iter().take_while(|a| a.is_some()).count() + self.more.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inline[0].is_none()
    }
}

impl FromIterator<(&'static str, Attr)> for Attrs {
    fn from_iter<I: IntoIterator<Item = (&'static str, Attr)>>(items: I) -> Self {
        let mut attrs = Attrs::default();
        for item in items {
            attrs.push(item);
        }
        attrs
    }
}

/// Why a rule did not match an event, worked out when the trace is read.
pub trait Explain: Send + Sync {
    /// The pattern field that rules `event` out, and why.
    fn explain(&self, event: &Value) -> Option<(String, String)>;
}

/// An event as the trace keeps it: its JSON text, in one allocation (see [`Evaluations`]).
/// The event's tree (a map, its keys and values: a couple of dozen allocations) would keep
/// that much more memory alive for a thousand traces and be freed cold when its trace is
/// pushed out, which under concurrent load cost far more than writing the text once.
#[derive(Clone)]
pub struct EventText(pub Arc<str>);

thread_local! {
    /// Where this thread writes a text before it is copied into its `Arc<str>`: written in
    /// place, the text would grow (and be copied) a few times on the way.
    static TEXT_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `value` as its JSON text, in one allocation sized to it (an event a trace keeps, a state's
/// input or output).
pub fn shared_text(value: &Value) -> Arc<str> {
    TEXT_BUFFER.with(|buffer| {
        // Only this thread uses its buffer, and nothing here calls back in: the borrow
        // cannot be taken twice.
        let mut buffer = buffer.borrow_mut();
        buffer.clear();
        let text = match serde_json::to_writer(&mut *buffer, value) {
            Ok(()) => std::str::from_utf8(&buffer).unwrap_or("null"),
            Err(_) => "null",
        };
        let kept = Arc::from(text);
        // An unusually large text does not keep its buffer alive for good.
        if buffer.capacity() > 64 * 1024 {
            *buffer = Vec::new();
        }
        kept
    })
}

impl EventText {
    /// `event` as its text: one allocation, sized to it.
    pub fn of(event: &Value) -> EventText {
        EventText(shared_text(event))
    }

    fn event(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

/// How a rule decides on an event.
#[derive(Clone)]
pub enum RuleCheck {
    Disabled,
    /// A schedule rule: no event pattern, matches no event.
    NoPattern,
    Pattern(Arc<dyn Explain>),
}

/// One rule of a [`RuleSet`].
pub struct RuleEntry {
    pub arn: Arc<str>,
    pub check: RuleCheck,
    pub targets: usize,
}

/// A bus's rules as the traces of its events see them, in the order they are evaluated. The
/// bus keeps one and builds a new one only when its rules change, so that an event's record
/// costs one `Arc` clone however many rules the bus has (a hundred per-rule clones would be
/// a hundred contended reference counts per event, shared by every request on the bus).
pub struct RuleSet {
    pub rules: Vec<RuleEntry>,
}

/// What one rule made of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Verdict {
    /// Not evaluated for the trace (an archive's rule, a rule a replay leaves out).
    Skipped,
    Matched,
    Refused,
}

/// The rules of a bus evaluated for one event: the event's text, the bus's [`RuleSet`] and the
/// rules that did not simply refuse it, all cheap to record (the text's one allocation, an
/// `Arc` clone and, for the usual one matched rule, no further allocation; nothing per rule
/// that did not match). Readers see one
/// `EvaluateRule` span per evaluated rule; a refused rule's failing field is worked out then.
#[derive(Clone)]
pub struct Evaluations {
    pub event: EventText,
    pub rules: Arc<RuleSet>,
    pub marks: Marks,
}

impl std::fmt::Debug for Evaluations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Evaluations({} rules)", self.rules.rules.len())
    }
}

/// The verdicts of a [`RuleSet`]'s rules other than [`Verdict::Refused`] (which every rule not
/// marked had), by rule index, marked in index order.
#[derive(Clone, Debug, Default)]
pub enum Marks {
    #[default]
    None,
    One(u32, Verdict),
    Many(Vec<(u32, Verdict)>),
}

impl Marks {
    /// Marks rule `index` (greater than any marked before) with `verdict`.
    pub fn mark(&mut self, index: usize, verdict: Verdict) {
        let index = index as u32;
        match self {
            Marks::None => *self = Marks::One(index, verdict),
            Marks::One(first, first_verdict) => {
                *self = Marks::Many(vec![(*first, *first_verdict), (index, verdict)]);
            }
            Marks::Many(all) => all.push((index, verdict)),
        }
    }

    /// What rule `index` made of the event.
    pub fn verdict(&self, index: usize) -> Verdict {
        let index = index as u32;
        match self {
            Marks::None => Verdict::Refused,
            Marks::One(i, v) if *i == index => *v,
            Marks::One(..) => Verdict::Refused,
            Marks::Many(all) => all
                .binary_search_by_key(&index, |(i, _)| *i)
                .map_or(Verdict::Refused, |at| all[at].1),
        }
    }
}

/// The span id of rule `index`'s `EvaluateRule` span in the record `record_span`: derived, so
/// that a matched rule's deliveries can name it as their parent before anyone reads it.
pub fn evaluation_span_id(record_span: u64, index: usize) -> u64 {
    record_span
        .wrapping_add((index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .max(1)
}

impl Span {
    /// This span, or for an [`Evaluations`] record the `EvaluateRule` span of each rule in it
    /// (children of the record's parent, ids from [`evaluation_span_id`]).
    pub fn expanded(self: &Arc<Span>) -> Vec<Arc<Span>> {
        self.expanded_with(true)
    }

    /// As [`Span::expanded`]; without `explain` a refused rule's span leaves out why (the
    /// trace list, which shows no attributes, does not work out a thousand explanations).
    fn expanded_with(self: &Arc<Span>, explain: bool) -> Vec<Arc<Span>> {
        let Some(evaluations) = &self.evaluations else {
            return vec![self.clone()];
        };
        let event = evaluations.event.event();
        let event: &Value = &event;
        evaluations
            .rules
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| (i, (evaluations.marks.verdict(i), rule)))
            .filter(|(_, (verdict, _))| *verdict != Verdict::Skipped)
            .map(|(i, (verdict, rule))| {
                let name = rule.arn.rsplit('/').next().unwrap_or_default();
                let mut attributes: Attrs = [
                    ("rule", Attr::json(Value::from(name))),
                    ("eventId", Attr::json(event["id"].clone())),
                ]
                .into_iter()
                .collect();
                if verdict == Verdict::Matched {
                    attributes.push(("matched", Attr::Bool(true)));
                    attributes.push(("targets", Attr::json(Value::from(rule.targets))));
                } else if !explain {
                    attributes.push(("matched", Attr::Bool(false)));
                } else {
                    let (field, reason) = match &rule.check {
                        RuleCheck::Disabled => {
                            ("State".to_string(), "the rule is DISABLED".to_string())
                        }
                        RuleCheck::NoPattern => (
                            "EventPattern".to_string(),
                            "the rule has no event pattern (a schedule rule)".to_string(),
                        ),
                        RuleCheck::Pattern(pattern) => {
                            pattern.explain(event).unwrap_or_else(|| {
                                (String::new(), "the event does not match the pattern".into())
                            })
                        }
                    };
                    attributes.push(("matched", Attr::Bool(false)));
                    attributes.push(("failedField", Attr::json(Value::from(field))));
                    attributes.push(("reason", Attr::json(Value::from(reason))));
                }
                Arc::new(Span {
                    trace: self.trace,
                    span_id: evaluation_span_id(self.span_id, i),
                    parent: self.parent,
                    service: self.service,
                    name: Text::Static("EvaluateRule"),
                    resource: Some(Text::Shared(rule.arn.clone())),
                    start_us: self.start_us,
                    end_us: self.end_us,
                    error: false,
                    attributes,
                    deferred: None,
                    evaluations: None,
                })
            })
            .collect()
    }
}

/// Every span of `spans`, [`Evaluations`] records read as their rules' spans.
pub fn expand_all(spans: &[Arc<Span>]) -> Vec<Arc<Span>> {
    spans.iter().flat_map(Span::expanded).collect()
}

/// A function giving a span's further attributes, run when the span is read.
#[derive(Clone)]
pub struct Deferred {
    attributes: Arc<dyn Fn() -> Vec<(&'static str, Value)> + Send + Sync>,
    /// About what the function holds on to (see [`Span::weight`]).
    weight: usize,
}

impl Deferred {
    pub fn attributes(&self) -> Vec<(&'static str, Value)> {
        (self.attributes)()
    }
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deferred")
    }
}

impl Span {
    /// A span for the unit of work `trace.span` (child of `trace.parent`), starting and ending
    /// now; set times and attributes with the builder methods.
    #[inline]
    pub fn new(
        trace: &TraceContext,
        service: &'static str,
        name: impl Into<Cow<'static, str>>,
        now_us: u64,
    ) -> Span {
        Span::named(trace, service, Text::from(name.into()), now_us)
    }

    /// As [`Span::new`], with a name given as [`Text`] (one shared, not copied).
    #[inline]
    pub fn named(trace: &TraceContext, service: &'static str, name: Text, now_us: u64) -> Span {
        Span {
            trace: trace.id,
            span_id: trace.span,
            parent: trace.parent,
            service,
            name,
            resource: None,
            start_us: now_us,
            end_us: now_us,
            error: false,
            // Allocated past the first `attr` (a rule-evaluation record has none).
            attributes: Attrs::default(),
            deferred: None,
            evaluations: None,
        }
    }

    /// Attributes worked out by `attributes` when the span is read; `weight` is about what
    /// it holds on to (a message it will read), counted against the buffer's bytes.
    pub fn deferred(
        mut self,
        weight: usize,
        attributes: impl Fn() -> Vec<(&'static str, Value)> + Send + Sync + 'static,
    ) -> Span {
        self.deferred = Some(Deferred {
            attributes: Arc::new(attributes),
            weight,
        });
        self
    }

    /// The attributes as JSON, the deferred ones worked out now.
    pub fn all_attributes(&self) -> Vec<(&'static str, Value)> {
        let mut all: Vec<(&'static str, Value)> = self
            .attributes
            .iter()
            .map(|(k, v)| (*k, v.to_value()))
            .collect();
        if let Some(d) = &self.deferred {
            all.extend(d.attributes());
        }
        all
    }

    #[inline]
    pub fn resource(mut self, resource: impl Into<Text>) -> Span {
        self.resource = Some(resource.into());
        self
    }

    #[inline]
    pub fn started(mut self, start_us: u64) -> Span {
        self.start_us = start_us.min(self.end_us);
        self
    }

    #[inline]
    pub fn error(mut self, error: bool) -> Span {
        self.error = error;
        self
    }

    #[inline]
    pub fn attr(self, key: &'static str, value: impl Into<Value>) -> Span {
        self.attr_as(key, Attr::json(value.into()))
    }

    /// An attribute kept as it is given (a constant or a shared name: no copy).
    #[inline]
    pub fn attr_as(mut self, key: &'static str, value: Attr) -> Span {
        self.attributes.push((key, value));
        self
    }

    /// About what keeping the span costs in bytes: the span itself, its further attributes
    /// and the texts it holds (names its owner shares cost nothing; a text shared by two spans,
    /// a state's output and the next state's input, is counted for each).
    pub fn weight(&self) -> usize {
        let attributes: usize = self.attributes.iter().map(|(_, a)| a.weight()).sum();
        let more = self.attributes.more.capacity() * std::mem::size_of::<(&str, Attr)>();
        let event = self.evaluations.as_ref().map_or(0, |e| e.event.0.len());
        let deferred = self.deferred.as_ref().map_or(0, |d| d.weight);
        std::mem::size_of::<Span>()
            + more
            + attributes
            + self.name.weight()
            + self.resource.as_ref().map_or(0, Text::weight)
            + event
            + deferred
    }

    /// Cuts every text attribute longer than `kept` bytes to about that much, noting it with
    /// `truncated: true`; `false` when none was that long.
    fn cut_texts(&mut self, kept: usize) -> bool {
        let mut cut = false;
        for (_, value) in self.attributes.iter_mut() {
            let shortened = match value {
                Attr::Text(text) if text.len() > kept => {
                    Attr::Text(Arc::from(format!("{}...", prefix(text, kept))))
                }
                Attr::Owned(text) if text.len() > kept => {
                    Attr::Owned(format!("{}...", prefix(text, kept)))
                }
                // Judged by its text, which is what is cut: a list or object whose text fits
                // stays as it is.
                Attr::Json(json) if json_weight(json) > kept => {
                    let text = json.to_string();
                    if text.len() <= kept {
                        continue;
                    }
                    Attr::Owned(format!("{}...", prefix(&text, kept)))
                }
                _ => continue,
            };
            *value = shortened;
            cut = true;
        }
        if cut {
            self.attributes.push(("truncated", Attr::Bool(true)));
        }
        cut
    }
}

/// The longest prefix of `text` within `bytes`, cut on a character boundary.
fn prefix(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// About what a JSON value held by a span weighs: its texts and a word per node.
fn json_weight(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(|v| 16 + json_weight(v)).sum(),
        Value::Object(members) => members
            .iter()
            .map(|(k, v)| 32 + k.len() + json_weight(v))
            .sum(),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

impl Attr {
    /// The bytes the attribute holds of its own (see [`Span::weight`]).
    fn weight(&self) -> usize {
        match self {
            Attr::Json(value) => json_weight(value),
            Attr::Owned(text) => text.len(),
            Attr::Text(text) => text.len(),
            Attr::Uuids(ids) => ids.len() * 16,
            Attr::Static(_)
            | Attr::Shared(_)
            | Attr::Uuid(_)
            | Attr::OneUuid(_)
            | Attr::TraceId(_)
            | Attr::Count(_)
            | Attr::Bool(_) => 0,
        }
    }
}

/// Where spans go. Cloning is an `Arc` clone; [`Tracer::off`] records nothing.
#[derive(Clone, Default)]
pub struct Tracer {
    inner: Option<Arc<Inner>>,
}

impl std::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.inner.is_some() {
            "Tracer(on)"
        } else {
            "Tracer(off)"
        })
    }
}

struct Inner {
    clock: Clock,
    /// Traces kept per shard.
    capacity: usize,
    /// What the spans of a shard may weigh (see [`Span::weight`]), past which its oldest
    /// traces are let go, and past which one trace's further spans keep their texts cut.
    budget: usize,
    /// The ring, split by trace id so that concurrent requests (each its own trace) rarely
    /// meet on one lock; `sequence` orders traces across the shards.
    shards: Box<[Shard]>,
    sequence: AtomicU64,
    /// The OTLP exporter's queue, when `--otlp-endpoint` is set.
    export: Option<otlp::Queue>,
}

/// A shard's lock and ring on cache lines of their own: neighbouring shards' locks, taken by
/// requests on other cores, would otherwise share a line that every record bounces.
#[repr(align(128))]
#[derive(Default)]
struct Shard(Mutex<Ring>);

impl std::ops::Deref for Shard {
    type Target = Mutex<Ring>;
    fn deref(&self) -> &Mutex<Ring> {
        &self.0
    }
}

/// One shard's traces, oldest first: at most `capacity` of them, weighing at most the
/// budget. A trace id's slot is `slots[index[id] - popped]`. A new trace takes over the
/// buffer of the trace it pushes out (its spans dropped, its room kept, see [`Inner::keep`]),
/// so that in the steady state keeping a span allocates nothing and frees nothing another
/// thread allocated. A trace let go for its bytes while an older one is still being written
/// leaves its slot empty (`id` `None`) until the slots before it are gone.
/// One lock around it all: a record is a hash lookup and a push, and readers copy the spans
/// out and render after letting go, so the lock is held for microseconds. Nothing awaits or
/// takes another lock while holding it (the OTLP queue's `try_send` never waits), so it cannot
/// deadlock.
#[derive(Default)]
struct Ring {
    slots: VecDeque<Slot>,
    /// How many slots have left the front of `slots`.
    popped: u64,
    index: HashMap<TraceId, u64, BuildHasherDefault<IdHasher>>,
    /// Slots holding a trace.
    live: usize,
    /// What the kept spans weigh.
    bytes: usize,
}

/// One trace's spans, with the sequence number the trace got when its first span came (the
/// order of traces across the shards) and what its spans weigh.
struct Slot {
    id: Option<TraceId>,
    seq: u64,
    spans: Vec<Span>,
    bytes: usize,
}

impl Ring {
    fn slot(&mut self, id: TraceId) -> Option<&mut Slot> {
        let at = self.index.get(&id)?.checked_sub(self.popped)?;
        self.slots.get_mut(at as usize)
    }

    /// Lets the oldest trace other than `keep` go, its buffer handed back; `false` when there
    /// is none.
    fn let_go_oldest(&mut self, keep: TraceId, freed: &mut Freed) -> bool {
        let Some(slot) = self
            .slots
            .iter_mut()
            .find(|slot| slot.id.is_some_and(|id| id != keep))
        else {
            return false;
        };
        if let Some(id) = slot.id.take() {
            self.index.remove(&id);
        }
        self.live -= 1;
        self.bytes -= slot.bytes;
        slot.bytes = 0;
        freed.push(std::mem::take(&mut slot.spans));
        while self.slots.front().is_some_and(|slot| slot.id.is_none()) {
            self.slots.pop_front();
            self.popped += 1;
        }
        true
    }
}

/// The buffers of the traces a record pushed out: the first is kept for the next new trace,
/// any further ones (a trace let go for its bytes) dropped once the lock is let go.
#[derive(Default)]
struct Freed {
    first: Option<Vec<Span>>,
    more: Vec<Vec<Span>>,
}

impl Freed {
    fn push(&mut self, spans: Vec<Span>) {
        match self.first {
            None => self.first = Some(spans),
            Some(_) => self.more.push(spans),
        }
    }
}

/// Room for a flow's first spans (call, rule, delivery, message) at once.
const SLOT_SPANS: usize = 8;
/// A buffer that grew past this many spans (a long flow's) is not kept for the next trace.
const SLOT_SPANS_KEPT: usize = 64;
/// How much of each text a span keeps once its trace outweighs its shard's budget.
const TEXT_KEPT: usize = 1024;

thread_local! {
    /// A slot's buffer to hand to the next new trace this thread records: the buffer of the
    /// trace the last one pushed out, emptied after the shard's lock was let go.
    static SPARE: std::cell::Cell<Vec<Span>> = const { std::cell::Cell::new(Vec::new()) };
}

/// How many shards the ring has (a power of two).
const SHARDS: usize = 8;

/// Trace ids are random: their low 64 bits are a hash already.
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64 ^ (n >> 64) as u64;
    }
}

impl Inner {
    fn shard(&self, id: TraceId) -> &Mutex<Ring> {
        &self.shards[(id.0 as usize) & (SHARDS - 1)]
    }

    /// Keeps `span` in its trace's ring (and queues it for export). Inlined, as is
    /// [`Tracer::record`]: a span is a few hundred bytes, copied once per call it is passed
    /// through by value.
    #[inline]
    fn insert(&self, span: Span) {
        if let Some(export) = &self.export {
            if self.capacity == 0 {
                export.push(Arc::new(span));
                return;
            }
            export.push(Arc::new(span.clone()));
        }
        self.keep(span);
    }

    fn keep(&self, mut span: Span) {
        // The buffer a new trace would take (taken before the lock so that it is not
        // allocated under it), and what the trace pushes out comes back in it, emptied once
        // the lock is let go: dropping an old trace's spans (and the event text its rule
        // evaluations keep) touches cold memory, which the next request on the shard should
        // not wait for.
        let mut spare = SPARE.take();
        if spare.capacity() == 0 {
            spare.reserve_exact(SLOT_SPANS);
        }
        let mut weight = span.weight();
        let id = span.trace;
        let mut freed = Freed::default();
        let mut guard = self.shard(id).lock();
        let ring = &mut *guard;
        match ring.slot(id) {
            Some(slot) => {
                // stepyard's own notes on the trace (why a chain was stopped) are kept
                // past the cap, within a small allowance.
                let kept = slot.spans.len();
                if kept < MAX_SPANS_PER_TRACE
                    || (span.service == "stepyard"
                        && kept < MAX_SPANS_PER_TRACE + STEPYARD_SPANS_PAST_CAP)
                {
                    // A trace heavier than the shard's budget keeps its further spans
                    // with their texts cut: bounded by the span cap, not by their data.
                    if slot.bytes + weight > self.budget && span.cut_texts(TEXT_KEPT) {
                        weight = span.weight();
                    }
                    slot.spans.push(span);
                    slot.bytes += weight;
                    ring.bytes += weight;
                }
            }
            None => {
                if weight > self.budget && span.cut_texts(TEXT_KEPT) {
                    weight = span.weight();
                }
                spare.push(span);
                ring.index.insert(id, ring.popped + ring.slots.len() as u64);
                ring.slots.push_back(Slot {
                    id: Some(id),
                    seq: self.sequence.fetch_add(1, Ordering::Relaxed),
                    spans: std::mem::take(&mut spare),
                    bytes: weight,
                });
                ring.live += 1;
                ring.bytes += weight;
                while ring.live > self.capacity && ring.let_go_oldest(id, &mut freed) {}
            }
        }
        while ring.bytes > self.budget && ring.let_go_oldest(id, &mut freed) {}
        drop(guard);
        if let Some(first) = freed.first {
            spare = first;
        }
        drop(freed.more);
        spare.clear();
        if spare.capacity() > SLOT_SPANS_KEPT {
            spare = Vec::new();
        }
        SPARE.set(spare);
    }
}

impl Tracer {
    /// A tracer keeping the `capacity` newest traces (0: off) within `bytes` (see
    /// [`Span::weight`]), exporting over OTLP to `otlp_endpoint` when given (its queue
    /// bounded by `bytes` too, or the default when that is more).
    pub fn new(clock: Clock, capacity: usize, bytes: usize, otlp_endpoint: Option<&str>) -> Tracer {
        // The export queue holds spans whole (an exporter cuts nothing): never less than the
        // default, so that a small ring does not silence the export of large spans.
        let export = otlp_endpoint
            .map(|endpoint| otlp::Queue::start(endpoint, bytes.max(DEFAULT_BUFFER_BYTES)));
        if capacity == 0 && export.is_none() {
            return Tracer::off();
        }
        Tracer {
            inner: Some(Arc::new(Inner {
                clock,
                capacity: capacity.div_ceil(SHARDS),
                budget: bytes.div_ceil(SHARDS),
                shards: (0..SHARDS).map(|_| Shard::default()).collect(),
                sequence: AtomicU64::new(0),
                export,
            })),
        }
    }

    pub fn off() -> Tracer {
        Tracer { inner: None }
    }

    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Now in epoch microseconds (0 when off: the caller builds no span then).
    pub fn now_us(&self) -> u64 {
        self.inner.as_ref().map_or(0, |i| i.clock.now_micros())
    }

    /// Records a finished span.
    #[inline]
    pub fn record(&self, span: Span) {
        let Some(inner) = &self.inner else {
            return;
        };
        if span.trace.0 != 0 {
            inner.insert(span);
        }
    }

    /// Records finished spans.
    pub fn record_all(&self, spans: impl IntoIterator<Item = Span>) {
        for span in spans {
            self.record(span);
        }
    }

    /// Records `span` built lazily: `build` runs only when tracing is on.
    pub fn record_with(&self, build: impl FnOnce(u64) -> Span) {
        if self.enabled() {
            let now = self.now_us();
            self.record(build(now));
        }
    }

    /// The traces, newest first, each as its spans (copied out under the lock), rule
    /// evaluations without the reasons of the rules that did not match (see [`Tracer::trace`]).
    pub fn snapshot(&self) -> Vec<(TraceId, Vec<Arc<Span>>)> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let mut all: Vec<(u64, TraceId, Vec<Arc<Span>>)> = Vec::new();
        for shard in inner.shards.iter() {
            let ring = shard.lock();
            all.extend(ring.slots.iter().filter_map(|slot| {
                let spans = slot.spans.iter().cloned().map(Arc::new).collect();
                Some((slot.seq, slot.id?, spans))
            }));
        }
        all.sort_unstable_by_key(|t| std::cmp::Reverse(t.0));
        all.into_iter()
            .map(|(_, id, spans)| {
                let spans = spans.iter().flat_map(|s| s.expanded_with(false)).collect();
                (id, spans)
            })
            .collect()
    }

    /// One trace's spans.
    pub fn trace(&self, id: TraceId) -> Option<Vec<Arc<Span>>> {
        let inner = self.inner.as_ref()?;
        let spans: Vec<Arc<Span>> = {
            let mut ring = inner.shard(id).lock();
            ring.slot(id)?.spans.iter().cloned().map(Arc::new).collect()
        };
        Some(expand_all(&spans))
    }

    /// Forgets every trace (`POST /_stepyard/reset`).
    pub fn clear(&self) {
        if let Some(inner) = &self.inner {
            for shard in inner.shards.iter() {
                let mut ring = shard.lock();
                *ring = Ring::default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_kept_as_a_uuid_reads_back_as_the_text_it_was_given() {
        for text in [
            "5fea7756-0ea4-451a-a703-a558b933e274",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-4fff-bfff-ffffffffffff",
        ] {
            assert!(matches!(Attr::id(text), Attr::Uuid(_)), "{text}");
            assert_eq!(Attr::id(text).to_value(), Value::from(text));
        }
        // Other forms stay text, as they were given.
        for text in [
            "5FEA7756-0EA4-451A-A703-A558B933E274",
            "5fea77560ea4451aa703a558b933e274",
            "5fea7756-0ea4-451a-a703-a558b933e27",
            "5fea7756-0ea4-451a-a703-a558b933e27g",
            "5fea7756+0ea4-451a-a703-a558b933e274",
            "not an id",
        ] {
            assert!(matches!(Attr::id(text), Attr::Owned(_)), "{text}");
            assert_eq!(Attr::id(text).to_value(), Value::from(text));
        }
    }

    #[test]
    fn a_full_ring_keeps_the_newest_traces_each_with_only_its_own_spans_in_reused_slots() {
        // Two traces per shard: each new trace past that takes over the oldest one's slot.
        let tracer = Tracer::new(Clock::new(), 2 * SHARDS, DEFAULT_BUFFER_BYTES, None);
        let mut roots = Vec::new();
        for i in 0..200u64 {
            let root = TraceContext::root(1_700_000_000);
            tracer.record(
                Span::new(&root, "sqs", "SendMessage", i)
                    .attr_as("n", Attr::Count(i))
                    .attr_as("a", Attr::Static("a"))
                    .attr_as("b", Attr::Static("b"))
                    .attr_as("c", Attr::Static("c"))
                    .attr_as("past the inline ones", Attr::Count(i)),
            );
            // A second span of the same trace joins its slot.
            tracer.record(Span::new(&root.child(), "sqs", "ReceiveMessage", i));
            roots.push(root.id);
        }
        let kept = tracer.snapshot();
        assert!(
            !kept.is_empty() && kept.len() <= 2 * SHARDS,
            "{} kept",
            kept.len()
        );
        // Newest first, and only the newest (each shard keeps its own newest two).
        let listed: Vec<TraceId> = kept.iter().map(|(id, _)| *id).collect();
        let order: Vec<usize> = listed
            .iter()
            .map(|id| {
                roots
                    .iter()
                    .position(|r| r == id)
                    .expect("a recorded trace")
            })
            .collect();
        assert!(order.windows(2).all(|w| w[0] > w[1]), "{order:?}");
        for (n, id) in roots.iter().enumerate() {
            let per_shard_newer = roots[n + 1..]
                .iter()
                .filter(|r| (r.0 as usize) & (SHARDS - 1) == (id.0 as usize) & (SHARDS - 1))
                .count();
            assert_eq!(
                tracer.trace(*id).is_some(),
                per_shard_newer < 2,
                "trace {n}"
            );
        }
        for (id, _) in &kept {
            let n = roots.iter().position(|r| r == id).unwrap() as u64;
            let spans = tracer.trace(*id).expect("a kept trace");
            let names: Vec<&str> = spans.iter().map(|s| &*s.name).collect();
            assert_eq!(names, ["SendMessage", "ReceiveMessage"]);
            assert!(spans.iter().all(|s| s.trace == *id && s.start_us == n));
            let attributes = spans[0].all_attributes();
            assert_eq!(attributes.len(), 5);
            assert_eq!(attributes[0], ("n", Value::from(n)));
            assert_eq!(attributes[4], ("past the inline ones", Value::from(n)));
            assert!(spans[1].all_attributes().is_empty());
        }
        tracer.clear();
        assert!(tracer.snapshot().is_empty());
        let root = TraceContext::root(1_700_000_000);
        tracer.record(Span::new(&root, "sqs", "SendMessage", 1));
        assert_eq!(tracer.trace(root.id).map(|s| s.len()), Some(1));
    }

    /// Each shard's books: its bytes are its traces', its live count its traces', every
    /// indexed trace is in the slot the index names, and it is within its budget unless one
    /// trace heavier than that is all it holds.
    fn check_books(tracer: &Tracer) {
        let inner = tracer.inner.as_ref().unwrap();
        for shard in inner.shards.iter() {
            let ring = shard.lock();
            let live: Vec<&Slot> = ring.slots.iter().filter(|s| s.id.is_some()).collect();
            assert_eq!(ring.live, live.len());
            assert_eq!(ring.index.len(), live.len());
            assert!(ring.live <= inner.capacity);
            let weighed: usize = live
                .iter()
                .map(|s| s.spans.iter().map(Span::weight).sum::<usize>())
                .sum();
            assert_eq!(ring.bytes, weighed);
            assert_eq!(ring.bytes, live.iter().map(|s| s.bytes).sum::<usize>());
            for (id, at) in &ring.index {
                assert_eq!(ring.slots[(at - ring.popped) as usize].id, Some(*id));
            }
            assert!(
                ring.bytes <= inner.budget || live.len() == 1,
                "{} bytes in {} traces",
                ring.bytes,
                live.len()
            );
        }
    }

    #[test]
    fn the_ring_keeps_within_its_bytes_and_its_books_balance_whatever_the_traces_weigh() {
        let budget = 64 * 1024 * SHARDS;
        let tracer = Tracer::new(Clock::new(), 50 * SHARDS, budget, None);
        let mut open: Vec<TraceContext> = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for i in 0..5_000u64 {
            // Mostly spans of traces still open (older ones among them), some new traces.
            let trace = match (next() % 4, open.is_empty()) {
                (0, _) | (_, true) => {
                    let root = TraceContext::root(1_700_000_000);
                    open.push(root);
                    if open.len() > 30 {
                        open.remove(0);
                    }
                    root
                }
                _ => open[(next() % open.len() as u64) as usize].child(),
            };
            let text: Arc<str> = Arc::from("t".repeat((next() % 40_000) as usize));
            let span = Span::new(&trace, "states", "State S", i)
                .attr_as("input", Attr::Text(text.clone()))
                .attr_as("output", Attr::Text(text))
                .attr("cause", "c".repeat((next() % 3_000) as usize));
            tracer.record(span);
            check_books(&tracer);
        }
        // A trace heavier than its shard's share keeps its spans' texts cut past it.
        let root = TraceContext::root(1_700_000_000);
        let big: Arc<str> = Arc::from("é".repeat(20_000));
        for i in 0..20 {
            tracer.record(
                Span::new(&root.child(), "states", "State Big", i)
                    .attr_as("input", Attr::Text(big.clone())),
            );
            check_books(&tracer);
        }
        let spans = tracer.trace(root.id).expect("the heavy trace");
        assert_eq!(spans.len(), 20);
        let cut: Vec<bool> = spans
            .iter()
            .map(|s| s.all_attributes().iter().any(|(k, _)| *k == "truncated"))
            .collect();
        assert!(!cut[0] && cut[19], "{cut:?}");
        let last = spans[19].all_attributes();
        let input = last[0].1.as_str().unwrap();
        assert!(input.len() <= TEXT_KEPT + 3 && input.ends_with("..."));
        tracer.clear();
        check_books(&tracer);
        assert!(tracer.snapshot().is_empty());
    }

    #[test]
    fn in_a_heavy_trace_only_texts_longer_than_kept_are_cut_and_the_books_still_balance() {
        // 4 KiB per shard: the first span alone outweighs it.
        let tracer = Tracer::new(Clock::new(), 10 * SHARDS, 4 * 1024 * SHARDS, None);
        let root = TraceContext::root(1_700_000_000);
        let ids: Box<[uuid::Uuid]> = (0..1000u128).map(uuid::Uuid::from_u128).collect();
        let heavy = Span::new(&root, "events", "PutEvents", 1)
            .attr_as("a", Attr::Count(1))
            .attr_as("b", Attr::Count(2))
            .attr_as("c", Attr::Count(3))
            .attr_as("d", Attr::Count(4))
            .attr_as("eventIds", Attr::Uuids(ids));
        // Cloned: its further attributes have no spare room, so any rebuilding would show.
        tracer.record(heavy.clone());
        check_books(&tracer);
        let list = serde_json::json!((0..70).collect::<Vec<u32>>());
        tracer.record(
            Span::new(&root.child(), "events", "Deliver", 2)
                .attr("targets", list.clone())
                .attr("note", "short"),
        );
        check_books(&tracer);
        let spans = tracer.trace(root.id).expect("the trace");
        // Nothing in either span was a text longer than 1 KiB: nothing cut, nothing marked.
        for span in &spans {
            let attributes = span.all_attributes();
            assert!(
                attributes.iter().all(|(k, _)| *k != "truncated"),
                "{attributes:?}"
            );
        }
        assert_eq!(spans[1].all_attributes()[0], ("targets", list));
    }

    #[test]
    fn ids_and_counts_kept_as_numbers_read_back_as_their_text() {
        let id = TraceId::parse("1-5759e988-bd862e3fe1be46a994272793").unwrap();
        assert_eq!(
            Attr::trace_id(id).to_value(),
            Value::from("1-5759e988-bd862e3fe1be46a994272793")
        );
        let event = "5fea7756-0ea4-451a-a703-a558b933e274";
        let Attr::Uuid(uuid) = Attr::id(event) else {
            panic!("a UUID");
        };
        assert_eq!(Attr::OneUuid(uuid).to_value(), serde_json::json!([event]));
        assert_eq!(Attr::Count(7).to_value(), Value::from(7));
        let text = EventText::of(&serde_json::json!({"id": event, "detail": {"n": 1}}));
        assert_eq!(
            text.event(),
            serde_json::json!({"id": event, "detail": {"n": 1}})
        );
    }

    #[test]
    fn marks_give_each_rule_its_verdict_and_refused_to_the_rest() {
        let mut marks = Marks::default();
        assert_eq!(marks.verdict(0), Verdict::Refused);
        marks.mark(3, Verdict::Matched);
        assert_eq!(marks.verdict(3), Verdict::Matched);
        assert_eq!(marks.verdict(2), Verdict::Refused);
        marks.mark(5, Verdict::Skipped);
        marks.mark(9, Verdict::Matched);
        let verdicts: Vec<Verdict> = (0..11).map(|i| marks.verdict(i)).collect();
        use Verdict::*;
        assert_eq!(
            verdicts,
            [
                Refused, Refused, Refused, Matched, Refused, Skipped, Refused, Refused, Refused,
                Matched, Refused
            ]
        );
    }
}

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
pub mod context;
pub mod otlp;

use crate::clock::Clock;
use context::{TraceContext, TraceId};
use parking_lot::Mutex;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
    pub name: Cow<'static, str>,
    /// The ARN (or name) of what the span acted on.
    pub resource: Option<Resource>,
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

/// What a span acted on: its own copy, or a name its owner already shares (a rule's or a
/// target's ARN), so that recording the span copies nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Owned(String),
    Shared(Arc<str>),
}

impl std::ops::Deref for Resource {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Resource::Owned(s) => s,
            Resource::Shared(s) => s,
        }
    }
}

impl serde::Serialize for Resource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl From<String> for Resource {
    fn from(s: String) -> Self {
        Resource::Owned(s)
    }
}

impl From<&str> for Resource {
    fn from(s: &str) -> Self {
        Resource::Owned(s.to_string())
    }
}

impl From<&String> for Resource {
    fn from(s: &String) -> Self {
        Resource::Owned(s.clone())
    }
}

impl From<Arc<str>> for Resource {
    fn from(s: Arc<str>) -> Self {
        Resource::Shared(s)
    }
}

impl From<&Arc<str>> for Resource {
    fn from(s: &Arc<str>) -> Self {
        Resource::Shared(s.clone())
    }
}

/// An attribute's value as recorded: small typed values that cost no allocation (a constant,
/// a shared name, an id kept as its 16 bytes), turned into JSON only when the span is read.
#[derive(Debug, Clone)]
pub enum Attr {
    Json(Value),
    Static(&'static str),
    Shared(Arc<str>),
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
            None => Attr::Json(Value::from(text)),
        }
    }

    /// The value as text, when it is text (the trace list's `?resource=` filter).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Attr::Json(v) => v.as_str(),
            Attr::Static(s) => Some(s),
            Attr::Shared(s) => Some(s),
            Attr::Uuid(_)
            | Attr::Uuids(_)
            | Attr::OneUuid(_)
            | Attr::TraceId(_)
            | Attr::Count(_) => None,
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Attr::Json(v) => v.clone(),
            Attr::Static(s) => Value::from(*s),
            Attr::Shared(s) => Value::from(&**s),
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
    /// Where this thread writes an event before it is copied into its [`EventText`]: written
    /// in place, the text would grow (and be copied) a few times on the way.
    static EVENT_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl EventText {
    /// `event` as its text: one allocation, sized to it.
    pub fn of(event: &Value) -> EventText {
        EVENT_BUFFER.with(|buffer| {
            // Only this thread uses its buffer, and nothing here calls back in: the borrow
            // cannot be taken twice.
            let mut buffer = buffer.borrow_mut();
            buffer.clear();
            let text = match serde_json::to_writer(&mut *buffer, event) {
                Ok(()) => std::str::from_utf8(&buffer).unwrap_or("null"),
                Err(_) => "null",
            };
            let kept = EventText(Arc::from(text));
            // An unusually large event does not keep its buffer alive for good.
            if buffer.capacity() > 64 * 1024 {
                *buffer = Vec::new();
            }
            kept
        })
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
                    ("rule", Attr::Json(Value::from(name))),
                    ("eventId", Attr::Json(event["id"].clone())),
                ]
                .into_iter()
                .collect();
                if verdict == Verdict::Matched {
                    attributes.push(("matched", Attr::Json(Value::Bool(true))));
                    attributes.push(("targets", Attr::Json(Value::from(rule.targets))));
                } else if !explain {
                    attributes.push(("matched", Attr::Json(Value::Bool(false))));
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
                    attributes.push(("matched", Attr::Json(Value::Bool(false))));
                    attributes.push(("failedField", Attr::Json(Value::from(field))));
                    attributes.push(("reason", Attr::Json(Value::from(reason))));
                }
                Arc::new(Span {
                    trace: self.trace,
                    span_id: evaluation_span_id(self.span_id, i),
                    parent: self.parent,
                    service: self.service,
                    name: Cow::Borrowed("EvaluateRule"),
                    resource: Some(Resource::Shared(rule.arn.clone())),
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
pub struct Deferred(Arc<dyn Fn() -> Vec<(&'static str, Value)> + Send + Sync>);

impl Deferred {
    pub fn attributes(&self) -> Vec<(&'static str, Value)> {
        (self.0)()
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
        Span {
            trace: trace.id,
            span_id: trace.span,
            parent: trace.parent,
            service,
            name: name.into(),
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

    pub fn deferred(
        mut self,
        attributes: impl Fn() -> Vec<(&'static str, Value)> + Send + Sync + 'static,
    ) -> Span {
        self.deferred = Some(Deferred(Arc::new(attributes)));
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
    pub fn resource(mut self, resource: impl Into<Resource>) -> Span {
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
        self.attr_as(key, Attr::Json(value.into()))
    }

    /// An attribute kept as it is given (a constant or a shared name: no copy).
    #[inline]
    pub fn attr_as(mut self, key: &'static str, value: Attr) -> Span {
        self.attributes.push((key, value));
        self
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
    /// The ring, split by trace id so that concurrent requests (each its own trace) rarely
    /// meet on one lock; `sequence` orders traces across the shards.
    shards: Box<[Mutex<Ring>]>,
    sequence: AtomicU64,
    /// The OTLP exporter's queue, when `--otlp-endpoint` is set.
    export: Option<otlp::Queue>,
}

/// One shard's traces: at most `capacity` slots, taken in turn and, once all are taken,
/// reused oldest first (`next`), with the slot of each trace id. A new trace takes over the
/// oldest slot's buffer (its spans dropped, its room kept, see [`Inner::keep`]), so that in the
/// steady state keeping a span allocates nothing and frees nothing another thread allocated.
/// One lock around it all: a record is a hash lookup and a push, and readers copy the spans
/// out and render after letting go, so the lock is held for microseconds. Nothing awaits or
/// takes another lock while holding it (the OTLP queue's `try_send` never waits), so it cannot
/// deadlock.
#[derive(Default)]
struct Ring {
    slots: Vec<Slot>,
    /// The slot the next new trace takes once every slot is taken: the oldest.
    next: usize,
    index: HashMap<TraceId, u32, BuildHasherDefault<IdHasher>>,
}

/// One trace's spans, with the sequence number the trace got when its first span came (the
/// order of traces across the shards).
struct Slot {
    id: TraceId,
    seq: u64,
    spans: Vec<Span>,
}

/// Room for a flow's first spans (call, rule, delivery, message) at once.
const SLOT_SPANS: usize = 8;
/// A buffer that grew past this many spans (a long flow's) is not kept for the next trace.
const SLOT_SPANS_KEPT: usize = 64;

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

    fn keep(&self, span: Span) {
        // The buffer a new trace would take (taken before the lock so that it is not
        // allocated under it), and what the trace pushes out comes back in it, emptied once
        // the lock is let go: dropping an old trace's spans (and the event text its rule
        // evaluations keep) touches cold memory, which the next request on the shard should
        // not wait for.
        let mut spare = SPARE.take();
        if spare.capacity() == 0 {
            spare.reserve_exact(SLOT_SPANS);
        }
        let mut guard = self.shard(span.trace).lock();
        let ring = &mut *guard;
        match ring.index.get(&span.trace) {
            Some(&at) => {
                let kept = &mut ring.slots[at as usize].spans;
                // stepyard's own notes on the trace (why a chain was stopped) are kept
                // past the cap, within a small allowance.
                if kept.len() < MAX_SPANS_PER_TRACE
                    || (span.service == "stepyard"
                        && kept.len() < MAX_SPANS_PER_TRACE + STEPYARD_SPANS_PAST_CAP)
                {
                    kept.push(span);
                }
            }
            None => {
                let id = span.trace;
                spare.push(span);
                let slot = Slot {
                    id,
                    seq: self.sequence.fetch_add(1, Ordering::Relaxed),
                    spans: std::mem::take(&mut spare),
                };
                if ring.slots.len() < self.capacity {
                    ring.index.insert(id, ring.slots.len() as u32);
                    ring.slots.push(slot);
                } else {
                    let at = ring.next;
                    ring.next = (at + 1) % ring.slots.len();
                    let old = std::mem::replace(&mut ring.slots[at], slot);
                    ring.index.remove(&old.id);
                    ring.index.insert(id, at as u32);
                    spare = old.spans;
                }
            }
        }
        drop(guard);
        spare.clear();
        if spare.capacity() > SLOT_SPANS_KEPT {
            spare = Vec::new();
        }
        SPARE.set(spare);
    }
}

impl Tracer {
    /// A tracer keeping the `capacity` newest traces (0: off), exporting over OTLP to
    /// `otlp_endpoint` when given.
    pub fn new(clock: Clock, capacity: usize, otlp_endpoint: Option<&str>) -> Tracer {
        let export = otlp_endpoint.map(otlp::Queue::start);
        if capacity == 0 && export.is_none() {
            return Tracer::off();
        }
        Tracer {
            inner: Some(Arc::new(Inner {
                clock,
                capacity: capacity.div_ceil(SHARDS),
                shards: (0..SHARDS).map(|_| Mutex::new(Ring::default())).collect(),
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
            all.extend(ring.slots.iter().map(|slot| {
                let spans = slot.spans.iter().cloned().map(Arc::new).collect();
                (slot.seq, slot.id, spans)
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
            let ring = inner.shard(id).lock();
            let at = *ring.index.get(&id)?;
            ring.slots[at as usize]
                .spans
                .iter()
                .cloned()
                .map(Arc::new)
                .collect()
        };
        Some(expand_all(&spans))
    }

    /// Forgets every trace (`POST /_stepyard/reset`).
    pub fn clear(&self) {
        if let Some(inner) = &self.inner {
            for shard in inner.shards.iter() {
                let mut ring = shard.lock();
                ring.slots.clear();
                ring.index.clear();
                ring.next = 0;
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
            assert!(matches!(Attr::id(text), Attr::Json(_)), "{text}");
            assert_eq!(Attr::id(text).to_value(), Value::from(text));
        }
    }

    #[test]
    fn a_full_ring_keeps_the_newest_traces_each_with_only_its_own_spans_in_reused_slots() {
        // Two traces per shard: each new trace past that takes over the oldest one's slot.
        let tracer = Tracer::new(Clock::new(), 2 * SHARDS, None);
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

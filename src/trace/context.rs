//! Where a call stands in its trace (`TraceContext`) and the X-Ray trace id (`TraceId`): plain
//! values that every request carries (see `request.rs`), below everything that records or
//! reads spans.

/// The X-Ray trace id, `1-<8 hex: epoch seconds>-<24 hex: random>`, held as the 128-bit
/// number its 32 hex digits spell (which is also the OpenTelemetry trace id, so the ids match
/// in both worlds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId(pub u128);

impl TraceId {
    /// A new root: the time in its first 32 bits, as X-Ray's ids have it.
    pub fn new(epoch_secs: u64) -> TraceId {
        let random = uuid::Uuid::new_v4().as_u128() & ((1u128 << 96) - 1);
        TraceId(((epoch_secs as u128 & 0xffff_ffff) << 96) | random)
    }

    /// `1-5759e988-bd862e3fe1be46a994272793`, or `None` when it is not of that form.
    pub fn parse(text: &str) -> Option<TraceId> {
        let rest = text.strip_prefix("1-")?;
        let (time, random) = rest.split_once('-')?;
        if time.len() != 8 || random.len() != 24 {
            return None;
        }
        let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex(time) || !hex(random) {
            return None;
        }
        // The two parts read as numbers on their own: nothing is put together.
        let id =
            (u128::from_str_radix(time, 16).ok()? << 96) | u128::from_str_radix(random, 16).ok()?;
        (id != 0).then_some(TraceId(id))
    }

    /// The 32 hex digits without the `1-` and dashes (OpenTelemetry's form).
    pub fn hex(self) -> String {
        format!("{:032x}", self.0)
    }
}

impl std::fmt::Display for TraceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Written in place (no intermediate string): every in-process call formats one.
        write!(
            f,
            "1-{:08x}-{:024x}",
            self.0 >> 96,
            self.0 & ((1u128 << 96) - 1)
        )
    }
}

/// Where a call stands in its trace: the trace, its own span, the span that caused it, and
/// how many in-process hops (rule -> target, topic -> subscription, execution -> task,
/// status-change event ...) led to it; 0 for a client's request. Copied into everything a
/// call causes later (events, messages, executions, deliveries), so those join the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceContext {
    pub id: TraceId,
    pub span: u64,
    pub parent: Option<u64>,
    pub hops: u32,
    /// The causal chain: set once per client request and kept by everything it causes (even
    /// across a trace a header names), so that the chain's total work can be bounded (see
    /// [`crate::invoke::DEFAULT_CHAIN_BUDGET`]). 0 for no chain yet.
    pub chain: u64,
}

impl Default for TraceContext {
    fn default() -> Self {
        TraceContext::NONE
    }
}

/// A stored context (a durable message's trace) is its X-Ray header: `Root=...;Parent=...`
/// with the hop count after it, so that a restart keeps the loop bound too.
impl serde::Serialize for TraceContext {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!(
            "Root={};Parent={:016x};Hops={};Chain={:016x}",
            self.id, self.span, self.hops, self.chain
        ))
    }
}

impl<'de> serde::Deserialize<'de> for TraceContext {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut ctx = TraceContext::NONE;
        for part in text.split(';') {
            match part.split_once('=') {
                Some(("Root", root)) => {
                    ctx.id = TraceId::parse(root).ok_or_else(|| {
                        serde::de::Error::custom("a trace Root of the form 1-<8 hex>-<24 hex>")
                    })?;
                }
                Some(("Parent", span)) => {
                    ctx.span = u64::from_str_radix(span, 16)
                        .map_err(|_| serde::de::Error::custom("a trace Parent of 16 hex digits"))?;
                }
                Some(("Hops", hops)) => {
                    ctx.hops = hops
                        .parse()
                        .map_err(|_| serde::de::Error::custom("a trace Hops count"))?;
                }
                Some(("Chain", chain)) => {
                    ctx.chain = u64::from_str_radix(chain, 16)
                        .map_err(|_| serde::de::Error::custom("a trace Chain of 16 hex digits"))?;
                }
                _ => {
                    return Err(serde::de::Error::custom(
                        "a trace of the form Root=...;Parent=...;Hops=...",
                    ))
                }
            }
        }
        // Stored before chains existed: a chain of its own from here.
        if ctx.chain == 0 && !ctx.is_none() {
            ctx.chain = new_span_id();
        }
        Ok(ctx)
    }
}

impl TraceContext {
    /// No trace yet: an in-process call with it starts a new root.
    pub const NONE: TraceContext = TraceContext {
        id: TraceId(0),
        span: 0,
        parent: None,
        hops: 0,
        chain: 0,
    };

    pub fn is_none(&self) -> bool {
        self.id.0 == 0
    }

    /// A new trace whose first span is this context's.
    pub fn root(epoch_secs: u64) -> TraceContext {
        TraceContext {
            id: TraceId::new(epoch_secs),
            span: new_span_id(),
            parent: None,
            hops: 0,
            chain: new_span_id(),
        }
    }

    /// The context of a request that sent `X-Amzn-Trace-Id` (`Root=1-...;Parent=...;
    /// Sampled=1`): its root and parent, or a new root when the header names none.
    pub fn from_header(header: Option<&str>, epoch_secs: u64) -> TraceContext {
        let mut ctx = TraceContext::root(epoch_secs);
        if let Some((id, parent)) = header.and_then(parse_header) {
            ctx.id = id;
            ctx.parent = parent;
        }
        ctx
    }

    /// A new span of the same trace caused by this one (same hop count).
    pub fn child(&self) -> TraceContext {
        TraceContext {
            id: self.id,
            span: new_span_id(),
            parent: Some(self.span),
            hops: self.hops,
            chain: self.chain,
        }
    }

    /// This context, one in-process hop further (the span stays the cause).
    pub fn next_hop(&self) -> TraceContext {
        TraceContext {
            hops: self.hops.saturating_add(1),
            ..*self
        }
    }

    /// This context's trace with the trace (and parent span) a header names instead, when it
    /// names one (PutEvents entries' `TraceHeader`, StartExecution's `traceHeader`).
    pub fn adopting(&self, header: Option<&str>) -> TraceContext {
        match header.and_then(parse_header) {
            Some((id, parent)) if id != self.id => TraceContext {
                id,
                parent: parent.or(Some(self.span)),
                ..*self
            },
            _ => *self,
        }
    }

    /// The X-Ray header naming this span as the parent of what it sends on.
    pub fn header(&self) -> String {
        use std::fmt::Write;
        // 74 characters: one allocation, sized up front.
        let mut header = String::with_capacity(80);
        let _ = write!(
            header,
            "Root={};Parent={:016x};Sampled=1",
            self.id, self.span
        );
        header
    }
}

/// The root and parent of an `X-Amzn-Trace-Id`/`AWSTraceHeader` value.
pub fn parse_header(header: &str) -> Option<(TraceId, Option<u64>)> {
    let mut root = None;
    let mut parent = None;
    for part in header.split(';') {
        let (key, value) = part.trim().split_once('=')?;
        match key.trim() {
            "Root" => root = TraceId::parse(value.trim()),
            "Parent" => parent = u64::from_str_radix(value.trim(), 16).ok(),
            _ => {}
        }
    }
    root.map(|id| (id, parent))
}

/// A random, non-zero span id.
pub fn new_span_id() -> u64 {
    let (a, b) = uuid::Uuid::new_v4().as_u64_pair();
    (a ^ b).max(1)
}

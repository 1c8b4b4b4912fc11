//! Which services exist and what each service's calls look like, from the HTTP front door
//! or in process: the services' names and models (`ServiceId`), the wire protocol
//! (`Protocol`), who is calling (`RequestContext`, `Caller`, an AssumeRole `Session`). The bottom
//! of the house: it imports nothing above the models, so every layer can name a request.

use crate::model::{self, ServiceModel, ValidationOptions};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceId {
    Sqs,
    Sns,
    Events,
    StepFunctions,
    Sts,
}

impl ServiceId {
    pub const ALL: [ServiceId; 5] = [
        ServiceId::Sqs,
        ServiceId::Sns,
        ServiceId::Events,
        ServiceId::StepFunctions,
        ServiceId::Sts,
    ];

    /// The name used in SigV4 credential scopes, health output and `?service=`.
    pub fn name(self) -> &'static str {
        match self {
            ServiceId::Sqs => "sqs",
            ServiceId::Sns => "sns",
            ServiceId::Events => "events",
            ServiceId::StepFunctions => "states",
            ServiceId::Sts => "sts",
        }
    }

    /// LocalStack's health endpoint names Step Functions differently from the signing name.
    pub fn health_name(self) -> &'static str {
        match self {
            ServiceId::StepFunctions => "stepfunctions",
            other => other.name(),
        }
    }

    pub fn from_name(name: &str) -> Option<ServiceId> {
        match name {
            "sqs" => Some(ServiceId::Sqs),
            "sns" => Some(ServiceId::Sns),
            "events" | "eventbridge" => Some(ServiceId::Events),
            "states" | "stepfunctions" | "sfn" => Some(ServiceId::StepFunctions),
            "sts" => Some(ServiceId::Sts),
            _ => None,
        }
    }

    /// The service an `X-Amz-Target` prefix names.
    pub fn from_target_prefix(prefix: &str) -> Option<ServiceId> {
        match prefix {
            "AmazonSQS" => Some(ServiceId::Sqs),
            "AWSEvents" => Some(ServiceId::Events),
            "AWSStepFunctions" => Some(ServiceId::StepFunctions),
            _ => None,
        }
    }

    /// The model requests in the service's JSON (or only) protocol are checked against.
    pub fn model(self) -> &'static ServiceModel {
        match self {
            ServiceId::Sqs => model::sqs(),
            ServiceId::Sns => model::sns(),
            ServiceId::Events => model::events(),
            ServiceId::StepFunctions => model::stepfunctions(),
            ServiceId::Sts => model::sts(),
        }
    }

    /// The model that names the query protocol's wire members (SQS keeps its legacy one).
    pub fn query_model(self) -> &'static ServiceModel {
        match self {
            ServiceId::Sqs => model::sqs_query(),
            other => other.model(),
        }
    }

    /// SQS's JSON protocol also reports the legacy query error code in a header.
    pub fn query_compatible(self) -> bool {
        self == ServiceId::Sqs
    }

    /// How the service's awsQuery errors look: SNS leaves out SQS's empty `<Detail/>`.
    pub fn query_error_shape(self) -> crate::protocol::error::QueryErrorShape {
        use crate::protocol::error::QueryErrorShape;
        match self {
            ServiceId::Sns => QueryErrorShape::WithoutDetail,
            _ => QueryErrorShape::WithDetail,
        }
    }

    /// The prefix of `__type` in the service's awsJson errors, where it sends one.
    pub fn json_error_namespace(self) -> Option<&'static str> {
        match self {
            ServiceId::Sqs => Some("com.amazonaws.sqs"),
            _ => None,
        }
    }

    pub fn validation_options(self) -> ValidationOptions {
        match self {
            ServiceId::Sqs => ValidationOptions::TYPES_ONLY,
            ServiceId::Events | ServiceId::Sts => ValidationOptions::STRICT_WITH_PATTERNS,
            _ => ValidationOptions::STRICT,
        }
    }
}

/// The wire protocol a request arrived in; responses and errors go out in the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    AwsJson10,
    AwsJson11,
    AwsQuery,
}

/// Who is calling and from where: what a handler needs besides its input.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub account_id: String,
    pub region: String,
    pub request_id: String,
    /// `host[:port]` as the client addressed us (Host header), for URLs we hand out
    /// such as SQS queue URLs.
    pub host: String,
    pub protocol: Protocol,
    pub clock: crate::clock::Clock,
    /// The call comes from an AWS service acting inside stepyard (Step Functions putting its
    /// status-change events), which may do what a client may not: put `aws.*` events.
    pub aws_service: bool,
    /// The trace this call belongs to, its own span id, the span that caused it, and how
    /// many in-process hops led to it (see [`TraceContext`]).
    pub trace: TraceContext,
    /// Where the call's spans go (a no-op when tracing is off).
    pub tracer: crate::trace::Tracer,
    /// The AssumeRole session whose temporary credentials signed the request, if any: it
    /// chose `account_id`, and GetCallerIdentity names it.
    pub session: Option<Arc<Session>>,
    /// The request's `X-Amzn-Trace-Id` header, or for an in-process call the header of the
    /// trace that caused it: SQS stores it as a message's `AWSTraceHeader`, SNS passes it on
    /// to its SQS deliveries, Step Functions keeps it as the execution's `traceHeader`.
    pub trace_header: Option<String>,
}

/// Whose resources an in-process call acts on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caller {
    pub account_id: String,
    pub region: String,
    /// An AWS service's own call (see `RequestContext::aws_service`).
    pub aws_service: bool,
    /// The trace the call continues: its `span` is the span that causes the call (the
    /// parent of the call's own span), its `hops` the in-process hops before it (see
    /// [`crate::invoke::MAX_HOPS`]). [`TraceContext::NONE`] starts a new trace.
    pub trace: TraceContext,
}

impl Caller {
    pub fn new(account_id: impl Into<String>, region: impl Into<String>) -> Self {
        Caller {
            account_id: account_id.into(),
            region: region.into(),
            aws_service: false,
            trace: TraceContext::NONE,
        }
    }

    /// A caller one hop further along the causal chain of `trace` (its span is the cause).
    pub fn caused_by(
        account_id: impl Into<String>,
        region: impl Into<String>,
        trace: TraceContext,
    ) -> Self {
        Caller {
            trace: trace.next_hop(),
            ..Caller::new(account_id, region)
        }
    }

    /// The same caller, continuing `trace` (without adding a hop).
    pub fn in_trace(mut self, trace: TraceContext) -> Self {
        self.trace = trace;
        self
    }

    /// The same account and region, calling as an AWS service.
    pub fn as_aws_service(&self) -> Self {
        Caller {
            aws_service: true,
            ..self.clone()
        }
    }

    /// The same account, region and place in a causal chain as `ctx`.
    pub fn of(ctx: &RequestContext) -> Self {
        Caller {
            trace: ctx.trace,
            ..Caller::new(ctx.account_id.clone(), ctx.region.clone())
        }
    }
}

/// Who a set of temporary credentials acts as.
#[derive(Debug)]
pub struct Session {
    pub account_id: String,
    /// `arn:aws:sts::<account>:assumed-role/<role name>/<session name>`.
    pub arn: String,
    /// `<role id>:<session name>`, GetCallerIdentity's `UserId`.
    pub user_id: String,
    /// Epoch milliseconds on the server's clock.
    pub expires_at: u64,
    /// What `--verify-signatures` checks a request signed with this session's key against.
    pub secret_access_key: String,
}

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
        let id = u128::from_str_radix(&format!("{time}{random}"), 16).ok()?;
        (id != 0).then_some(TraceId(id))
    }

    /// The 32 hex digits without the `1-` and dashes (OpenTelemetry's form).
    pub fn hex(self) -> String {
        format!("{:032x}", self.0)
    }
}

impl std::fmt::Display for TraceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hex = self.hex();
        write!(f, "1-{}-{}", &hex[..8], &hex[8..])
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
        format!("Root={};Parent={:016x};Sampled=1", self.id, self.span)
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

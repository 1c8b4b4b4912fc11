//! Which services exist and what each service's calls look like, from the HTTP front door
//! or in process: the services' names and models (`ServiceId`), the wire protocol
//! (`Protocol`), who is calling (`RequestContext`, `Caller`, an AssumeRole `Session`). The bottom
//! of the house: it imports nothing above the models, so every layer can name a request.

use crate::model::{self, ServiceModel, ValidationOptions};
pub use crate::trace::context::{new_span_id, parse_header, TraceContext, TraceId};
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

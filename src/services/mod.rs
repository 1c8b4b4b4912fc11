//! The services (the four emulated ones, and the corner of STS that tools call first). Each exposes `call(ctx, operation, input) -> Result<Value, ApiError>`:
//! the input is already decoded from the wire into the JSON-protocol form (member names of
//! the JSON model, numbers as numbers, blobs as base64 strings) and validated against the
//! operation's input shape; the output is the JSON-protocol form of the output shape, which the
//! protocol layer encodes as JSON or XML.

pub mod events;
pub mod pagination;
pub(crate) mod policy;
pub mod registry;
pub mod sfn;
pub mod sns;
pub mod sqs;
pub mod sts;
pub(crate) mod tags;

pub use registry::ServiceId;

use crate::clock::Clock;

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
    pub clock: Clock,
    /// The call comes from an AWS service acting inside stepyard (Step Functions putting its
    /// status-change events), which may do what a client may not: put `aws.*` events.
    pub aws_service: bool,
    /// How many in-process hops (rule -> target, topic -> subscription, execution -> task,
    /// status-change event ...) led to this call; 0 for a client's request. See
    /// [`crate::invoke::MAX_HOPS`].
    pub hops: u32,
    /// The AssumeRole session whose temporary credentials signed the request, if any: it
    /// chose `account_id`, and GetCallerIdentity names it.
    pub session: Option<std::sync::Arc<sts::Session>>,
    /// The request's `X-Amzn-Trace-Id` header: SQS stores it as a message's `AWSTraceHeader`,
    /// SNS passes it on to its SQS deliveries.
    pub trace_header: Option<String>,
}

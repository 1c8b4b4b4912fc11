//! One path for every call into a service, over HTTP (the gateway) or in process (the
//! invoker, which holds the server's state as a [`Dispatch`]): once the call is routed and its
//! input decoded, the input is validated against the operation's model, then the service's
//! operation table calls the handler, or answers `NotImplemented` when it has none.

use crate::app::AppState;
use crate::clock::Clock;
use crate::error::ApiError;
use crate::invoke::{CallFuture, Dispatch};
use crate::model::{validate_input, Operation};
use crate::protocol::Output;
use crate::request::{RequestContext, ServiceId};
use crate::trace::calls::{record_call, Answer};
use serde_json::Value;
use std::borrow::Cow;
use std::net::SocketAddr;

/// Calls `service.operation`, an operation of the service's model (the callers answer unknown
/// ones, each in its own words), with its decoded `input`.
pub async fn call(
    state: &AppState,
    service: ServiceId,
    ctx: &RequestContext,
    operation: &str,
    input: Value,
) -> Result<Output, ApiError> {
    let (result, traced) = run(state, service, ctx, operation, input).await;
    match traced {
        Some(traced) => {
            // The span reads its members from the typed output as it is, or, for an output
            // whose entries it keeps too, from its JSON text, written once here (and sent as
            // it is by the JSON protocols); no `Value` is built for it.
            let members = match &result {
                Ok(output) if traced.read_output => output.members(),
                _ => None,
            };
            let result = match result {
                Ok(output) if traced.read_output && members.is_none() => Ok(output.encoded()),
                other => other,
            };
            traced.record(ctx, service, |read| match (&result, members) {
                (Ok(_), _) if !read => Answer::Unread,
                (Ok(_), Some(found)) => Answer::Members(found),
                (Ok(output), None) => Answer::Text(output.json_text().unwrap_or_default()),
                (Err(e), _) => Answer::Error(e),
            });
            result
        }
        None => result,
    }
}

/// The call's span, when tracing is on.
struct Traced {
    start_us: u64,
    resource: Option<crate::trace::Text>,
    name: Cow<'static, str>,
    /// Whether the output has a member the span keeps (else it is not read).
    read_output: bool,
}

impl Traced {
    /// Records the call's span; `answer` is told whether the output is to be read at all.
    fn record<'r>(
        self,
        ctx: &RequestContext,
        service: ServiceId,
        answer: impl FnOnce(bool) -> Answer<'r>,
    ) {
        let answer = answer(self.read_output);
        record_call(
            ctx,
            service,
            self.name,
            self.resource,
            self.start_us,
            answer,
        );
    }
}

/// Validates and runs the call.
async fn run(
    state: &AppState,
    service: ServiceId,
    ctx: &RequestContext,
    operation: &str,
    input: Value,
) -> (Result<Output, ApiError>, Option<Traced>) {
    let op = service.model().operation(operation);
    // The call's span: its resource is read before the handler takes the input, and nothing
    // is read at all when tracing is off. The model's own copy of the operation's name lives
    // as long as the program: no copy per call.
    let traced = ctx.tracer.enabled().then(|| Traced {
        start_us: ctx.tracer.now_us(),
        resource: crate::trace::calls::resource_of(&input, ctx),
        name: op.map_or_else(
            || Cow::Owned(operation.to_string()),
            |op| Cow::Borrowed(op.name.as_str()),
        ),
        read_output: op
            .is_none_or(|op| crate::trace::calls::output_has_seen_members(service.model(), op)),
    });
    let result = match validate(service, op, &input) {
        Err(e) => Err(e),
        Ok(()) => match service {
            ServiceId::Sqs => state.sqs.call(ctx, operation, input).await,
            ServiceId::StepFunctions => state.sfn.call(ctx, operation, input).await,
            ServiceId::Sns => state.sns.call(ctx, operation, input).await,
            ServiceId::Events => state.events.call(ctx, operation, input).await,
            ServiceId::Sts => state.sts.call(ctx, operation, input).await,
        },
    };
    (result, traced)
}

/// Checks `input` against the input shape of `op`, an operation of `service`'s model, and
/// answers a violation in the service's words.
fn validate(service: ServiceId, op: Option<&Operation>, input: &Value) -> Result<(), ApiError> {
    let model = service.model();
    match op.and_then(|op| op.input.as_ref()) {
        Some(shape) => validate_input(model, shape, input, service.validation_options())
            .map_err(|all| service.validation_error(&all)),
        None => Ok(()),
    }
}

impl Dispatch for AppState {
    fn dispatch<'a>(
        &'a self,
        service: ServiceId,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> CallFuture<'a> {
        Box::pin(async move {
            let (result, traced) = run(self, service, ctx, operation, input).await;
            // The caller reads a `Value`: the span reads its members from that same value
            // (nothing written as JSON and read back for it).
            let result = result.map(|output| output.to_value());
            if let Some(traced) = traced {
                traced.record(ctx, service, |read| match &result {
                    Ok(_) if !read => Answer::Unread,
                    Ok(value) => Answer::Value(value),
                    Err(e) => Answer::Error(e),
                });
            }
            result
        })
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

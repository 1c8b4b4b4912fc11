//! One path for every call into a service, over HTTP (the gateway) or in process (the
//! invoker, which holds the server's state as a [`Dispatch`]): once the call is routed and its
//! input decoded, the input is validated against the operation's model, then the service's
//! operation table calls the handler, or answers `NotImplemented` when it has none.

use crate::app::AppState;
use crate::clock::Clock;
use crate::error::ApiError;
use crate::invoke::{CallFuture, Dispatch};
use crate::model::validate_input;
use crate::protocol::Output;
use crate::request::{RequestContext, ServiceId};
use serde_json::Value;
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
    // The call's span: its resource is read before the handler takes the input, and nothing
    // is read at all when tracing is off.
    let traced = ctx.tracer.enabled().then(|| {
        (
            ctx.tracer.now_us(),
            crate::trace::calls::resource_of(&input, ctx),
        )
    });
    let result = match validate(service, operation, &input) {
        Err(e) => Err(e),
        Ok(()) => match service {
            ServiceId::Sqs => state.sqs.call(ctx, operation, input).await,
            ServiceId::StepFunctions => state.sfn.call(ctx, operation, input).await,
            ServiceId::Sns => state.sns.call(ctx, operation, input).await,
            ServiceId::Events => state.events.call(ctx, operation, input).await,
            ServiceId::Sts => state.sts.call(ctx, operation, input).await,
        },
    };
    match traced {
        Some((start_us, resource)) => {
            // The span reads its members from the output's JSON text, written once here (and
            // sent as it is by the JSON protocols); no `Value` is built for it.
            let result = result.map(Output::encoded);
            let seen = match &result {
                Ok(output) => Ok(output.json_text().unwrap_or_default()),
                Err(e) => Err(e),
            };
            crate::trace::calls::record_call(ctx, service, operation, resource, start_us, seen);
            result
        }
        None => result,
    }
}

/// Checks `input` against the input shape of `service.operation` in the service's model,
/// and answers a violation in the service's words.
fn validate(service: ServiceId, operation: &str, input: &Value) -> Result<(), ApiError> {
    let model = service.model();
    match model.operation(operation).and_then(|op| op.input.as_ref()) {
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
            call(self, service, ctx, operation, input)
                .await
                .map(|output| output.to_value())
        })
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

//! A service's operation table: one entry per operation it implements, naming the handler
//! that answers it. Calls reach a service's handlers only through its table, so the list of
//! implemented operations (the `NotImplemented` answer, the coverage report in the README)
//! is read off the same table that dispatches.
//!
//! A handler gets the operation's input in the JSON-protocol form, already checked against
//! the model (see `crate::dispatch`); a typed one (`typed!`) gets it deserialised into its
//! input struct by the table.

use crate::error::ApiError;
use crate::request::{RequestContext, ServiceId};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What an asynchronous handler returns.
pub type HandlerFuture<'a, E> = Pin<Box<dyn Future<Output = Result<Value, E>> + Send + 'a>>;

/// A handler answering at once.
pub type SyncHandler<S, E> = fn(&S, &RequestContext, Value) -> Result<Value, E>;

/// A handler that starts background work (deliveries, replays, message moves), which holds
/// the service's shared state.
pub type SharedHandler<S, E> = fn(&Arc<S>, &RequestContext, Value) -> Result<Value, E>;

/// A handler that waits (long polls, synchronous executions, TestState).
pub type AsyncHandler<S, E> = for<'a> fn(&'a S, &'a RequestContext, Value) -> HandlerFuture<'a, E>;

pub enum Handler<S: 'static, E: 'static> {
    Sync(SyncHandler<S, E>),
    Shared(SharedHandler<S, E>),
    Async(AsyncHandler<S, E>),
}

/// One implemented operation.
pub struct Operation<S: 'static, E: 'static> {
    pub name: &'static str,
    pub handler: Handler<S, E>,
}

/// An operation answered at once.
pub const fn op<S, E>(name: &'static str, handler: SyncHandler<S, E>) -> Operation<S, E> {
    Operation {
        name,
        handler: Handler::Sync(handler),
    }
}

/// An operation whose handler starts background work.
pub const fn op_shared<S, E>(name: &'static str, handler: SharedHandler<S, E>) -> Operation<S, E> {
    Operation {
        name,
        handler: Handler::Shared(handler),
    }
}

/// An operation whose handler waits.
pub const fn op_async<S, E>(name: &'static str, handler: AsyncHandler<S, E>) -> Operation<S, E> {
    Operation {
        name,
        handler: Handler::Async(handler),
    }
}

/// A service's table, sorted by operation name (`coverage`'s unit test checks it).
pub struct Operations<S: 'static, E: 'static> {
    pub service: ServiceId,
    pub operations: &'static [Operation<S, E>],
}

impl<S, E: Into<ApiError>> Operations<S, E> {
    /// The implemented operations' names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.operations.iter().map(|op| op.name)
    }

    fn find(&self, name: &str) -> Option<&Operation<S, E>> {
        self.operations
            .binary_search_by(|op| op.name.cmp(name))
            .ok()
            .map(|i| &self.operations[i])
    }

    /// Calls `name`'s handler, or answers `NotImplemented` when the table has none.
    pub async fn call(
        &self,
        state: &Arc<S>,
        ctx: &RequestContext,
        name: &str,
        input: Value,
    ) -> Result<Value, ApiError> {
        let Some(operation) = self.find(name) else {
            return Err(not_implemented(self.service, name));
        };
        let result = match operation.handler {
            Handler::Sync(handler) => handler(state, ctx, input),
            Handler::Shared(handler) => handler(state, ctx, input),
            Handler::Async(handler) => handler(state, ctx, input).await,
        };
        result.map_err(Into::into)
    }
}

/// An operation of the service's model that stepyard has no handler for.
pub fn not_implemented(service: ServiceId, operation: &str) -> ApiError {
    ApiError::new(
        "NotImplemented",
        format!(
            "stepyard does not implement {}.{operation} yet",
            service.name()
        ),
        501,
    )
}

/// How a service answers an input that passed the model's checks but does not deserialise
/// into its handler's input struct.
pub trait InvalidInput {
    fn invalid_input(error: serde_json::Error) -> Self;
}

/// Deserialises an operation's input (already checked against the model) for a typed handler.
pub fn parse<T: DeserializeOwned, E: InvalidInput>(input: Value) -> Result<T, E> {
    serde_json::from_value(input).map_err(E::invalid_input)
}

/// The table's handler for a typed handler function `(state, ctx, In) -> Result<Value, E>`:
/// it deserialises the input (see [`parse`]) and calls the function.
macro_rules! typed {
    ($handler:path) => {
        |state, ctx, input| $handler(state, ctx, $crate::services::handlers::parse(input)?)
    };
}
pub(crate) use typed;

/// [`typed!`] for a handler that waits: `async fn(state, ctx, In) -> Result<Value, E>`.
macro_rules! typed_async {
    ($handler:path) => {
        |state, ctx, input| {
            Box::pin(async move {
                $handler(state, ctx, $crate::services::handlers::parse(input)?).await
            })
        }
    };
}
pub(crate) use typed_async;

/// A service's two entry points over its operation table `$table` (whose handlers take the
/// service's `inner` state): `call`, which the dispatch path uses once the input is checked
/// against the model, and `operations`, the implemented names behind the coverage report.
macro_rules! table_entry_points {
    ($table:ident) => {
        /// Calls `operation`'s handler with an input already checked against the model.
        pub async fn call(
            &self,
            ctx: &$crate::request::RequestContext,
            operation: &str,
            input: serde_json::Value,
        ) -> Result<serde_json::Value, $crate::error::ApiError> {
            $table.call(&self.inner, ctx, operation, input).await
        }

        /// The operations this build handles.
        pub fn operations() -> impl Iterator<Item = &'static str> {
            $table.names()
        }
    };
}
pub(crate) use table_entry_points;

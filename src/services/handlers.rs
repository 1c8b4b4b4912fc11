//! A service's operation table: one entry per operation it implements, naming the handler
//! that answers it. Calls reach a service's handlers only through its table, so the list of
//! implemented operations (the `NotImplemented` answer, the coverage report in the README)
//! is read off the same table that dispatches.
//!
//! A handler gets the operation's input deserialised into its input struct by the table, from
//! the JSON-protocol form already checked against the model (see `crate::dispatch`). Every
//! service writes its table with [`operations!`].

use crate::error::ApiError;
use crate::protocol::Output;
use crate::request::{RequestContext, ServiceId};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

/// What a handler that waits returns.
pub type HandlerFuture<'a, E> = Pin<Box<dyn Future<Output = Result<Output, E>> + Send + 'a>>;

/// A handler answering at once. It gets the service's shared state, so one that starts
/// background work (deliveries, replays, message moves) can hand a clone to it; the others
/// take `&S` and the table's closure derefs to it.
pub type NowHandler<S, E> = fn(&Arc<S>, &RequestContext, Value) -> Result<Output, E>;

/// A handler that waits (long polls, synchronous executions, TestState).
pub type WaitingHandler<S, E> =
    for<'a> fn(&'a Arc<S>, &'a RequestContext, Value) -> HandlerFuture<'a, E>;

pub enum Handler<S: 'static, E: 'static> {
    Now(NowHandler<S, E>),
    Waits(WaitingHandler<S, E>),
}

/// One implemented operation.
pub struct Operation<S: 'static, E: 'static> {
    pub name: &'static str,
    pub handler: Handler<S, E>,
}

/// A service's table, written with [`operations!`] grouped by the file that handles each
/// operation; calls find their entry by name through an index sorted on first use.
pub struct Operations<S: 'static, E: 'static> {
    service: ServiceId,
    operations: &'static [Operation<S, E>],
    by_name: OnceLock<Vec<&'static Operation<S, E>>>,
}

impl<S, E: Into<ApiError>> Operations<S, E> {
    pub const fn new(service: ServiceId, operations: &'static [Operation<S, E>]) -> Self {
        Operations {
            service,
            operations,
            by_name: OnceLock::new(),
        }
    }

    /// The entries sorted by name (`coverage`'s unit test checks no name comes twice). Built
    /// once; the `OnceLock`'s initialiser only sorts (it calls no handler and takes no other
    /// lock), so a racing first call waits for it briefly and nothing can deadlock.
    fn by_name(&self) -> &[&'static Operation<S, E>] {
        self.by_name.get_or_init(|| {
            let mut sorted: Vec<_> = self.operations.iter().collect();
            sorted.sort_by_key(|op| op.name);
            sorted
        })
    }

    /// The implemented operations' names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_name().iter().map(|op| op.name)
    }

    /// Calls `name`'s handler, or answers `NotImplemented` when the table has none.
    pub async fn call(
        &self,
        state: &Arc<S>,
        ctx: &RequestContext,
        name: &str,
        input: Value,
    ) -> Result<Output, ApiError> {
        let by_name = self.by_name();
        let Ok(i) = by_name.binary_search_by(|op| op.name.cmp(name)) else {
            return Err(not_implemented(self.service, name));
        };
        let result = match by_name[i].handler {
            Handler::Now(handler) => handler(state, ctx, input),
            Handler::Waits(handler) => handler(state, ctx, input).await,
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

/// A service's operation table, grouped by the file (module) that handles the operations:
///
/// ```ignore
/// operations! {
///     static OPERATIONS: Operations<Inner, SqsError> = ServiceId::Sqs;
///     queues: CreateQueue = create_queue, DeleteQueue = delete_queue;
///     receive: ReceiveMessage = receive_message.await;
/// }
/// ```
///
/// Each `Name = handler` is `module::handler(state, ctx, In) -> Result<Out, E>` with `In:
/// Deserialize` and `Out: Serialize`; the table deserialises the input (see [`parse`]) before
/// calling it and keeps the output typed for the encoder.
/// `handler.await` marks a handler that waits (`async fn`). `state` is `&Inner` or, for a
/// handler that starts background work, `&Arc<Inner>`. From this one table come the
/// dispatch (`$table.call`, with `NotImplemented` for the rest of the model) and the
/// implemented names (`operation_names()`, which the README's coverage report lists).
macro_rules! operations {
    (
        $(#[$doc:meta])*
        static $table:ident: Operations<$state:ty, $error:ty> = $service:expr;
        $($module:ident: $($name:ident = $handler:ident $(.$wait:tt)?),+;)+
    ) => {
        $(#[$doc])*
        static $table: $crate::services::handlers::Operations<$state, $error> =
            $crate::services::handlers::Operations::new(
                $service,
                &[$($(
                    $crate::services::handlers::Operation {
                        name: stringify!($name),
                        handler: $crate::services::handlers::operations!(
                            @handler $module::$handler $($wait)?
                        ),
                    },
                )+)+],
            );

        /// The operations this build handles (the coverage report; the rest of the model
        /// answers `NotImplemented`).
        pub(crate) fn operation_names() -> impl Iterator<Item = &'static str> {
            $table.names()
        }
    };
    (@handler $module:ident::$handler:ident) => {
        $crate::services::handlers::Handler::Now(|state, ctx, input| {
            $module::$handler(state, ctx, $crate::services::handlers::parse(input)?)
                .map($crate::protocol::Output::new)
        })
    };
    (@handler $module:ident::$handler:ident await) => {
        $crate::services::handlers::Handler::Waits(|state, ctx, input| {
            Box::pin(async move {
                $module::$handler(state, ctx, $crate::services::handlers::parse(input)?)
                    .await
                    .map($crate::protocol::Output::new)
            })
        })
    };
}
pub(crate) use operations;

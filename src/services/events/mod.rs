//! Amazon EventBridge: event buses, rules and their targets, PutEvents with delivery to the
//! targets, schedules, archives and replays, connections and API destinations. This file is
//! the operation table; each concern has its file. The pattern language lives in
//! `crate::pattern`; `matcher.rs` is the one place that calls it.

mod archives;
mod arn;
mod buses;
mod connections;
mod delivery;
mod destinations;
mod endpoints;
mod errors;
mod event;
mod input;
mod matcher;
mod no_resources;
mod pagination;
mod permissions;
mod put_events;
mod replays;
mod rules;
mod schedule;
mod scheduler;
mod store;
mod tags;
mod targets;
mod test_pattern;

pub use errors::EventsError;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::invoke::Invoker;
use crate::request::{RequestContext, ServiceId};
use crate::services::handlers::{op, op_shared, Operations};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use store::Store;

pub struct Events {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    clock: Clock,
    invoker: Invoker,
    store: Store,
    /// Wakes the scheduler when a scheduled rule is added or changed.
    schedule_changed: tokio::sync::Notify,
    /// A wake for `settle` from a schedule change until the scheduler has re-planned (see
    /// `scheduler.rs`); one is enough however many changes come before it runs.
    replan: parking_lot::Mutex<Option<crate::settle::Wake>>,
}

impl Events {
    /// Built inside the server's runtime: starts the scheduler task, which ends when the
    /// service is dropped.
    pub fn new(clock: Clock, invoker: Invoker) -> Self {
        let inner = Arc::new(Inner {
            clock,
            invoker,
            store: Store::default(),
            schedule_changed: tokio::sync::Notify::new(),
            replan: parking_lot::Mutex::new(None),
        });
        scheduler::start(&inner);
        Events { inner }
    }

    /// Calls `operation`'s handler with an input already checked against the model.
    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ApiError> {
        OPERATIONS.call(&self.inner, ctx, operation, input).await
    }

    /// The operations this build handles.
    pub fn operations() -> impl Iterator<Item = &'static str> {
        OPERATIONS.names()
    }

    /// Wipes every bus, rule, archive, replay, connection and schedule.
    pub fn reset(&self) {
        self.inner.store.clear();
        self.inner.schedule_changed();
    }
}

/// The operation table, sorted by name.
static OPERATIONS: Operations<Inner, EventsError> = Operations {
    service: ServiceId::Events,
    operations: &[
        op("ActivateEventSource", |_, _, input| {
            no_resources::event_source(input)
        }),
        op("CancelReplay", replays::cancel),
        op("CreateApiDestination", destinations::create),
        op("CreateArchive", archives::create),
        op("CreateConnection", connections::create),
        op("CreateEndpoint", endpoints::create),
        op("CreateEventBus", buses::create),
        op("CreatePartnerEventSource", |_, _, input| {
            no_resources::create_partner_event_source(input)
        }),
        op("DeactivateEventSource", |_, _, input| {
            no_resources::event_source(input)
        }),
        op("DeauthorizeConnection", connections::deauthorize),
        op("DeleteApiDestination", destinations::delete),
        op("DeleteArchive", archives::delete),
        op("DeleteConnection", connections::delete),
        op("DeleteEndpoint", endpoints::delete),
        op("DeleteEventBus", buses::delete),
        op("DeletePartnerEventSource", |_, _, input| {
            no_resources::delete_partner_event_source(input)
        }),
        op("DeleteRule", rules::delete),
        op("DescribeApiDestination", destinations::describe),
        op("DescribeArchive", archives::describe),
        op("DescribeConnection", connections::describe),
        op("DescribeEndpoint", endpoints::describe),
        op("DescribeEventBus", buses::describe),
        op("DescribeEventSource", |_, _, input| {
            no_resources::event_source(input)
        }),
        op("DescribePartnerEventSource", |_, _, input| {
            no_resources::partner_event_source(input)
        }),
        op("DescribeReplay", replays::describe),
        op("DescribeRule", rules::describe),
        op("DisableRule", |ev, ctx, input| {
            rules::set_state(ev, ctx, input, "DISABLED")
        }),
        op("EnableRule", |ev, ctx, input| {
            rules::set_state(ev, ctx, input, "ENABLED")
        }),
        op("ListApiDestinations", destinations::list),
        op("ListArchives", archives::list),
        op("ListConnections", connections::list),
        op("ListEndpoints", endpoints::list),
        op("ListEventBuses", buses::list),
        op("ListEventSources", |_, _, input| {
            no_resources::list_event_sources(input)
        }),
        op("ListPartnerEventSourceAccounts", |_, _, input| {
            no_resources::partner_event_source(input)
        }),
        op("ListPartnerEventSources", |_, _, input| {
            no_resources::list_partner_event_sources(input)
        }),
        op("ListReplays", replays::list),
        op("ListRuleNamesByTarget", rules::list_names_by_target),
        op("ListRules", rules::list),
        op("ListTagsForResource", tags::list),
        op("ListTargetsByRule", targets::list),
        op_shared("PutEvents", put_events::put_events),
        op("PutPartnerEvents", |_, _, input| {
            no_resources::put_partner_events(input)
        }),
        op("PutPermission", permissions::put),
        op("PutRule", rules::put),
        op("PutTargets", targets::put),
        op("RemovePermission", permissions::remove),
        op("RemoveTargets", targets::remove),
        op_shared("StartReplay", replays::start),
        op("TagResource", tags::tag),
        op("TestEventPattern", |_, _, input| {
            test_pattern::test_event_pattern(input)
        }),
        op("UntagResource", tags::untag),
        op("UpdateApiDestination", destinations::update),
        op("UpdateArchive", archives::update),
        op("UpdateConnection", connections::update),
        op("UpdateEndpoint", endpoints::update),
        op("UpdateEventBus", buses::update),
    ],
};

impl Inner {
    /// Tells the scheduler its plan changed, counting as busy until it has re-planned.
    fn schedule_changed(&self) {
        self.replan
            .lock()
            .get_or_insert_with(|| self.clock.tracker().wake());
        self.schedule_changed.notify_one();
    }

    fn now(&self) -> u64 {
        self.clock.now_millis()
    }

    /// Runs `f` on the caller's (account, region) under the store lock.
    fn region<R>(&self, ctx: &RequestContext, f: impl FnOnce(&mut store::Region) -> R) -> R {
        self.store.with(&ctx.account_id, &ctx.region, self.now(), f)
    }
}

/// Deserialises an operation's input (already checked against the model by the gateway).
fn parse<T: DeserializeOwned>(input: Value) -> Result<T, EventsError> {
    serde_json::from_value(input)
        .map_err(|e| EventsError::validation(format!("Invalid request: {e}")))
}

/// awsJson timestamps are epoch seconds.
fn timestamp(ms: u64) -> Value {
    Value::from(ms as f64 / 1000.0)
}

/// An empty JSON result.
fn empty() -> Value {
    Value::Object(Default::default())
}

/// Drops `null` members, so optional outputs are simply absent as AWS sends them.
fn compact(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

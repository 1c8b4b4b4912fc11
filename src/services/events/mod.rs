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
use crate::request::RequestContext;
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
    pub const OPERATIONS: &'static [&'static str] = &[
        "ActivateEventSource",
        "CancelReplay",
        "CreateApiDestination",
        "CreateArchive",
        "CreateConnection",
        "CreateEndpoint",
        "CreateEventBus",
        "CreatePartnerEventSource",
        "DeactivateEventSource",
        "DeauthorizeConnection",
        "DeleteApiDestination",
        "DeleteArchive",
        "DeleteConnection",
        "DeleteEndpoint",
        "DeleteEventBus",
        "DeletePartnerEventSource",
        "DeleteRule",
        "DescribeApiDestination",
        "DescribeArchive",
        "DescribeConnection",
        "DescribeEndpoint",
        "DescribeEventBus",
        "DescribeEventSource",
        "DescribePartnerEventSource",
        "DescribeReplay",
        "DescribeRule",
        "DisableRule",
        "EnableRule",
        "ListApiDestinations",
        "ListArchives",
        "ListConnections",
        "ListEndpoints",
        "ListEventBuses",
        "ListEventSources",
        "ListPartnerEventSourceAccounts",
        "ListPartnerEventSources",
        "ListReplays",
        "ListRuleNamesByTarget",
        "ListRules",
        "ListTagsForResource",
        "ListTargetsByRule",
        "PutEvents",
        "PutPartnerEvents",
        "PutPermission",
        "PutRule",
        "PutTargets",
        "RemovePermission",
        "RemoveTargets",
        "StartReplay",
        "TagResource",
        "TestEventPattern",
        "UntagResource",
        "UpdateApiDestination",
        "UpdateArchive",
        "UpdateConnection",
        "UpdateEndpoint",
        "UpdateEventBus",
    ];

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

    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ApiError> {
        let ev = &self.inner;
        let result = match operation {
            "ActivateEventSource" | "DeactivateEventSource" | "DescribeEventSource" => {
                no_resources::event_source(input)
            }
            "CancelReplay" => replays::cancel(ev, ctx, input),
            "CreateApiDestination" => destinations::create(ev, ctx, input),
            "CreateArchive" => archives::create(ev, ctx, input),
            "CreateConnection" => connections::create(ev, ctx, input),
            "CreateEndpoint" => endpoints::create(ev, ctx, input),
            "CreateEventBus" => buses::create(ev, ctx, input),
            "CreatePartnerEventSource" => no_resources::create_partner_event_source(input),
            "DeauthorizeConnection" => connections::deauthorize(ev, ctx, input),
            "DeleteApiDestination" => destinations::delete(ev, ctx, input),
            "DeleteArchive" => archives::delete(ev, ctx, input),
            "DeleteConnection" => connections::delete(ev, ctx, input),
            "DeleteEndpoint" => endpoints::delete(ev, ctx, input),
            "DescribeEndpoint" => endpoints::describe(ev, ctx, input),
            "UpdateEndpoint" => endpoints::update(ev, ctx, input),
            "DeleteEventBus" => buses::delete(ev, ctx, input),
            "DeletePartnerEventSource" => no_resources::delete_partner_event_source(input),
            "DescribePartnerEventSource" => no_resources::partner_event_source(input),
            "DeleteRule" => rules::delete(ev, ctx, input),
            "DescribeApiDestination" => destinations::describe(ev, ctx, input),
            "DescribeArchive" => archives::describe(ev, ctx, input),
            "DescribeConnection" => connections::describe(ev, ctx, input),
            "DescribeEventBus" => buses::describe(ev, ctx, input),
            "DescribeReplay" => replays::describe(ev, ctx, input),
            "DescribeRule" => rules::describe(ev, ctx, input),
            "DisableRule" => rules::set_state(ev, ctx, input, "DISABLED"),
            "EnableRule" => rules::set_state(ev, ctx, input, "ENABLED"),
            "ListApiDestinations" => destinations::list(ev, ctx, input),
            "ListArchives" => archives::list(ev, ctx, input),
            "ListConnections" => connections::list(ev, ctx, input),
            "ListEndpoints" => endpoints::list(ev, ctx, input),
            "ListEventBuses" => buses::list(ev, ctx, input),
            "ListEventSources" => no_resources::list_event_sources(input),
            "ListPartnerEventSourceAccounts" => no_resources::partner_event_source(input),
            "ListPartnerEventSources" => no_resources::list_partner_event_sources(input),
            "ListReplays" => replays::list(ev, ctx, input),
            "ListRuleNamesByTarget" => rules::list_names_by_target(ev, ctx, input),
            "ListRules" => rules::list(ev, ctx, input),
            "ListTagsForResource" => tags::list(ev, ctx, input),
            "ListTargetsByRule" => targets::list(ev, ctx, input),
            "PutEvents" => put_events::put_events(ev, ctx, input),
            "PutPartnerEvents" => no_resources::put_partner_events(input),
            "PutPermission" => permissions::put(ev, ctx, input),
            "PutRule" => rules::put(ev, ctx, input),
            "PutTargets" => targets::put(ev, ctx, input),
            "RemovePermission" => permissions::remove(ev, ctx, input),
            "RemoveTargets" => targets::remove(ev, ctx, input),
            "StartReplay" => replays::start(ev, ctx, input),
            "TagResource" => tags::tag(ev, ctx, input),
            "TestEventPattern" => test_pattern::test_event_pattern(input),
            "UntagResource" => tags::untag(ev, ctx, input),
            "UpdateApiDestination" => destinations::update(ev, ctx, input),
            "UpdateArchive" => archives::update(ev, ctx, input),
            "UpdateConnection" => connections::update(ev, ctx, input),
            "UpdateEventBus" => buses::update(ev, ctx, input),
            other => {
                return Err(ApiError::sender(
                    "UnknownOperationException",
                    format!("Unknown operation {other}"),
                ))
            }
        };
        result.map_err(ApiError::from)
    }

    /// Wipes every bus, rule, archive, replay, connection and schedule.
    pub fn reset(&self) {
        self.inner.store.clear();
        self.inner.schedule_changed();
    }
}

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

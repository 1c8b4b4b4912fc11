//! Amazon EventBridge: event buses, rules and their targets, PutEvents with delivery to the
//! targets, schedules, archives and replays, connections and API destinations. This file is
//! the operation table; each concern has its file. The pattern language is the crate
//! `event_pattern` (`crates/event-pattern`); `matcher.rs` is the one place that calls it.

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
use crate::invoke::Invoker;
use crate::request::{RequestContext, ServiceId};
use crate::services::handlers::{self, op, op_shared, typed, InvalidInput, Operations};
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

    crate::services::handlers::table_entry_points!(OPERATIONS);

    /// Wipes every bus, rule, archive, replay, connection and schedule.
    pub fn reset(&self) {
        self.inner.store.clear();
        self.inner.schedule_changed();
    }

    /// Every (account, region) holding more than the default bus every region starts with.
    pub fn occupied_regions(&self) -> Vec<(String, String)> {
        self.inner.store.regions_where(|region| {
            region.buses.len() > 1
                || region.buses.values().any(|bus| !bus.rules.is_empty())
                || !region.archives.is_empty()
                || !region.connections.is_empty()
                || !region.api_destinations.is_empty()
                || !region.endpoints.is_empty()
        })
    }
}

/// The operation table, sorted by name.
static OPERATIONS: Operations<Inner, EventsError> = Operations {
    service: ServiceId::Events,
    operations: &[
        op("ActivateEventSource", typed!(no_resources::event_source)),
        op("CancelReplay", typed!(replays::cancel)),
        op("CreateApiDestination", typed!(destinations::create)),
        op("CreateArchive", typed!(archives::create)),
        op("CreateConnection", typed!(connections::create)),
        op("CreateEndpoint", typed!(endpoints::create)),
        op("CreateEventBus", typed!(buses::create)),
        op(
            "CreatePartnerEventSource",
            typed!(no_resources::create_partner_event_source),
        ),
        op("DeactivateEventSource", typed!(no_resources::event_source)),
        op("DeauthorizeConnection", typed!(connections::deauthorize)),
        op("DeleteApiDestination", typed!(destinations::delete)),
        op("DeleteArchive", typed!(archives::delete)),
        op("DeleteConnection", typed!(connections::delete)),
        op("DeleteEndpoint", typed!(endpoints::delete)),
        op("DeleteEventBus", typed!(buses::delete)),
        op(
            "DeletePartnerEventSource",
            typed!(no_resources::delete_partner_event_source),
        ),
        op("DeleteRule", typed!(rules::delete)),
        op("DescribeApiDestination", typed!(destinations::describe)),
        op("DescribeArchive", typed!(archives::describe)),
        op("DescribeConnection", typed!(connections::describe)),
        op("DescribeEndpoint", typed!(endpoints::describe)),
        op("DescribeEventBus", typed!(buses::describe)),
        op("DescribeEventSource", typed!(no_resources::event_source)),
        op(
            "DescribePartnerEventSource",
            typed!(no_resources::partner_event_source),
        ),
        op("DescribeReplay", typed!(replays::describe)),
        op("DescribeRule", typed!(rules::describe)),
        op("DisableRule", typed!(rules::disable)),
        op("EnableRule", typed!(rules::enable)),
        op("ListApiDestinations", typed!(destinations::list)),
        op("ListArchives", typed!(archives::list)),
        op("ListConnections", typed!(connections::list)),
        op("ListEndpoints", typed!(endpoints::list)),
        op("ListEventBuses", typed!(buses::list)),
        op("ListEventSources", typed!(no_resources::list_event_sources)),
        op(
            "ListPartnerEventSourceAccounts",
            typed!(no_resources::partner_event_source),
        ),
        op(
            "ListPartnerEventSources",
            typed!(no_resources::list_partner_event_sources),
        ),
        op("ListReplays", typed!(replays::list)),
        op("ListRuleNamesByTarget", typed!(rules::list_names_by_target)),
        op("ListRules", typed!(rules::list)),
        op("ListTagsForResource", typed!(tags::list)),
        op("ListTargetsByRule", typed!(targets::list)),
        op_shared("PutEvents", typed!(put_events::put_events)),
        op("PutPartnerEvents", typed!(no_resources::put_partner_events)),
        op("PutPermission", typed!(permissions::put)),
        op("PutRule", typed!(rules::put)),
        op("PutTargets", typed!(targets::put)),
        op("RemovePermission", typed!(permissions::remove)),
        op("RemoveTargets", typed!(targets::remove)),
        op_shared("StartReplay", typed!(replays::start)),
        op("TagResource", typed!(tags::tag)),
        op("TestEventPattern", typed!(test_pattern::test_event_pattern)),
        op("UntagResource", typed!(tags::untag)),
        op("UpdateApiDestination", typed!(destinations::update)),
        op("UpdateArchive", typed!(archives::update)),
        op("UpdateConnection", typed!(connections::update)),
        op("UpdateEndpoint", typed!(endpoints::update)),
        op("UpdateEventBus", typed!(buses::update)),
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

/// Deserialises a part of an operation's input (already checked against the model).
fn parse<T: DeserializeOwned>(input: Value) -> Result<T, EventsError> {
    handlers::parse(input)
}

/// An input the generic validator let through that does not deserialise into the handler's
/// input struct.
impl InvalidInput for EventsError {
    fn invalid_input(error: serde_json::Error) -> Self {
        EventsError::validation(format!("Invalid request: {error}"))
    }
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

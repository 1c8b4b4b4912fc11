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
mod records;
mod replays;
mod rules;
mod schedule;
mod scheduler;
mod store;
mod tags;
mod targets;
mod test_pattern;

pub use errors::EventsError;
pub use store::DEFAULT_MAX_ARCHIVE_EVENTS;

use crate::clock::Clock;
use crate::invoke::Invoker;
use crate::persist::{Durable, Loaded, WholeRecord};
use crate::request::{RequestContext, ServiceId};
use crate::services::handlers::{self, op, op_shared, typed, InvalidInput, Operations};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// `--data-dir`: every region's resources as one record (`records.rs`).
    durable: Option<WholeRecord>,
    /// `--max-archive-events`; read under the store lock when an event is archived.
    max_archive_events: AtomicUsize,
}

/// A checked `events` section of a state document.
pub struct EventsState {
    regions: std::collections::HashMap<(String, String), store::Region>,
    planned: Vec<records::Planned>,
}

impl Events {
    /// Built inside the server's runtime: starts the scheduler task, which ends when the
    /// service is dropped.
    pub fn new(clock: Clock, invoker: Invoker, durable: Option<Arc<Durable>>) -> Self {
        let inner = Arc::new(Inner {
            clock,
            invoker,
            store: Store::default(),
            schedule_changed: tokio::sync::Notify::new(),
            replan: parking_lot::Mutex::new(None),
            durable: durable.map(|d| WholeRecord::new(d, "events/regions")),
            max_archive_events: AtomicUsize::new(store::DEFAULT_MAX_ARCHIVE_EVENTS),
        });
        scheduler::start(&inner);
        Events { inner }
    }

    /// `--max-archive-events`: events kept per archive, oldest dropped first past it.
    pub fn with_max_archive_events(self, max: usize) -> Self {
        self.inner.max_archive_events.store(max, Ordering::Relaxed);
        self
    }

    /// Calls `operation`'s handler with an input already checked against the model. With a
    /// data directory, an operation that may change EventBridge's resources rewrites their
    /// record (PutEvents only while an archive exists), and the answer waits for the commit.
    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, crate::error::ApiError> {
        let result = OPERATIONS.call(&self.inner, ctx, operation, input).await;
        if let Some(record) = &self.inner.durable {
            let reads = ["Describe", "List", "Test"]
                .iter()
                .any(|p| operation.starts_with(p));
            let writes = match operation {
                "PutEvents" | "PutPartnerEvents" => self.inner.store.has_archives(),
                _ => !reads,
            };
            if writes && result.is_ok() {
                self.write_record(record);
            }
            record.durable().wait_committed().await;
        }
        result
    }

    fn write_record(&self, record: &WholeRecord) {
        record.write(|| {
            let regions = self.inner.store.read_all(records::export);
            serde_json::to_vec(&regions).unwrap_or_default()
        });
    }

    /// The operations this build handles.
    pub fn operations() -> impl Iterator<Item = &'static str> {
        OPERATIONS.names()
    }

    /// Wipes every bus, rule, archive, replay, connection and schedule.
    pub fn reset(&self) {
        self.inner.store.clear();
        self.inner.schedule_changed();
        if let Some(record) = &self.inner.durable {
            self.write_record(record);
        }
    }

    /// Every region's resources, for the state document.
    pub fn export_state(&self) -> Value {
        let regions = self.inner.store.read_all(records::export);
        serde_json::json!({ "regions": regions })
    }

    /// Checks a state document's `events` section and builds what it describes.
    pub fn parse_state(section: &Value) -> Result<EventsState, String> {
        let regions = section
            .get("regions")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        let records: Vec<records::RegionRecord> =
            serde_json::from_value(regions).map_err(|e| format!("events.regions: {e}"))?;
        records::import(records).map(|(regions, planned)| EventsState { regions, planned })
    }

    /// Replaces every EventBridge resource; scheduled rules are planned from now.
    pub fn import_state(&self, state: EventsState) {
        self.install(state);
        if let Some(record) = &self.inner.durable {
            self.write_record(record);
        }
    }

    /// Rebuilds EventBridge's resources from the data directory (at start).
    pub fn restore(&self, loaded: &Loaded) -> Result<usize, String> {
        let Some(bytes) = self.inner.durable.as_ref().and_then(|r| r.loaded(loaded)) else {
            return Ok(0);
        };
        let regions: Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("the EventBridge record does not parse: {e}"))?;
        let state = Self::parse_state(&serde_json::json!({ "regions": regions }))?;
        let count = state.regions.len();
        self.install(state);
        Ok(count)
    }

    /// Puts `state`'s resources in place of the current ones and plans its scheduled rules
    /// from now.
    fn install(&self, state: EventsState) {
        self.inner.store.replace(state.regions);
        let now = self.inner.now();
        for (account, region, rule, schedule) in state.planned {
            let key = store::RuleKey {
                account,
                region,
                rule,
            };
            self.inner.store.schedule(key, schedule.next_after(now));
        }
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

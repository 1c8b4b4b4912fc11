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
mod durable;
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
pub use store::{DEFAULT_MAX_ARCHIVE_BYTES, DEFAULT_MAX_ARCHIVE_EVENTS};

use crate::clock::Clock;
use crate::invoke::Invoker;
use crate::persist::{Durable, Loaded};
use crate::request::{RequestContext, ServiceId};
use crate::services::handlers::{self, InvalidInput};
use durable::ConfigRows;
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
    /// `--data-dir`: every region's resources as rows, one per resource (`durable.rs`).
    durable: Option<ConfigRows>,
    /// `--max-archive-events`; read under the store lock when an event is archived.
    max_archive_events: AtomicUsize,
    /// `--max-archive-bytes`; read with `max_archive_events`.
    max_archive_bytes: std::sync::atomic::AtomicU64,
    /// `--data-dir`: the keys of the archives' event rows written so far, so the rows of an
    /// archive that is gone are deleted. Taken only under the store lock (`sync_archives`).
    archive_rows: parking_lot::Mutex<std::collections::HashSet<String>>,
}

/// A checked `events` section of a state document.
pub struct EventsState {
    regions: std::collections::HashMap<(String, String), store::Region>,
    planned: Vec<records::Planned>,
    /// The document's `next_firings` (absent from documents written before them).
    next: Vec<NextFiring>,
}

/// A scheduled rule's next firing in the state document (`events.next_firings`).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextFiring {
    account: String,
    region: String,
    rule: String,
    next_ms: u64,
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
            durable: durable.map(ConfigRows::new),
            max_archive_events: AtomicUsize::new(store::DEFAULT_MAX_ARCHIVE_EVENTS),
            max_archive_bytes: std::sync::atomic::AtomicU64::new(store::DEFAULT_MAX_ARCHIVE_BYTES),
            archive_rows: Default::default(),
        });
        scheduler::start(&inner);
        Events { inner }
    }

    /// `--max-archive-events`: events kept per archive, oldest dropped first past it.
    pub fn with_max_archive_events(self, max: usize) -> Self {
        self.inner.max_archive_events.store(max, Ordering::Relaxed);
        self
    }

    /// `--max-archive-bytes`: bytes of events kept per archive, oldest dropped first past it.
    pub fn with_max_archive_bytes(self, max: u64) -> Self {
        self.inner.max_archive_bytes.store(max, Ordering::Relaxed);
        self
    }

    /// Calls `operation`'s handler with an input already checked against the model. With a
    /// data directory, an operation that may change EventBridge's resources writes the rows
    /// of what it changed (`durable`; PutEvents only its archived events), and the answer
    /// waits for the commit.
    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<crate::protocol::Output, crate::error::ApiError> {
        // A rule changed or deleted plans its schedule again: its kept next firing goes.
        let replanned = match operation {
            "PutRule" | "DeleteRule" | "EnableRule" | "DisableRule" => input
                .get("Name")
                .and_then(Value::as_str)
                .map(|rule| scheduler::key(ctx, rule)),
            _ => None,
        };
        let result = OPERATIONS.call(&self.inner, ctx, operation, input).await;
        if let Some(record) = &self.inner.durable {
            if let (Some(key), true) = (replanned, result.is_ok()) {
                record
                    .durable()
                    .submit(vec![crate::persist::Op::DeleteResource(
                        scheduler::next_key(&key),
                    )]);
            }
            let reads = ["Describe", "List", "Test"]
                .iter()
                .any(|p| operation.starts_with(p));
            // Archived events are rows of their own, written here (before the answer, which
            // waits for them); the record itself changes only with the configuration.
            if !reads && result.is_ok() {
                self.inner.sync_archives();
            }
            let writes = match operation {
                "PutEvents" | "PutPartnerEvents" => false,
                _ => !reads,
            };
            let export = || self.inner.export_record();
            record.after_call(writes && result.is_ok(), export).await;
        }
        result
    }

    /// Writes the configuration rows that changed, with a data directory.
    fn write_record(&self) {
        self.inner.persist_background();
    }

    /// Wipes every bus, rule, archive, replay, connection and schedule.
    pub fn reset(&self) {
        self.inner.store.clear();
        self.inner.schedule_changed();
        self.write_record();
        if let Some(record) = &self.inner.durable {
            self.forget_next_firings(record);
        }
    }

    /// The kept next firings go with the rules (a rule created again plans from scratch), and
    /// replays' progress with the replays.
    fn forget_next_firings(&self, record: &ConfigRows) {
        record.durable().submit(vec![
            crate::persist::Op::DeleteResources(scheduler::NEXT_PREFIX.to_string()),
            crate::persist::Op::DeleteResources(replays::PROGRESS_PREFIX.to_string()),
        ]);
    }

    /// Every region's resources, for the state document.
    pub fn export_state(&self) -> Value {
        let regions = self.inner.store.read_all(records::export);
        let next: Vec<NextFiring> = self
            .inner
            .store
            .planned()
            .into_iter()
            .map(|(next_ms, key)| NextFiring {
                account: key.account,
                region: key.region,
                rule: key.rule,
                next_ms,
            })
            .collect();
        serde_json::json!({ "regions": regions, "next_firings": next })
    }

    /// Checks a state document's `events` section and builds what it describes.
    pub fn parse_state(section: &Value) -> Result<EventsState, String> {
        let regions = section
            .get("regions")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        let records: Vec<records::RegionRecord> =
            serde_json::from_value(regions).map_err(|e| format!("events.regions: {e}"))?;
        let next = match section.get("next_firings") {
            Some(list) => serde_json::from_value(list.clone())
                .map_err(|e| format!("events.next_firings: {e}"))?,
            None => Vec::new(),
        };
        records::import(records).map(|(regions, planned)| EventsState {
            regions,
            planned,
            next,
        })
    }

    /// Replaces every EventBridge resource. Scheduled rules keep the document's next firings
    /// (one that has passed fires once now, as a missed schedule does after a restart); a rule
    /// the document gives none (documents written before they were kept) is planned from now.
    pub fn import_state(&self, mut state: EventsState) {
        let next = std::mem::take(&mut state.next);
        self.install(state);
        self.write_record();
        if let Some(record) = &self.inner.durable {
            self.forget_next_firings(record);
        }
        self.keep_next_firings(next);
    }

    /// Plans the rules of `next` (those planned by `install`: scheduled and enabled) at their
    /// firing, or now if it has passed; with a data directory, keeps it as a firing does.
    fn keep_next_firings(&self, next: Vec<NextFiring>) {
        if next.is_empty() {
            return;
        }
        let planned: std::collections::BTreeSet<store::RuleKey> = self
            .inner
            .store
            .planned()
            .into_iter()
            .map(|(_, key)| key)
            .collect();
        let now = self.inner.now();
        let mut ops = Vec::new();
        for firing in next {
            let key = store::RuleKey {
                account: firing.account,
                region: firing.region,
                rule: firing.rule,
            };
            if !planned.contains(&key) {
                continue;
            }
            ops.push(crate::persist::Op::PutResource(
                scheduler::next_key(&key),
                firing.next_ms.to_string().into_bytes(),
            ));
            self.inner
                .store
                .schedule(key, Some(firing.next_ms.max(now)));
        }
        if let Some(record) = &self.inner.durable {
            record.durable().submit(ops);
        }
        self.inner.schedule_changed();
    }

    /// Rebuilds EventBridge's resources from the data directory (at start).
    pub fn restore(&self, loaded: &Loaded) -> Result<usize, String> {
        let Some(rows) = &self.inner.durable else {
            return Ok(0);
        };
        let Some(regions) = rows.loaded(loaded)? else {
            return Ok(0);
        };
        let mut state = Self::parse_state(&serde_json::json!({ "regions": regions }))?;
        let count = state.regions.len();
        self.inner.restore_archive_rows(&mut state, loaded)?;
        // A running replay's progress, kept apart from the record, is newer than the record's.
        for (key, bytes) in loaded.resources_under(replays::PROGRESS_PREFIX) {
            let Some((account, region, name, progress)) = replays::parse_progress(key, bytes)
            else {
                continue;
            };
            let replay = state
                .regions
                .get_mut(&(account, region))
                .and_then(|r| r.replays_mut().get_mut(&name))
                .filter(|r| matches!(r.state.as_str(), "STARTING" | "RUNNING"));
            if let Some(replay) = replay {
                if replay.sent.is_none_or(|s| s < progress.sent) {
                    replay.sent = Some(progress.sent);
                    replay.last_replayed_ms = progress.last_replayed_ms;
                    replay.state = "RUNNING".into();
                }
            }
        }
        let planned: std::collections::HashSet<String> = state
            .planned
            .iter()
            .map(|(account, region, rule, _)| format!("{account}/{region}/{rule}"))
            .collect();
        self.install(state);
        // A scheduled rule whose next firing came due while the server was down fires once
        // now, as a missed schedule (not once per missed period); the next is planned from now.
        let now = self.inner.now();
        for (key, bytes) in loaded.resources_under(scheduler::NEXT_PREFIX) {
            let next: Option<u64> = std::str::from_utf8(bytes).ok().and_then(|t| t.parse().ok());
            let mut parts = key.splitn(3, '/');
            let (Some(account), Some(region), Some(rule)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if next.is_some_and(|n| n <= now) && planned.contains(key) {
                let key = store::RuleKey {
                    account: account.to_string(),
                    region: region.to_string(),
                    rule: rule.to_string(),
                };
                self.inner.store.schedule(key, Some(now));
            }
        }
        self.inner.schedule_changed();
        // Events of a record written before archives had rows become rows now.
        self.inner.persist_background();
        Ok(count)
    }

    /// Puts `state`'s resources in place of the current ones and plans its scheduled rules
    /// from now.
    fn install(&self, state: EventsState) {
        self.inner.store.replace(state.regions);
        replays::resume_running(&self.inner);
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
            region.bus_count() > 1
                || region.buses().any(|bus| !bus.rules().is_empty())
                || region.has_other_resources()
        })
    }
}

crate::services::handlers::operations! {
    /// The operation table: each file with the operations it answers.
    static OPERATIONS: Operations<Inner, EventsError> = ServiceId::Events;
    archives: CreateArchive = create, DeleteArchive = delete, DescribeArchive = describe,
        ListArchives = list, UpdateArchive = update;
    buses: CreateEventBus = create, DeleteEventBus = delete, DescribeEventBus = describe,
        ListEventBuses = list, UpdateEventBus = update;
    connections: CreateConnection = create, DeauthorizeConnection = deauthorize,
        DeleteConnection = delete, DescribeConnection = describe, ListConnections = list,
        UpdateConnection = update;
    destinations: CreateApiDestination = create, DeleteApiDestination = delete,
        DescribeApiDestination = describe, ListApiDestinations = list,
        UpdateApiDestination = update;
    endpoints: CreateEndpoint = create, DeleteEndpoint = delete, DescribeEndpoint = describe,
        ListEndpoints = list, UpdateEndpoint = update;
    no_resources: ActivateEventSource = event_source,
        CreatePartnerEventSource = create_partner_event_source,
        DeactivateEventSource = event_source,
        DeletePartnerEventSource = delete_partner_event_source, DescribeEventSource = event_source,
        DescribePartnerEventSource = partner_event_source, ListEventSources = list_event_sources,
        ListPartnerEventSourceAccounts = partner_event_source,
        ListPartnerEventSources = list_partner_event_sources,
        PutPartnerEvents = put_partner_events;
    permissions: PutPermission = put, RemovePermission = remove;
    put_events: PutEvents = put_events;
    replays: CancelReplay = cancel, DescribeReplay = describe, ListReplays = list,
        StartReplay = start;
    rules: DeleteRule = delete, DescribeRule = describe, DisableRule = disable,
        EnableRule = enable, ListRuleNamesByTarget = list_names_by_target, ListRules = list,
        PutRule = put;
    tags: ListTagsForResource = list, TagResource = tag, UntagResource = untag;
    targets: ListTargetsByRule = list, PutTargets = put, RemoveTargets = remove;
    test_pattern: TestEventPattern = test_event_pattern;
}

impl Inner {
    /// Every region's resources as the data directory keeps them (split into rows by
    /// `ConfigRows`).
    fn export_record(&self) -> Vec<records::RegionRecord> {
        self.store.read_all(records::export_durable)
    }

    /// Writes EventBridge's changed configuration rows (`--data-dir`), after its archives'
    /// rows.
    fn write_record(&self, record: &ConfigRows) {
        self.sync_archives();
        record.write(|| self.export_record());
    }

    /// Writes the archives' events appended since the last sync and deletes the rows of those
    /// dropped since (and of archives that are gone), under the store lock so rows reach the
    /// log in the order the archives changed. Nothing without a data directory.
    fn sync_archives(&self) {
        let Some(record) = &self.durable else {
            return;
        };
        self.store.with_all(|regions| {
            let mut ops = Vec::new();
            let mut live = std::collections::HashSet::new();
            for region in regions.values_mut() {
                for archive in region.archives_mut().values_mut() {
                    archive.sync_rows(&mut ops);
                    live.insert(archive.rows.key.clone());
                }
            }
            let mut written = self.archive_rows.lock();
            for gone in written.difference(&live) {
                ops.push(crate::persist::Op::DeleteItems(gone.clone()));
            }
            *written = live;
            record.durable().submit(ops);
        });
    }

    /// Gives the archives of a record read back their events from their rows (at start), and
    /// deletes rows no archive names (an archive deleted just before a crash).
    fn restore_archive_rows(&self, state: &mut EventsState, loaded: &Loaded) -> Result<(), String> {
        let mut rows: std::collections::HashMap<&str, Vec<(u64, &[u8])>> = Default::default();
        for (parent, id, value) in &loaded.items {
            if parent.starts_with(store::ARCHIVE_ROWS_PREFIX) {
                rows.entry(parent.as_str())
                    .or_default()
                    .push((*id, value.as_slice()));
            }
        }
        let mut written = self.archive_rows.lock();
        for region in state.regions.values_mut() {
            for archive in region.archives_mut().values_mut() {
                let Some(mut mine) = rows.remove(archive.rows.key.as_str()) else {
                    continue;
                };
                written.insert(archive.rows.key.clone());
                // Loaded in (parent, id) order, but by SQLite's signed ids: ids past 2^63
                // (never written by stepyard; a crafted database) would come first.
                mine.sort_by_key(|(id, _)| *id);
                let first = mine.first().map_or(0, |(id, _)| *id);
                let last = match mine.last() {
                    None => 0,
                    // The next row's id: past the last id there is none (a crafted database).
                    Some((id, _)) => id.checked_add(1).ok_or_else(|| {
                        format!("archive {}: event id {id} is out of range", archive.name)
                    })?,
                };
                for (id, bytes) in mine {
                    let (at, event): (u64, Value) = serde_json::from_slice(bytes)
                        .map_err(|e| format!("archive {}: event {id}: {e}", archive.name))?;
                    archive.bytes += store::json_len(&event);
                    archive.events.push_back((at, Arc::new(event)));
                }
                archive.appended = last;
                archive.rows.low = first;
                archive.rows.next = last;
            }
        }
        if let Some(record) = &self.durable {
            let orphans = rows
                .keys()
                .map(|key| crate::persist::Op::DeleteItems(key.to_string()))
                .collect();
            record.durable().submit(orphans);
        }
        Ok(())
    }

    /// With a data directory, writes what changed outside an API call (a replay that ended);
    /// nobody waits for the commit.
    pub(crate) fn persist_background(&self) {
        if let Some(record) = &self.durable {
            self.write_record(record);
        }
    }

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

/// Epoch seconds with the milliseconds as a fraction, as a typed output's timestamp member.
fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// What a handler answers.
type Answer<T> = Result<T, EventsError>;

/// The output of an operation that answers nothing.
fn empty() -> crate::protocol::Empty {
    crate::protocol::Empty {}
}

/// Drops `null` members, so optional outputs are simply absent as AWS sends them.
fn compact(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

//! Everything EventBridge keeps, per (account, region): event buses with their rules and
//! targets, archives with their events, replays, connections, API destinations and global
//! endpoints, plus the deadlines of scheduled rules. A region's maps are private: buses and
//! rules through the bus methods, every other kind through its `Named` map (`archives()`,
//! `archives_mut()`, ...), which files a resource under its own name only.
//!
//! Locking: one `parking_lot::Mutex` around all regions. Every API call holds it only for a few
//! map operations and never across an `.await`; deliveries copy what they need (the matched
//! rules' targets, as `Arc`s) out of it first, so a slow target never blocks the API.

use super::endpoints::Endpoint;
use super::errors::EventsError;
use super::matcher::Matcher;
use super::schedule::Schedule;
use super::targets::Target;
pub use crate::services::named::{HasName, Named};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

/// A `key -> value` tag list in the order tags were first set.
pub type Tags = crate::services::tags::TagList;

pub use super::arn::DEFAULT_BUS;

pub struct Bus {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub kms_key: Option<String>,
    pub dead_letter: Option<DeadLetterConfig>,
    pub log_config: Option<LogConfig>,
    /// Resource-policy statements (PutPermission), in the order they were added.
    pub statements: Vec<Value>,
    pub creation_ms: u64,
    pub modified_ms: u64,
    pub tags: Tags,
    /// By name. Private: every change goes through the methods below, which drop
    /// `trace_rules`, so no change can leave the traces' RuleSet stale.
    rules: BTreeMap<String, Rule>,
    /// The rules as traces of this bus's events see them, built when tracing first needs it
    /// and dropped by every change to `rules` (`rules_changed`), so that an event's
    /// evaluation checks nothing per rule.
    pub trace_rules: Option<Arc<crate::trace::RuleSet>>,
}

impl Bus {
    /// Every change to a rule of this bus calls this: the traces' RuleSet is built again.
    fn rules_changed(&mut self) {
        self.trace_rules = None;
    }

    /// The rules, by name.
    pub fn rules(&self) -> &BTreeMap<String, Rule> {
        &self.rules
    }

    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.get(name)
    }

    /// The rule to change (the traces' RuleSet is dropped).
    pub fn rule_mut(&mut self, name: &str) -> Option<&mut Rule> {
        self.rules_changed();
        self.rules.get_mut(name)
    }

    /// Adds `rule`, or replaces the rule of its name, which is returned.
    pub fn put_rule(&mut self, rule: Rule) -> Option<Rule> {
        self.rules_changed();
        self.rules.insert(rule.name.clone(), rule)
    }

    pub fn remove_rule(&mut self, name: &str) -> Option<Rule> {
        self.rules_changed();
        self.rules.remove(name)
    }
}

pub struct Rule {
    pub name: String,
    pub arn: String,
    /// The ARN again, shared: what a trace of an event this rule did not match keeps (an
    /// `Arc` clone per event rather than a copy).
    pub shared_arn: Arc<str>,
    pub bus_name: String,
    pub event_pattern: Option<String>,
    /// The pattern compiled once at PutRule.
    pub matcher: Option<Arc<Matcher>>,
    pub schedule: Option<Schedule>,
    /// `ENABLED`, `DISABLED` or `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
    pub state: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub managed_by: Option<String>,
    /// The archive this rule fills, for an archive's managed rule (`Events-Archive-<name>`):
    /// delivery stores matching events there instead of calling its target.
    pub archive: Option<String>,
    pub created_by: String,
    pub tags: Tags,
    /// In the order they were first put (ListTargetsByRule returns them so).
    pub targets: Vec<Arc<Target>>,
}

impl Rule {
    pub fn enabled(&self) -> bool {
        self.state != "DISABLED"
    }
}

pub struct Archive {
    pub name: String,
    pub arn: String,
    pub source_arn: String,
    pub description: Option<String>,
    /// The pattern as the client gave it; the managed rule holds the compiled form.
    pub event_pattern: Option<String>,
    pub retention_days: u64,
    pub kms_key: Option<String>,
    pub creation_ms: u64,
    /// (time the event was archived in ms, the event) in arrival order, at most
    /// `--max-archive-events` of them and `--max-archive-bytes` of their text (`keep`).
    pub events: VecDeque<(u64, Arc<Value>)>,
    /// The length of `events`' JSON texts (DescribeArchive's `SizeBytes`), kept as events
    /// come and go rather than worked out per read.
    pub bytes: u64,
    /// Events dropped for the bound since the archive was created (or loaded).
    pub dropped: u64,
    /// Events ever appended: the next event's row id in the data directory (the kept events
    /// are the rows `appended - events.len()` up to it; events only leave from the front).
    pub appended: u64,
    /// `--data-dir`: where this archive's events are rows, and which rows are written.
    pub rows: ArchiveRows,
}

/// An archive's events in the data directory: one item per event under `key` (new for every
/// archive created or loaded from a document), id = its place in the archive; rows
/// `[low, next)` are written (see `Inner::sync_archives`).
pub struct ArchiveRows {
    pub key: String,
    pub low: u64,
    pub next: u64,
}

/// Where archives' event rows live.
pub const ARCHIVE_ROWS_PREFIX: &str = "events/archive/";

impl ArchiveRows {
    /// Rows not written yet, under a key of their own.
    pub fn fresh() -> Self {
        ArchiveRows {
            key: format!("{ARCHIVE_ROWS_PREFIX}{}", uuid::Uuid::new_v4().simple()),
            low: 0,
            next: 0,
        }
    }
}

/// Events kept per archive unless `--max-archive-events` says otherwise. AWS bounds an
/// archive only by its retention; here memory is the bound, so the oldest go first past this.
pub const DEFAULT_MAX_ARCHIVE_EVENTS: usize = 100_000;

/// Bytes of events kept per archive unless `--max-archive-bytes` says otherwise: the event
/// count alone lets 100,000 events of 256 KB hold 25 GB.
pub const DEFAULT_MAX_ARCHIVE_BYTES: u64 = 256 * 1024 * 1024;

/// The length of `value`'s compact JSON text, counted without writing it anywhere.
pub fn json_len(value: &Value) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` into a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

impl Archive {
    /// Archives `event`; past `max` events (at least 1) or `max_bytes` of their text, the
    /// oldest are dropped (the newest event stays, whatever its size). Returns whether this
    /// call dropped the archive's first event ever (its caller logs that once).
    pub fn keep(&mut self, now: u64, event: Arc<Value>, max: usize, max_bytes: u64) -> bool {
        self.bytes += json_len(&event);
        self.events.push_back((now, event));
        self.appended += 1;
        let before = self.dropped;
        while self.events.len() > max.max(1) || (self.bytes > max_bytes && self.events.len() > 1) {
            if let Some((_, gone)) = self.events.pop_front() {
                self.bytes = self.bytes.saturating_sub(json_len(&gone));
            }
            self.dropped += 1;
        }
        before == 0 && self.dropped > 0
    }

    /// The ops that bring the archive's rows in the data directory up to its events: the
    /// events appended since the last call written, the ones dropped since deleted.
    pub fn sync_rows(&mut self, ops: &mut Vec<crate::persist::Op>) {
        use crate::persist::Op;
        let base = self.appended.saturating_sub(self.events.len() as u64);
        if self.rows.next < self.appended {
            let from = self.rows.next.max(base);
            let skip = usize::try_from(from - base).unwrap_or(usize::MAX);
            for (i, (at, event)) in self.events.iter().enumerate().skip(skip) {
                // A row that does not serialise is left out (logged): empty bytes would make
                // the next start refuse the data directory.
                if let Some(row) = crate::persist::row("an archived event", &(at, &**event)) {
                    ops.push(Op::PutItem(self.rows.key.clone(), base + i as u64, row));
                }
            }
            self.rows.next = self.appended;
        }
        if self.rows.low < base {
            ops.push(Op::DeleteItemsBelow(self.rows.key.clone(), base));
            self.rows.low = base;
        }
    }

    pub fn size_bytes(&self) -> u64 {
        self.bytes
    }
}

/// Also its record in the data directory and the state document (`events.regions[].replays`).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub source_arn: String,
    pub destination: ReplayDestination,
    pub state: String,
    pub state_reason: Option<String>,
    pub event_start_ms: u64,
    pub event_end_ms: u64,
    pub last_replayed_ms: Option<u64>,
    pub start_ms: u64,
    pub end_ms: Option<u64>,
    /// Where a running replay is in its archive: the archive time of the last event it sent
    /// and how many of the window's events with that time it has sent. A replay read back
    /// running goes on after it (`replays::resume_running`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<(u64, u64)>,
}

/// Where a replay sends its events: the archive's bus, and maybe only some of its rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplayDestination {
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_arns: Option<Vec<String>>,
}

/// Kept in the data directory as it is (`records.rs`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub authorization_type: String,
    /// The auth parameters as given (secrets included: the HTTP target needs them).
    pub auth_parameters: Value,
    pub state: String,
    pub creation_ms: u64,
    pub modified_ms: u64,
    pub last_authorized_ms: u64,
    pub secret_arn: String,
    pub kms_key: Option<String>,
    pub connectivity: Option<Value>,
}

/// Kept in the data directory as it is (`records.rs`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiDestination {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub connection_arn: String,
    pub endpoint: String,
    pub http_method: String,
    pub rate_limit: Option<u64>,
    pub creation_ms: u64,
    pub modified_ms: u64,
}

pub struct Region {
    /// By name; reached through the bus methods below.
    buses: BTreeMap<String, Bus>,
    /// The other resources, each kind by name, reached through the methods below.
    archives: Named<Archive>,
    replays: Named<Replay>,
    connections: Named<Connection>,
    api_destinations: Named<ApiDestination>,
    /// Global endpoints, as DescribeEndpoint shows them (they route nothing here: there is
    /// one server, so failover has nowhere to go). By name; reached through the methods below.
    endpoints: Named<Endpoint>,
}

crate::services::named::has_name!(Archive, Replay, Connection, ApiDestination);

impl Region {
    /// The bus named `name`, or AWS's ResourceNotFound for it.
    pub fn bus(&self, name: &str) -> Result<&Bus, EventsError> {
        self.buses
            .get(name)
            .ok_or_else(|| EventsError::no_bus(name))
    }

    pub fn bus_mut(&mut self, name: &str) -> Result<&mut Bus, EventsError> {
        self.buses
            .get_mut(name)
            .ok_or_else(|| EventsError::no_bus(name))
    }

    /// The bus named `name`, if there is one (where a missing bus is no error).
    pub fn find_bus(&self, name: &str) -> Option<&Bus> {
        self.buses.get(name)
    }

    pub fn find_bus_mut(&mut self, name: &str) -> Option<&mut Bus> {
        self.buses.get_mut(name)
    }

    pub fn has_bus(&self, name: &str) -> bool {
        self.buses.contains_key(name)
    }

    /// Every bus, in name order.
    pub fn buses(&self) -> impl Iterator<Item = &Bus> {
        self.buses.values()
    }

    pub fn bus_count(&self) -> usize {
        self.buses.len()
    }

    /// Adds `bus` under its name (callers check `has_bus` first where a duplicate is an
    /// error); returns the bus it replaced.
    pub fn insert_bus(&mut self, bus: Bus) -> Option<Bus> {
        self.buses.insert(bus.name.clone(), bus)
    }

    pub fn remove_bus(&mut self, name: &str) -> Option<Bus> {
        self.buses.remove(name)
    }

    /// The bus `name` with the region's archives, both to change at once (delivery stores
    /// events an archive's managed rule matches).
    pub fn bus_and_archives_mut(&mut self, name: &str) -> Option<(&mut Bus, &mut Named<Archive>)> {
        let bus = self.buses.get_mut(name)?;
        Some((bus, &mut self.archives))
    }

    /// The rule `rule` on the bus `bus`; a missing bus or rule is AWS's ResourceNotFound.
    pub fn rule(&self, bus: &str, rule: &str) -> Result<&Rule, EventsError> {
        self.bus(bus)?
            .rule(rule)
            .ok_or_else(|| EventsError::no_rule(rule, bus))
    }

    /// The rule to change (the bus's traces see the change: its RuleSet is dropped).
    pub fn rule_mut(&mut self, bus: &str, rule: &str) -> Result<&mut Rule, EventsError> {
        self.bus_mut(bus)?
            .rule_mut(rule)
            .ok_or_else(|| EventsError::no_rule(rule, bus))
    }

    pub fn archives(&self) -> &Named<Archive> {
        &self.archives
    }

    pub fn archives_mut(&mut self) -> &mut Named<Archive> {
        &mut self.archives
    }

    pub fn replays(&self) -> &Named<Replay> {
        &self.replays
    }

    pub fn replays_mut(&mut self) -> &mut Named<Replay> {
        &mut self.replays
    }

    pub fn connections(&self) -> &Named<Connection> {
        &self.connections
    }

    pub fn connections_mut(&mut self) -> &mut Named<Connection> {
        &mut self.connections
    }

    pub fn api_destinations(&self) -> &Named<ApiDestination> {
        &self.api_destinations
    }

    pub fn api_destinations_mut(&mut self) -> &mut Named<ApiDestination> {
        &mut self.api_destinations
    }

    pub fn endpoints(&self) -> &Named<Endpoint> {
        &self.endpoints
    }

    pub fn endpoints_mut(&mut self) -> &mut Named<Endpoint> {
        &mut self.endpoints
    }

    /// Whether the region holds archives, connections, API destinations or endpoints.
    pub fn has_other_resources(&self) -> bool {
        !self.archives.is_empty()
            || !self.connections.is_empty()
            || !self.api_destinations.is_empty()
            || !self.endpoints.is_empty()
    }

    /// A region with nothing in it (loading a state document fills it).
    pub fn empty() -> Self {
        Region {
            buses: BTreeMap::new(),
            archives: Named::default(),
            replays: Named::default(),
            connections: Named::default(),
            api_destinations: Named::default(),
            endpoints: Named::default(),
        }
    }

    /// A region as AWS presents a fresh account: only the default bus.
    fn new(account: &str, region: &str, now_ms: u64) -> Self {
        let mut buses = BTreeMap::new();
        buses.insert(
            DEFAULT_BUS.to_string(),
            Bus::new(DEFAULT_BUS, account, region, now_ms),
        );
        Region {
            buses,
            archives: Named::default(),
            replays: Named::default(),
            connections: Named::default(),
            api_destinations: Named::default(),
            endpoints: Named::default(),
        }
    }
}

/// A bus's `DeadLetterConfig`: the SQS queue its undeliverable events go to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
}

/// A bus's `LogConfig`: which of its events' deliveries are logged, and with how much detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    include_detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    level: Option<String>,
}

impl Bus {
    pub fn new(name: &str, account: &str, region: &str, now_ms: u64) -> Self {
        Bus {
            name: name.to_string(),
            arn: format!("{}:event-bus/{name}", super::arn::prefix(account, region)),
            description: None,
            kms_key: None,
            dead_letter: None,
            log_config: None,
            statements: Vec::new(),
            creation_ms: now_ms,
            modified_ms: now_ms,
            tags: Vec::new(),
            rules: BTreeMap::new(),
            trace_rules: None,
        }
    }
}

/// Where a scheduled rule lives, for the scheduler.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleKey {
    pub account: String,
    pub region: String,
    pub rule: String,
}

#[derive(Default)]
struct State {
    regions: HashMap<(String, String), Region>,
    /// (next fire time in ms, rule): the scheduler sleeps until the first.
    due: BTreeSet<(u64, RuleKey)>,
}

#[derive(Default)]
pub struct Store {
    state: Mutex<State>,
}

impl Store {
    /// Runs `f` on the caller's region under the store lock (see the module comment).
    pub fn with<R>(
        &self,
        account: &str,
        region: &str,
        now_ms: u64,
        f: impl FnOnce(&mut Region) -> R,
    ) -> R {
        let mut state = self.state.lock();
        let region = state
            .regions
            .entry((account.to_string(), region.to_string()))
            .or_insert_with(|| Region::new(account, region, now_ms));
        f(region)
    }

    /// The (account, region) pairs whose region `keep` accepts.
    pub fn regions_where(&self, keep: impl Fn(&Region) -> bool) -> Vec<(String, String)> {
        self.state
            .lock()
            .regions
            .iter()
            .filter(|(_, region)| keep(region))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Plans (or re-plans) a scheduled rule's next firing; `None` stops it.
    pub fn schedule(&self, key: RuleKey, next_ms: Option<u64>) {
        let mut state = self.state.lock();
        state.due.retain(|(_, k)| *k != key);
        if let Some(at) = next_ms {
            state.due.insert((at, key));
        }
    }

    /// Every planned firing, earliest first (the state document's next firings).
    pub fn planned(&self) -> Vec<(u64, RuleKey)> {
        self.state.lock().due.iter().cloned().collect()
    }

    /// The earliest planned firing.
    pub fn next_due(&self) -> Option<(u64, RuleKey)> {
        self.state.lock().due.first().cloned()
    }

    /// Removes and returns a firing if it is due at `now_ms`.
    pub fn take_due(&self, now_ms: u64) -> Option<(u64, RuleKey)> {
        let mut state = self.state.lock();
        match state.due.first() {
            Some((at, _)) if *at <= now_ms => state.due.pop_first(),
            _ => None,
        }
    }

    pub fn clear(&self) {
        *self.state.lock() = State::default();
    }

    /// Runs `f` on every region, mutably, under the store lock (archive rows, `--data-dir`).
    pub fn with_all<R>(&self, f: impl FnOnce(&mut HashMap<(String, String), Region>) -> R) -> R {
        f(&mut self.state.lock().regions)
    }

    /// Runs `f` on every region under the store lock (the state document, the data directory).
    pub fn read_all<R>(&self, f: impl FnOnce(&HashMap<(String, String), Region>) -> R) -> R {
        f(&self.state.lock().regions)
    }

    /// Whether any region holds an archive (PutEvents may then change durable state).
    pub fn has_archives(&self) -> bool {
        self.state
            .lock()
            .regions
            .values()
            .any(|r| !r.archives().is_empty())
    }

    /// Replaces every region (schedules are planned again by the caller).
    pub fn replace(&self, regions: HashMap<(String, String), Region>) {
        *self.state.lock() = State {
            regions,
            due: Default::default(),
        };
    }
}

//! Everything Step Functions keeps, per (account, region): state machines with their versions
//! and aliases, activities, and Standard executions. Machines and the activity registry are
//! `Named` maps private to the region; a machine's versions, aliases, tags and current revision
//! change only through its methods (`publish_version` numbers versions, `update` gives a
//! changed revision its new id).
//!
//! Locking: one `parking_lot::Mutex` around all regions. Every API call holds it only for a
//! few map operations and never across an `.await`, so a finer structure would buy nothing: a
//! sharded map (`dashmap`) keyed by (account, region) would put one region's calls in one
//! shard, under one lock as now, and sharding inside a region would split what one call updates
//! together (`executions` and `executions_by_machine`).
//! Each execution's live record (`SharedRecord`) has its own lock, which the execution's task
//! takes while it runs; the API may take a record lock while holding the store lock, never
//! the other way round (executions never see the store), so the two cannot deadlock.

use crate::asl::ast::StateMachine;
use crate::asl::interp::map_runs::MapRuns;
use crate::asl::interp::SharedRecord;
use crate::services::named::Named;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::configuration::{Encryption, Logging, Tracing};
use super::runner::Control;

/// A `key -> value` tag list in the order tags were first set (AWS returns them so).
pub type Tags = crate::services::tags::TagList;

/// What a state machine or one of its versions runs: the parts an execution snapshots.
#[derive(Debug, Clone)]
pub struct Revision {
    pub definition: String,
    pub parsed: Arc<StateMachine>,
    pub role_arn: String,
    pub logging: Logging,
    pub tracing: Tracing,
    /// Absent until an UpdateStateMachine really changes the machine (AWS shows none before).
    pub revision_id: Option<String>,
}

pub struct Machine {
    pub name: String,
    pub arn: String,
    /// `STANDARD` or `EXPRESS`.
    pub kind: String,
    /// Shared by the machine's executions (each describes what it ran) rather than copied
    /// into each: the definition and configuration are the bulk of a small execution.
    current: Arc<Revision>,
    encryption: Encryption,
    pub creation_ms: u64,
    update_ms: Option<u64>,
    tags: Tags,
    /// By number; published through `publish_version`, which numbers them.
    versions: BTreeMap<u64, Version>,
    /// Version numbers are never reused, even after a version is deleted.
    last_version: u64,
    aliases: Named<Alias>,
}

pub struct Version {
    pub arn: String,
    pub revision: Arc<Revision>,
    pub description: Option<String>,
    pub creation_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    /// (version ARN, weight) in request order.
    pub routing: Vec<(String, u64)>,
    pub creation_ms: u64,
    pub update_ms: u64,
}

pub struct Activity {
    pub name: String,
    pub arn: String,
    pub creation_ms: u64,
    tags: Tags,
    /// As DescribeActivity shows it: `{"type": "AWS_OWNED_KEY"}` unless configured.
    pub encryption: Encryption,
}

/// A Standard execution. Express executions are not kept (AWS does not describe them).
pub struct Execution {
    pub arn: String,
    /// The mock test case (`#TestCase`) it was started with; a redrive keeps it.
    pub mock_case: Option<String>,
    // Its name, its machine's name and ARN are read from `arn` (`name()`, `machine_name()`,
    // `machine_arn()`) rather than kept: three more strings for as long as it is kept.
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    /// The input as the client sent it (text), for DescribeExecution and idempotency.
    pub input: String,
    pub trace_header: Option<String>,
    pub start_ms: u64,
    /// What the execution runs, for DescribeStateMachineForExecution (shared with its machine).
    pub revision: Arc<Revision>,
    pub machine_update_ms: Option<u64>,
    pub record: SharedRecord,
    /// How StopExecution reaches the running task.
    pub control: Mutex<Control>,
}

impl Execution {
    /// The execution's name: the last part of its ARN, `...:execution:MACHINE:NAME` (names
    /// hold no `:`, see `arn::check_name`).
    pub fn name(&self) -> &str {
        self.arn.rsplit(':').next().unwrap_or_default()
    }

    /// Its state machine's name, the ARN's part before the name.
    pub fn machine_name(&self) -> &str {
        self.arn.rsplit(':').nth(1).unwrap_or_default()
    }

    /// Its state machine's (unqualified) ARN, in the same partition, Region and account.
    pub fn machine_arn(&self) -> String {
        match self.arn.find(":execution:") {
            Some(at) => format!("{}:stateMachine:{}", &self.arn[..at], self.machine_name()),
            None => String::new(),
        }
    }
}

/// A region's executions by ARN, each found by its own `arn`: a map keyed by a copy of the
/// ARN kept one more string per execution, running or finished, for as long as it is kept.
#[derive(Default)]
pub struct Executions(std::collections::HashSet<ByArn>);

/// An execution, hashed and compared by its ARN (so a `&str` finds it).
struct ByArn(Arc<Execution>);

impl std::hash::Hash for ByArn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.arn.as_str().hash(state)
    }
}

impl PartialEq for ByArn {
    fn eq(&self, other: &Self) -> bool {
        self.0.arn == other.0.arn
    }
}

impl Eq for ByArn {}

impl std::borrow::Borrow<str> for ByArn {
    fn borrow(&self) -> &str {
        &self.0.arn
    }
}

impl Executions {
    pub fn get(&self, arn: &str) -> Option<&Arc<Execution>> {
        self.0.get(arn).map(|e| &e.0)
    }

    /// Adds the execution (replacing one of the same ARN).
    pub fn insert(&mut self, execution: Arc<Execution>) {
        self.0.replace(ByArn(execution));
    }

    pub fn values(&self) -> impl Iterator<Item = &Arc<Execution>> {
        self.0.iter().map(|e| &e.0)
    }

    /// Keeps the executions whose ARN `keep` holds for.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.0.retain(|e| keep(&e.0.arn));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Default)]
pub struct Region {
    /// State machines and the activity registry, by name; reached through the methods below.
    machines: Named<Machine>,
    activities: Named<Activity>,
    /// Execution ARN -> execution.
    pub executions: Executions,
    /// Machine name -> its executions in start order (ListExecutions reads it newest first).
    /// Kept after the machine is deleted, as AWS keeps executions.
    pub executions_by_machine: HashMap<String, Vec<Arc<Execution>>>,
    /// When finished executions are next looked at for eviction (`retention.rs`).
    pub sweep_due: super::retention::SweepDue,
}

crate::services::named::has_name!(Machine, Alias, Activity);

impl Machine {
    /// A new machine (CreateStateMachine) with no versions or aliases yet.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: String,
        arn: String,
        kind: String,
        current: Arc<Revision>,
        encryption: Encryption,
        creation_ms: u64,
        update_ms: Option<u64>,
        tags: Tags,
    ) -> Self {
        Machine {
            name,
            arn,
            kind,
            current,
            encryption,
            creation_ms,
            update_ms,
            tags,
            versions: BTreeMap::new(),
            last_version: 0,
            aliases: Named::default(),
        }
    }

    /// The machine with the versions and aliases read back from its record.
    pub fn with_versions(
        mut self,
        versions: BTreeMap<u64, Version>,
        last_version: u64,
        aliases: impl IntoIterator<Item = Alias>,
    ) -> Self {
        self.last_version = last_version;
        self.versions = versions;
        for alias in aliases {
            self.aliases.put(alias);
        }
        self
    }

    /// What the machine runs now (shared with the executions started on it).
    pub fn current(&self) -> &Arc<Revision> {
        &self.current
    }

    pub fn encryption(&self) -> &Encryption {
        &self.encryption
    }

    /// When UpdateStateMachine last changed it (none before the first update).
    pub fn update_ms(&self) -> Option<u64> {
        self.update_ms
    }

    /// UpdateStateMachine at `now`: `next` becomes the current revision only if it differs
    /// from it, under a new revision id (versions and running executions keep the old one);
    /// a new encryption configuration replaces the old.
    pub fn update(&mut self, mut next: Revision, encryption: Option<Encryption>, now: u64) {
        if let Some(encryption) = encryption {
            self.encryption = encryption;
        }
        let current = &self.current;
        let changed = next.definition != current.definition
            || next.role_arn != current.role_arn
            || next.logging != current.logging
            || next.tracing != current.tracing;
        if changed {
            next.revision_id = Some(uuid::Uuid::new_v4().to_string());
            self.current = Arc::new(next);
        }
        self.update_ms = Some(now);
    }

    pub fn tags(&self) -> &Tags {
        &self.tags
    }

    pub fn tags_mut(&mut self) -> &mut Tags {
        &mut self.tags
    }

    pub fn version(&self, number: u64) -> Option<&Version> {
        self.versions.get(&number)
    }

    /// Every version with its number, oldest first.
    pub fn versions(&self) -> impl DoubleEndedIterator<Item = (u64, &Version)> {
        self.versions.iter().map(|(n, v)| (*n, v))
    }

    /// The highest version number ever given (kept after that version is deleted).
    pub fn last_version(&self) -> u64 {
        self.last_version
    }

    /// Publishes the current revision as the next version number (never one used before).
    pub fn publish_version(&mut self, description: Option<String>, now: u64) -> &Version {
        self.last_version += 1;
        let number = self.last_version;
        let version = Version {
            arn: format!("{}:{number}", self.arn),
            revision: self.current.clone(),
            description,
            creation_ms: now,
        };
        self.versions.entry(number).or_insert(version)
    }

    pub fn remove_version(&mut self, number: u64) -> Option<Version> {
        self.versions.remove(&number)
    }

    pub fn aliases(&self) -> &Named<Alias> {
        &self.aliases
    }

    pub fn aliases_mut(&mut self) -> &mut Named<Alias> {
        &mut self.aliases
    }
}

impl Activity {
    pub fn new(
        name: String,
        arn: String,
        creation_ms: u64,
        tags: Tags,
        encryption: Encryption,
    ) -> Self {
        Activity {
            name,
            arn,
            creation_ms,
            tags,
            encryption,
        }
    }

    pub fn tags(&self) -> &Tags {
        &self.tags
    }

    pub fn tags_mut(&mut self) -> &mut Tags {
        &mut self.tags
    }
}

impl Region {
    pub fn machines(&self) -> &Named<Machine> {
        &self.machines
    }

    pub fn machines_mut(&mut self) -> &mut Named<Machine> {
        &mut self.machines
    }

    /// The activity registry.
    pub fn activities(&self) -> &Named<Activity> {
        &self.activities
    }

    pub fn activities_mut(&mut self) -> &mut Named<Activity> {
        &mut self.activities
    }

    /// Evicts the finished executions `retention` says go (see `retention.rs`; under the store
    /// lock, taking execution record locks inside it, the order this module allows), and
    /// returns their ARNs.
    fn sweep_finished(
        &mut self,
        retention: &super::retention::Retention,
        now: u64,
        meter: u64,
    ) -> super::retention::Plan {
        let finished: Vec<super::retention::Finished> = self
            .executions
            .values()
            .filter_map(|e| {
                let record = e.record.lock();
                match (record.status, record.stop_ms) {
                    (crate::asl::interp::Status::Running, _) | (_, None) => None,
                    (_, Some(stop)) => Some(super::retention::Finished {
                        stop_ms: stop,
                        arn: e.arn.clone(),
                        bytes: record.history_bytes(),
                    }),
                }
            })
            .collect();
        let mut plan = retention.plan(finished, self.executions.len(), now, meter);
        let gone = &plan.gone;
        if !gone.is_empty() {
            for arn in gone {
                if let Some(e) = self.executions.get(arn) {
                    if let Some(sink) = e.record.lock().sink.take() {
                        sink.forgotten();
                    }
                }
            }
            self.executions.retain(|arn| !gone.contains(arn));
            for list in self.executions_by_machine.values_mut() {
                list.retain(|e| !gone.contains(&e.arn));
            }
            self.executions_by_machine
                .retain(|_, list| !list.is_empty());
        }
        self.sweep_due = std::mem::take(&mut plan.next);
        plan
    }
}

#[derive(Default)]
pub struct Store {
    regions: Mutex<HashMap<(String, String), Region>>,
    retention: super::retention::Retention,
    /// The Distributed Map runs of every region's executions, forgotten with their execution.
    map_runs: Arc<MapRuns>,
    /// The byte cap has evicted an execution (logged once).
    bytes_warned: std::sync::atomic::AtomicBool,
}

impl Store {
    pub fn new(retention: super::retention::Retention, map_runs: Arc<MapRuns>) -> Self {
        Store {
            regions: Mutex::default(),
            retention,
            map_runs,
            bytes_warned: Default::default(),
        }
    }

    /// Runs `f` on the caller's region under the store lock (see the module comment), after
    /// evicting the finished executions that are past their retention (`now` on the clock).
    pub fn with<R>(
        &self,
        account: &str,
        region: &str,
        now: u64,
        f: impl FnOnce(&mut Region) -> R,
    ) -> R {
        let region_name = region;
        let mut regions = self.regions.lock();
        let region = regions
            .entry((account.to_string(), region.to_string()))
            .or_default();
        let meter = crate::asl::interp::history_bytes_meter();
        if self
            .retention
            .due(&region.sweep_due, region.executions.len(), now, meter)
        {
            let plan = region.sweep_finished(&self.retention, now, meter);
            let gone = &plan.gone;
            // The map-run lock is a leaf (nothing holding it takes the store lock), so taking
            // it under the store lock cannot deadlock.
            if !gone.is_empty() {
                self.map_runs.forget_executions(|arn| gone.contains(arn));
            }
            if plan.over_bytes
                && !self
                    .bytes_warned
                    .swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                tracing::warn!(
                    "stepfunctions: finished executions in {account}/{region_name} reached {} \
                     bytes of history (--max-finished-execution-bytes): the ones that stopped \
                     first are forgotten",
                    self.retention.max_finished_bytes,
                );
            }
        }
        f(region)
    }

    /// The (account, region) pairs whose region `keep` accepts.
    pub fn regions_where(&self, keep: impl Fn(&Region) -> bool) -> Vec<(String, String)> {
        self.regions
            .lock()
            .iter()
            .filter(|(_, region)| keep(region))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Runs `f` on every region under the store lock (the state document, the data directory).
    pub fn read_all<R>(&self, f: impl FnOnce(&HashMap<(String, String), Region>) -> R) -> R {
        f(&self.regions.lock())
    }

    /// Replaces machines and activities in every region with `loaded`'s; executions stay
    /// (they are not part of the records yet).
    pub fn replace_definitions(&self, loaded: HashMap<(String, String), Region>) {
        let mut regions = self.regions.lock();
        for region in regions.values_mut() {
            region.machines = Named::default();
            region.activities = Named::default();
        }
        for (key, new) in loaded {
            let region = regions.entry(key).or_default();
            region.machines = new.machines;
            region.activities = new.activities;
        }
    }

    /// Adds an execution read back from the data directory.
    pub fn insert_execution(&self, account: &str, region: &str, execution: Arc<Execution>) {
        let mut regions = self.regions.lock();
        let region = regions
            .entry((account.to_string(), region.to_string()))
            .or_default();
        region
            .executions_by_machine
            .entry(execution.machine_name().to_string())
            .or_default()
            .push(execution.clone());
        region.executions.insert(execution);
    }

    pub fn clear(&self) {
        // Take the regions out first so running executions are stopped without the lock held.
        let regions = std::mem::take(&mut *self.regions.lock());
        for region in regions.into_values() {
            for execution in region.executions.values() {
                execution.control.lock().abandon();
                // After the stop, which writes the record once more.
                if let Some(sink) = execution.record.lock().sink.take() {
                    sink.forgotten();
                }
            }
        }
    }
}

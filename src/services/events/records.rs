//! EventBridge in the state document and the data directory, per (account, region): buses
//! with their policies, rules (patterns and schedules compiled again on load) and targets (as
//! the client sent them, checked again on load), archives with their events, connections, API
//! destinations and endpoints. Replays are kept too; a running one's progress is kept apart
//! (`replays::PROGRESS_PREFIX`), as it changes with every event it sends.

use super::matcher::Matcher;
use super::schedule::Schedule;
use super::store::{
    ApiDestination, Archive, Bus, Connection, DeadLetterConfig, HasName, LogConfig, Region, Rule,
};
use super::targets::Target;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionRecord {
    pub account: String,
    pub region: String,
    #[serde(default)]
    pub buses: Vec<BusRecord>,
    #[serde(default)]
    pub archives: Vec<ArchiveRecord>,
    #[serde(default)]
    pub connections: Vec<Connection>,
    #[serde(default)]
    pub api_destinations: Vec<ApiDestination>,
    #[serde(default)]
    pub endpoints: BTreeMap<String, super::endpoints::Endpoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replays: Vec<super::store::Replay>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusRecord {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub kms_key: Option<String>,
    pub dead_letter: Option<DeadLetterConfig>,
    pub log_config: Option<LogConfig>,
    #[serde(default)]
    pub statements: Vec<Value>,
    pub creation_ms: u64,
    pub modified_ms: u64,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    #[serde(default)]
    pub rules: Vec<RuleRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRecord {
    pub name: String,
    pub arn: String,
    pub event_pattern: Option<String>,
    pub schedule_expression: Option<String>,
    pub state: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub managed_by: Option<String>,
    pub archive: Option<String>,
    pub created_by: String,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// Each target as PutTargets received it.
    #[serde(default)]
    pub targets: Vec<Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRecord {
    pub name: String,
    pub arn: String,
    pub source_arn: String,
    pub description: Option<String>,
    pub event_pattern: Option<String>,
    pub retention_days: u64,
    pub kms_key: Option<String>,
    pub creation_ms: u64,
    /// (time archived in ms, the event). Empty in the data directory's record, which keeps
    /// them as rows under `rows`.
    #[serde(default)]
    pub events: Vec<(u64, Value)>,
    /// Data directory only: the key of the archive's event rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<String>,
}

/// Every region as the state document holds it (archives with their events).
pub fn export(regions: &HashMap<(String, String), Region>) -> Vec<RegionRecord> {
    export_as(regions, false)
}

/// Every region as the data directory's record holds it: archives name their event rows
/// instead of holding their events (written apart as they arrive).
pub fn export_durable(regions: &HashMap<(String, String), Region>) -> Vec<RegionRecord> {
    export_as(regions, true)
}

fn export_as(regions: &HashMap<(String, String), Region>, rows: bool) -> Vec<RegionRecord> {
    let mut out: Vec<RegionRecord> = regions
        .iter()
        .map(|((account, region), r)| RegionRecord {
            account: account.clone(),
            region: region.clone(),
            buses: r.buses().map(export_bus).collect(),
            archives: r
                .archives()
                .values()
                .map(|a| ArchiveRecord {
                    name: a.name.clone(),
                    arn: a.arn.clone(),
                    source_arn: a.source_arn.clone(),
                    description: a.description.clone(),
                    event_pattern: a.event_pattern.clone(),
                    retention_days: a.retention_days,
                    kms_key: a.kms_key.clone(),
                    creation_ms: a.creation_ms,
                    events: if rows {
                        Vec::new()
                    } else {
                        a.events.iter().map(|(t, e)| (*t, (**e).clone())).collect()
                    },
                    rows: rows.then(|| a.rows.key.clone()),
                })
                .collect(),
            connections: r.connections().values().cloned().collect(),
            api_destinations: r.api_destinations().values().cloned().collect(),
            endpoints: r
                .endpoints()
                .values()
                .map(|e| (e.name().to_string(), e.clone()))
                .collect(),
            replays: r.replays().values().map(export_replay).collect(),
        })
        .collect();
    out.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    out
}

fn export_bus(b: &Bus) -> BusRecord {
    BusRecord {
        name: b.name.clone(),
        arn: b.arn.clone(),
        description: b.description.clone(),
        kms_key: b.kms_key.clone(),
        dead_letter: b.dead_letter.clone(),
        log_config: b.log_config.clone(),
        statements: b.statements.clone(),
        creation_ms: b.creation_ms,
        modified_ms: b.modified_ms,
        tags: b.tags.clone(),
        rules: b
            .rules()
            .values()
            .map(|r| RuleRecord {
                name: r.name.clone(),
                arn: r.arn.clone(),
                event_pattern: r.event_pattern.clone(),
                schedule_expression: r.schedule.as_ref().map(|s| s.text().to_string()),
                state: r.state.clone(),
                description: r.description.clone(),
                role_arn: r.role_arn.clone(),
                managed_by: r.managed_by.clone(),
                archive: r.archive.clone(),
                created_by: r.created_by.clone(),
                tags: r.tags.clone(),
                targets: r.targets.iter().map(|t| t.raw.clone()).collect(),
            })
            .collect(),
    }
}

/// A scheduled rule to plan after loading: (account, region, rule, schedule).
pub type Planned = (String, String, String, Schedule);

/// Builds the regions the records describe, checking patterns, schedules and targets as the
/// API would; also returns the enabled scheduled rules.
/// Every region's resources, keyed by (account, region).
pub type Regions = HashMap<(String, String), Region>;

pub fn import(records: Vec<RegionRecord>) -> Result<(Regions, Vec<Planned>), String> {
    let mut regions = HashMap::new();
    let mut planned = Vec::new();
    for r in records {
        let mut region = Region::empty();
        for b in r.buses {
            let mut bus = Bus::new(&b.name, &r.account, &r.region, b.creation_ms);
            for rule in b.rules {
                let matcher = match &rule.event_pattern {
                    Some(p) => Some(Arc::new(Matcher::compile(p).map_err(|e| {
                        format!("events: rule {}: event pattern: {}", rule.name, e)
                    })?)),
                    None => None,
                };
                let schedule = match &rule.schedule_expression {
                    Some(text) => Some(Schedule::parse(text).ok_or_else(|| {
                        format!("events: rule {}: bad schedule {text:?}", rule.name)
                    })?),
                    None => None,
                };
                let mut targets = Vec::new();
                for raw in rule.targets {
                    let target = Target::from_input(raw)
                        .map_err(|e| format!("events: rule {}: target: {e}", rule.name))?;
                    targets.push(Arc::new(target));
                }
                if let (Some(s), true) = (&schedule, rule.state != "DISABLED") {
                    planned.push((
                        r.account.clone(),
                        r.region.clone(),
                        rule.name.clone(),
                        s.clone(),
                    ));
                }
                bus.put_rule(Rule {
                    name: rule.name,
                    shared_arn: std::sync::Arc::from(rule.arn.as_str()),
                    arn: rule.arn,
                    bus_name: b.name.clone(),
                    event_pattern: rule.event_pattern,
                    matcher,
                    schedule,
                    state: rule.state,
                    description: rule.description,
                    role_arn: rule.role_arn,
                    managed_by: rule.managed_by,
                    archive: rule.archive,
                    created_by: rule.created_by,
                    tags: rule.tags,
                    targets,
                });
            }
            // The bus as recorded (its ARN as it was written, not rebuilt).
            bus.arn = b.arn;
            bus.description = b.description;
            bus.kms_key = b.kms_key;
            bus.dead_letter = b.dead_letter;
            bus.log_config = b.log_config;
            bus.statements = b.statements;
            bus.modified_ms = b.modified_ms;
            bus.tags = b.tags;
            region.insert_bus(bus);
        }
        for mut replay in r.replays {
            // A replay that was sending when the state was saved goes on once installed
            // (`replays::resume_running`); a cancel in progress is done.
            if replay.state == "CANCELLING" {
                replay.state = "CANCELLED".into();
                replay.end_ms = replay.end_ms.or(Some(replay.start_ms));
            }
            region.replays_mut().put(replay);
        }
        for a in r.archives {
            region.archives_mut().put(Archive {
                name: a.name,
                arn: a.arn,
                source_arn: a.source_arn,
                description: a.description,
                event_pattern: a.event_pattern,
                retention_days: a.retention_days,
                kms_key: a.kms_key,
                creation_ms: a.creation_ms,
                appended: a.events.len() as u64,
                bytes: a
                    .events
                    .iter()
                    .map(|(_, e)| super::store::json_len(e))
                    .sum(),
                events: a
                    .events
                    .into_iter()
                    .map(|(t, e)| (t, Arc::new(e)))
                    .collect(),
                dropped: 0,
                // A document's events (or a record written before rows) are written as
                // rows at the next sync; a record's rows are read back by `Events::restore`.
                rows: match a.rows {
                    Some(key) if key.starts_with(super::store::ARCHIVE_ROWS_PREFIX) => {
                        super::store::ArchiveRows {
                            key,
                            low: 0,
                            next: 0,
                        }
                    }
                    _ => super::store::ArchiveRows::fresh(),
                },
            });
        }
        for c in r.connections {
            region.connections_mut().put(c);
        }
        for d in r.api_destinations {
            region.api_destinations_mut().put(d);
        }
        for endpoint in r.endpoints.into_values() {
            region.endpoints_mut().put(endpoint);
        }
        regions.insert((r.account, r.region), region);
    }
    Ok((regions, planned))
}

fn export_replay(r: &super::store::Replay) -> super::store::Replay {
    super::store::Replay {
        name: r.name.clone(),
        arn: r.arn.clone(),
        description: r.description.clone(),
        source_arn: r.source_arn.clone(),
        destination: r.destination.clone(),
        state: r.state.clone(),
        state_reason: r.state_reason.clone(),
        event_start_ms: r.event_start_ms,
        event_end_ms: r.event_end_ms,
        last_replayed_ms: r.last_replayed_ms,
        start_ms: r.start_ms,
        end_ms: r.end_ms,
        sent: r.sent,
    }
}

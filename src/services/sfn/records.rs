//! Step Functions in the state document and the data directory, per (account, region): state
//! machines (definitions parsed again on load) with their versions and aliases, activities,
//! and tags. Executions are kept in the data directory by `durable.rs`, not here.

use super::configuration::{Encryption, Logging, Tracing};
use super::store::{Activity, Alias, Machine, Region, Revision, Version};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionRecord {
    pub account: String,
    pub region: String,
    #[serde(default)]
    pub machines: Vec<MachineRecord>,
    #[serde(default)]
    pub activities: Vec<ActivityRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionRecord {
    pub definition: String,
    pub role_arn: String,
    pub logging: Logging,
    pub tracing: Tracing,
    pub revision_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineRecord {
    pub name: String,
    pub arn: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub current: RevisionRecord,
    pub encryption: Encryption,
    pub creation_ms: u64,
    pub update_ms: Option<u64>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    #[serde(default)]
    pub versions: Vec<VersionRecord>,
    pub last_version: u64,
    #[serde(default)]
    pub aliases: Vec<AliasRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRecord {
    pub number: u64,
    pub arn: String,
    pub revision: RevisionRecord,
    pub description: Option<String>,
    pub creation_ms: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasRecord {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub routing: Vec<(String, u64)>,
    pub creation_ms: u64,
    pub update_ms: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityRecord {
    pub name: String,
    pub arn: String,
    pub creation_ms: u64,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    pub encryption: Encryption,
}

pub fn export_revision(r: &Revision) -> RevisionRecord {
    RevisionRecord {
        definition: r.definition.clone(),
        role_arn: r.role_arn.clone(),
        logging: r.logging.clone(),
        tracing: r.tracing.clone(),
        revision_id: r.revision_id.clone(),
    }
}

fn import_revision(r: RevisionRecord, kind: &str, what: &str) -> Result<Revision, String> {
    let parsed = super::machines::parse_machine(&r.definition, kind)
        .map_err(|e| format!("stepfunctions: {what}: {e}"))?;
    Ok(Revision {
        definition: r.definition,
        parsed,
        role_arn: r.role_arn,
        logging: r.logging,
        tracing: r.tracing,
        revision_id: r.revision_id,
    })
}

pub fn export(regions: &HashMap<(String, String), Region>) -> Vec<RegionRecord> {
    let mut out: Vec<RegionRecord> = regions
        .iter()
        .filter(|(_, r)| !r.machines().is_empty() || !r.activities().is_empty())
        .map(|((account, region), r)| RegionRecord {
            account: account.clone(),
            region: region.clone(),
            machines: r
                .machines()
                .values()
                .map(|m| MachineRecord {
                    name: m.name.clone(),
                    arn: m.arn.clone(),
                    kind: m.kind.clone(),
                    current: export_revision(m.current()),
                    encryption: m.encryption().clone(),
                    creation_ms: m.creation_ms,
                    update_ms: m.update_ms(),
                    tags: m.tags().clone(),
                    versions: m
                        .versions()
                        .map(|(n, v)| VersionRecord {
                            number: n,
                            arn: v.arn.clone(),
                            revision: export_revision(&v.revision),
                            description: v.description.clone(),
                            creation_ms: v.creation_ms,
                        })
                        .collect(),
                    last_version: m.last_version(),
                    aliases: m
                        .aliases()
                        .values()
                        .map(|a| AliasRecord {
                            name: a.name.clone(),
                            arn: a.arn.clone(),
                            description: a.description.clone(),
                            routing: a.routing.clone(),
                            creation_ms: a.creation_ms,
                            update_ms: a.update_ms,
                        })
                        .collect(),
                })
                .collect(),
            activities: r
                .activities()
                .values()
                .map(|a| ActivityRecord {
                    name: a.name.clone(),
                    arn: a.arn.clone(),
                    creation_ms: a.creation_ms,
                    tags: a.tags().clone(),
                    encryption: a.encryption.clone(),
                })
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    out
}

pub fn import(records: Vec<RegionRecord>) -> Result<HashMap<(String, String), Region>, String> {
    let mut regions = HashMap::new();
    for r in records {
        let mut region = Region::default();
        for m in r.machines {
            if m.kind != "STANDARD" && m.kind != "EXPRESS" {
                return Err(format!(
                    "stepfunctions: machine {}: type {:?} is not STANDARD or EXPRESS",
                    m.name, m.kind
                ));
            }
            let current = import_revision(m.current, &m.kind, &m.name)?;
            let mut versions = BTreeMap::new();
            for v in m.versions {
                let what = format!("{} version {}", m.name, v.number);
                versions.insert(
                    v.number,
                    Version {
                        arn: v.arn,
                        revision: std::sync::Arc::new(import_revision(v.revision, &m.kind, &what)?),
                        description: v.description,
                        creation_ms: v.creation_ms,
                    },
                );
            }
            // `publish_version` numbers the next version `last_version + 1`: below a kept
            // version it would hand that old version back, at the top it would overflow.
            let highest = versions.keys().next_back().copied().unwrap_or(0);
            if m.last_version < highest || m.last_version == u64::MAX {
                return Err(format!(
                    "stepfunctions: machine {}: last_version {} does not follow its versions (highest {highest})",
                    m.name, m.last_version
                ));
            }
            let aliases = m.aliases.into_iter().map(|a| Alias {
                name: a.name,
                arn: a.arn,
                description: a.description,
                routing: a.routing,
                creation_ms: a.creation_ms,
                update_ms: a.update_ms,
            });
            let machine = Machine::new(
                m.name,
                m.arn,
                m.kind,
                std::sync::Arc::new(current),
                m.encryption,
                m.creation_ms,
                m.update_ms,
                m.tags,
            )
            .with_versions(versions, m.last_version, aliases);
            region.machines_mut().put(machine);
        }
        for a in r.activities {
            region.activities_mut().put(Activity::new(
                a.name,
                a.arn,
                a.creation_ms,
                a.tags,
                a.encryption,
            ));
        }
        regions.insert((r.account, r.region), region);
    }
    Ok(regions)
}

/// Where machines and activities are rows of their own in the data directory:
/// `sfn/cfg/<account>/<region>/machine/<name>` (a machine with its versions, aliases and
/// tags) and `sfn/cfg/<account>/<region>/activity/<name>`. Each row's value names its
/// account and region, so keys are never parsed.
pub const ROW_PREFIX: &str = "sfn/cfg/";
/// The whole record of data directories written before rows.
pub const WHOLE_KEY: &str = "sfn/regions";

/// One row: a machine or an activity, with its account and region.
#[derive(Serialize, Deserialize)]
struct Row {
    account: String,
    region: String,
    #[serde(flatten)]
    part: Part,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Part {
    Machine(Box<MachineRecord>),
    Activity(ActivityRecord),
}

/// Every row of the configuration `regions`, by key.
pub fn rows_of(regions: Vec<RegionRecord>) -> Result<crate::persist::RowMap, serde_json::Error> {
    let mut out = crate::persist::RowMap::new();
    for r in regions {
        let base = format!("{ROW_PREFIX}{}/{}", r.account, r.region);
        let machines = r
            .machines
            .into_iter()
            .map(|m| (format!("machine/{}", m.name), Part::Machine(Box::new(m))));
        let activities = r
            .activities
            .into_iter()
            .map(|a| (format!("activity/{}", a.name), Part::Activity(a)));
        for (name, part) in machines.chain(activities) {
            let row = Row {
                account: r.account.clone(),
                region: r.region.clone(),
                part,
            };
            out.insert(format!("{base}/{name}"), serde_json::to_vec(&row)?);
        }
    }
    Ok(out)
}

/// The configuration that `rows` (key, value) describe.
pub fn from_rows(rows: Vec<(&str, &[u8])>) -> Result<Vec<RegionRecord>, String> {
    let mut regions: BTreeMap<(String, String), RegionRecord> = BTreeMap::new();
    for (key, bytes) in rows {
        let row: Row =
            serde_json::from_slice(bytes).map_err(|e| format!("Step Functions row {key}: {e}"))?;
        let region = regions
            .entry((row.account.clone(), row.region.clone()))
            .or_insert_with(|| RegionRecord {
                account: row.account,
                region: row.region,
                machines: Vec::new(),
                activities: Vec::new(),
            });
        match row.part {
            Part::Machine(m) => region.machines.push(*m),
            Part::Activity(a) => region.activities.push(a),
        }
    }
    Ok(regions.into_values().collect())
}

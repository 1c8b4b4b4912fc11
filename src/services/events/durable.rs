//! EventBridge's configuration in the data directory (`--data-dir`) as rows of their own, one
//! resource per thing a client names: `events/cfg/<account>/<region>/<part>[/<name>]`, with
//! `part` one of `region`, `bus/<bus>`, `rule/<bus>/<rule>` (the rule with its targets),
//! `archive/<name>`, `connection/<name>`, `api_destination/<name>`, `endpoint/<name>` and
//! `replay/<name>`. Each row's value names its account, region and part, so keys are never
//! parsed (bus names may hold `/`).
//!
//! After a change the whole configuration is still exported in memory (it is small), but only
//! the rows whose bytes changed are written and the rows of what is gone deleted: a PutRule
//! writes one row, not every bus and rule (`crate::persist::Rows` keeps the bytes last written
//! per row for that comparison, shared with Step Functions and SNS). Archived events and a replay's progress are rows of their own already
//! (`store::ARCHIVE_ROWS_PREFIX`, `replays::PROGRESS_PREFIX`).
//!
//! A data directory written before rows (the whole record `events/regions`) opens as it is:
//! at start its record is read, written as rows, and deleted in the same commit.

use super::records::RegionRecord;
use crate::persist::{Durable, Kept, Loaded, RowMap, Rows};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The record of data directories written before rows.
const WHOLE_KEY: &str = "events/regions";
const PREFIX: &str = "events/cfg/";

/// One configuration row's value.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Row {
    account: String,
    region: String,
    /// `region`, `bus`, `rule`, `archive`, `connection`, `api_destination`, `endpoint`,
    /// `replay`.
    part: String,
    /// A rule's bus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bus: Option<String>,
    /// An endpoint's name (the others' records hold theirs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default)]
    value: Value,
}

/// EventBridge's configuration rows (`crate::persist::Rows`, which writes only what changed).
pub struct ConfigRows(Rows);

impl ConfigRows {
    pub fn new(durable: Arc<Durable>) -> Self {
        ConfigRows(Rows::new(durable, PREFIX, WHOLE_KEY))
    }

    pub fn durable(&self) -> &Durable {
        self.0.durable()
    }

    /// Writes the rows that changed since the last write and deletes those gone.
    pub fn write(&self, export: impl FnOnce() -> Vec<RegionRecord>) {
        self.0.write(|| rows_of(&export()));
    }

    /// After an API call: writes what the call `changed`, then waits for the commit.
    pub async fn after_call(&self, changed: bool, export: impl FnOnce() -> Vec<RegionRecord>) {
        self.0.after_call(changed, || rows_of(&export())).await;
    }

    /// The configuration the data directory held at start, as the state document's
    /// `events.regions` (`None`: nothing kept). A whole record of an older data directory is
    /// replaced by rows in the first write's commit.
    pub fn loaded(&self, loaded: &Loaded) -> Result<Option<Value>, String> {
        match self.0.loaded(loaded) {
            None => Ok(None),
            Some(Kept::Whole(bytes)) => serde_json::from_slice(bytes)
                .map(Some)
                .map_err(|e| format!("the EventBridge record does not parse: {e}")),
            Some(Kept::Rows(rows)) => {
                let mut parsed = Vec::with_capacity(rows.len());
                for (key, bytes) in rows {
                    let row: Row = serde_json::from_slice(bytes)
                        .map_err(|e| format!("EventBridge row {key}: {e}"))?;
                    parsed.push(row);
                }
                Ok(Some(assemble(parsed)))
            }
        }
    }
}

/// Every row of the configuration `regions`, by key.
fn rows_of(regions: &[RegionRecord]) -> Result<RowMap, serde_json::Error> {
    let mut out = RowMap::new();
    for record in regions {
        let Value::Object(mut region) = serde_json::to_value(record)? else {
            continue;
        };
        let account = &record.account;
        let base = format!("{PREFIX}{account}/{}", record.region);
        let mut put =
            |key: String, part: &str, bus: Option<String>, name: Option<String>, value| {
                let row = Row {
                    account: account.clone(),
                    region: record.region.clone(),
                    part: part.to_string(),
                    bus,
                    name,
                    value,
                };
                out.insert(key, serde_json::to_vec(&row)?);
                Ok::<(), serde_json::Error>(())
            };
        put(format!("{base}/region"), "region", None, None, Value::Null)?;
        let list = |region: &mut Map<String, Value>, member: &str| match region.remove(member) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let name_of = |v: &Value| {
            v.get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        for mut bus in list(&mut region, "buses") {
            let bus_name = name_of(&bus);
            let rules = match bus.as_object_mut().and_then(|b| b.remove("rules")) {
                Some(Value::Array(rules)) => rules,
                _ => Vec::new(),
            };
            for rule in rules {
                let key = format!("{base}/rule/{bus_name}/{}", name_of(&rule));
                put(key, "rule", Some(bus_name.clone()), None, rule)?;
            }
            put(format!("{base}/bus/{bus_name}"), "bus", None, None, bus)?;
        }
        for part in ["archive", "connection", "api_destination", "replay"] {
            for item in list(&mut region, &format!("{part}s")) {
                let key = format!("{base}/{part}/{}", name_of(&item));
                put(key, part, None, None, item)?;
            }
        }
        if let Some(Value::Object(endpoints)) = region.remove("endpoints") {
            for (endpoint, value) in endpoints {
                let key = format!("{base}/endpoint/{endpoint}");
                put(key, "endpoint", None, Some(endpoint), value)?;
            }
        }
    }
    Ok(out)
}

/// The `events.regions` array the rows describe (rows in key order).
fn assemble(rows: Vec<Row>) -> Value {
    let mut regions: BTreeMap<(String, String), Map<String, Value>> = BTreeMap::new();
    let mut rules: Vec<Row> = Vec::new();
    for row in rows {
        let region = regions
            .entry((row.account.clone(), row.region.clone()))
            .or_insert_with(|| {
                let mut m = Map::new();
                m.insert("account".into(), row.account.clone().into());
                m.insert("region".into(), row.region.clone().into());
                for list in [
                    "buses",
                    "archives",
                    "connections",
                    "api_destinations",
                    "replays",
                ] {
                    m.insert(list.into(), Value::Array(Vec::new()));
                }
                m.insert("endpoints".into(), Value::Object(Map::new()));
                m
            });
        let push = |region: &mut Map<String, Value>, list: &str, value: Value| {
            if let Some(Value::Array(items)) = region.get_mut(list) {
                items.push(value);
            }
        };
        match row.part.as_str() {
            "bus" => {
                let mut bus = row.value;
                if let Value::Object(b) = &mut bus {
                    b.insert("rules".into(), Value::Array(Vec::new()));
                }
                push(region, "buses", bus);
            }
            "rule" => rules.push(row),
            "archive" => push(region, "archives", row.value),
            "connection" => push(region, "connections", row.value),
            "api_destination" => push(region, "api_destinations", row.value),
            "replay" => push(region, "replays", row.value),
            "endpoint" => {
                if let (Some(Value::Object(e)), Some(name)) =
                    (region.get_mut("endpoints"), row.name)
                {
                    e.insert(name, row.value);
                }
            }
            _ => {}
        }
    }
    // Rules go into their bus (read after every bus); a rule whose bus has no row is dropped,
    // as DeleteEventBus would have removed it with the bus.
    for row in rules {
        let Some(region) = regions.get_mut(&(row.account, row.region)) else {
            continue;
        };
        let Some(Value::Array(buses)) = region.get_mut("buses") else {
            continue;
        };
        let bus = buses
            .iter_mut()
            .find(|b| b.get("name").and_then(Value::as_str) == row.bus.as_deref());
        if let Some(Value::Array(list)) = bus.and_then(|b| b.get_mut("rules")) {
            list.push(row.value);
        }
    }
    Value::Array(regions.into_values().map(Value::Object).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::{bytes_put, changes, describe as keys};
    use std::collections::HashMap;

    fn region(rules: &[(&str, &str)]) -> Vec<RegionRecord> {
        let rules: Vec<Value> = rules
            .iter()
            .map(|(name, pattern)| {
                serde_json::json!({
                    "name": name, "arn": format!("arn:aws:events:us-east-1:000000000000:rule/{name}"),
                    "event_pattern": pattern, "schedule_expression": null, "state": "ENABLED",
                    "description": null, "role_arn": null, "managed_by": null, "archive": null,
                    "created_by": "000000000000", "tags": [],
                    "targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}],
                })
            })
            .collect();
        let record = serde_json::json!({
            "account": "000000000000", "region": "us-east-1",
            "buses": [{"name": "default", "arn": "arn:aws:events:us-east-1:000000000000:event-bus/default",
                       "description": null, "kms_key": null, "dead_letter": null, "log_config": null,
                       "statements": [], "creation_ms": 1, "modified_ms": 1, "tags": [], "rules": rules}],
            "archives": [], "connections": [], "api_destinations": [], "endpoints": {},
        });
        vec![serde_json::from_value(record).unwrap()]
    }

    #[test]
    fn a_change_of_one_rule_among_many_writes_that_rule_s_row_alone() {
        let names: Vec<String> = (0..200).map(|i| format!("r{i}")).collect();
        let before: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "{}")).collect();
        let mut written = HashMap::new();
        let first = changes(&mut written, rows_of(&region(&before)).expect("serialises"));
        // One row per rule, the bus and the region.
        assert_eq!(first.len(), 202);
        let mut after = before.clone();
        after[7].1 = r#"{"source":["changed"]}"#;
        let second = changes(&mut written, rows_of(&region(&after)).expect("serialises"));
        let base = "events/cfg/000000000000/us-east-1";
        assert_eq!(keys(&second), vec![format!("put {base}/rule/default/r7")]);
        let bytes = bytes_put(&second);
        assert!(bytes < 600, "{bytes} bytes written for one rule");
        after.remove(3);
        let third = changes(&mut written, rows_of(&region(&after)).expect("serialises"));
        assert_eq!(keys(&third), vec![format!("delete {base}/rule/default/r3")]);
        assert!(changes(&mut written, rows_of(&region(&after)).expect("serialises")).is_empty());
    }

    #[test]
    fn rows_assemble_into_the_regions_they_were_split_from() {
        let records = region(&[("a", "{}"), ("b", r#"{"source":["x"]}"#)]);
        let rows: Vec<Row> = rows_of(&records)
            .expect("serialises")
            .values()
            .map(|bytes| serde_json::from_slice(bytes).unwrap())
            .collect();
        let expected = serde_json::to_value(&records).unwrap();
        let got = assemble(rows);
        // Lists that were empty come back empty; key order aside, the records are equal.
        let parsed: Vec<RegionRecord> = serde_json::from_value(got).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), expected);
    }
}

//! CreateArchive, DescribeArchive, UpdateArchive, DeleteArchive, ListArchives. As in AWS, an
//! archive is filled through a managed rule on its bus, `Events-Archive-<name>`, whose pattern
//! is the archive's plus `"replay-name": [{"exists": false}]` (replayed events are not archived
//! again) and whose one target stands for the archive; `delivery` stores what that rule
//! matches. Retention is applied whenever an archive is read or written, against the shared
//! clock.

use super::arn;
use super::errors::EventsError;
use super::matcher::Matcher;
use super::pagination::page;
use super::store::{Archive, Region, Rule};
use super::targets::Target;
use super::{empty, seconds, Answer, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

const DAY_MS: u64 = 86_400_000;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateInput {
    archive_name: String,
    event_source_arn: String,
    description: Option<String>,
    event_pattern: Option<String>,
    retention_days: Option<u64>,
    kms_key_identifier: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateInput {
    archive_name: String,
    description: Option<String>,
    event_pattern: Option<String>,
    retention_days: Option<u64>,
    kms_key_identifier: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameInput {
    archive_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
    name_prefix: Option<String>,
    event_source_arn: Option<String>,
    state: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

/// Drops events older than the archive's retention (0 days keeps them forever).
pub fn apply_retention(archive: &mut Archive, now: u64) {
    if archive.retention_days > 0 {
        let keep_ms = archive.retention_days * DAY_MS;
        let mut gone = 0;
        archive.events.retain(|(at, event)| {
            let keep = now.saturating_sub(*at) < keep_ms;
            if !keep {
                gone += super::store::json_len(event);
            }
            keep
        });
        archive.bytes = archive.bytes.saturating_sub(gone);
    }
}

/// Who manages an archive's rule, as DescribeRule shows it.
const MANAGED_BY: &str = "prod.vhs.events.aws.internal";

fn rule_name(archive: &str) -> String {
    format!("Events-Archive-{archive}")
}

/// The managed rule's pattern: the archive's (if any) plus `replay-name` must not exist.
/// Returns the pattern text and its compiled matcher.
fn managed_pattern(pattern: Option<&str>) -> Result<(String, Arc<Matcher>), EventsError> {
    let pattern = pattern.filter(|p| !p.is_empty());
    // The archive's own pattern is checked first, so its errors read as for any pattern.
    if let Some(text) = pattern {
        Matcher::compile(text)?;
    }
    let mut fields = match pattern.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(fields))) => fields,
        _ => serde_json::Map::new(),
    };
    fields.insert("replay-name".into(), json!([{"exists": false}]));
    let text = Value::Object(fields).to_string();
    let matcher = Matcher::compile(&text)?;
    Ok((text, Arc::new(matcher)))
}

/// The managed rule of a new archive, with its one target: an InputTransformer that wraps
/// the event with the archive (and this incarnation of it) and its ingestion time.
fn managed_rule(
    ctx: &RequestContext,
    bus: &str,
    archive_name: &str,
    archive_arn: &str,
    pattern: (String, Arc<Matcher>),
) -> Result<Rule, EventsError> {
    let name = rule_name(archive_name);
    let template = format!(
        r#"{{"archive-arn": "{archive_arn}:{}", "event": <aws.events.event.json>, "ingestion-time": <aws.events.event.ingestion-time>}}"#,
        uuid::Uuid::new_v4()
    );
    let target = Target::from_input(json!({
        "Id": name,
        "Arn": format!("{}::", crate::arn::prefix("events", &ctx.region, "")),
        "InputTransformer": {"InputPathsMap": {}, "InputTemplate": template},
    }))?;
    let rule_arn = arn::rule_arn(ctx, bus, &name);
    Ok(Rule {
        name: name.clone(),
        shared_arn: std::sync::Arc::from(rule_arn.as_str()),
        arn: rule_arn,
        bus_name: bus.to_string(),
        event_pattern: Some(pattern.0),
        matcher: Some(pattern.1),
        schedule: None,
        state: "ENABLED".into(),
        description: None,
        role_arn: None,
        managed_by: Some(MANAGED_BY.into()),
        archive: Some(archive_name.to_string()),
        created_by: ctx.account_id.clone(),
        tags: Vec::new(),
        targets: vec![Arc::new(target)],
    })
}

/// The archive's source bus must exist in the caller's region.
fn check_source(region: &Region, source_arn: &str) -> Result<(), EventsError> {
    let name = arn::parse_bus_arn(source_arn)
        .map(|(_, _, name)| name)
        .unwrap_or_else(|| source_arn.to_string());
    match region.find_bus(&name) {
        Some(bus) if bus.arn == source_arn => Ok(()),
        _ => Err(EventsError::no_bus(&name)),
    }
}

pub fn create(
    ev: &Inner,
    ctx: &RequestContext,
    input: CreateInput,
) -> Result<ArchiveState, EventsError> {
    let pattern = managed_pattern(input.event_pattern.as_deref())?;
    let now = ev.now();
    let archive_arn = arn::resource_arn(ctx, "archive", &input.archive_name);
    ev.region(ctx, |region| {
        check_source(region, &input.event_source_arn)?;
        if region.archives().contains(&input.archive_name) {
            return Err(EventsError::exists("Archive", &input.archive_name));
        }
        let bus = arn::bus_name(Some(&input.event_source_arn));
        let rule = managed_rule(ctx, &bus, &input.archive_name, &archive_arn, pattern)?;
        if let Some(bus) = region.find_bus_mut(&bus) {
            bus.put_rule(rule);
        }
        region.archives_mut().put(Archive {
            name: input.archive_name,
            arn: archive_arn.clone(),
            source_arn: input.event_source_arn,
            description: input.description,
            event_pattern: input.event_pattern,
            retention_days: input.retention_days.unwrap_or(0),
            kms_key: input.kms_key_identifier,
            creation_ms: now,
            events: Default::default(),
            bytes: 0,
            dropped: 0,
            appended: 0,
            rows: super::store::ArchiveRows::fresh(),
        });
        Ok(ArchiveState {
            archive_arn,
            state: "ENABLED",
            creation_time: seconds(now),
        })
    })
}

/// CreateArchive's and UpdateArchive's output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ArchiveState {
    archive_arn: String,
    state: &'static str,
    creation_time: f64,
}

/// An archive of ListArchives; DescribeArchive adds its details.
#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ArchiveSummary {
    archive_name: String,
    event_source_arn: String,
    state: &'static str,
    retention_days: u64,
    size_bytes: u64,
    event_count: usize,
    creation_time: f64,
    #[serde(flatten)]
    details: Option<ArchiveDetails>,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ArchiveDetails {
    archive_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_key_identifier: Option<String>,
}

fn summary(archive: &Archive) -> ArchiveSummary {
    ArchiveSummary {
        archive_name: archive.name.clone(),
        event_source_arn: archive.source_arn.clone(),
        state: "ENABLED",
        retention_days: archive.retention_days,
        size_bytes: archive.size_bytes(),
        event_count: archive.events.len(),
        creation_time: seconds(archive.creation_ms),
        details: None,
    }
}

pub fn describe(
    ev: &Inner,
    ctx: &RequestContext,
    input: NameInput,
) -> Result<ArchiveSummary, EventsError> {
    let now = ev.now();
    ev.region(ctx, |region| {
        let archive = region
            .archives_mut()
            .get_mut(&input.archive_name)
            .ok_or_else(|| EventsError::not_found("Archive", &input.archive_name))?;
        apply_retention(archive, now);
        Ok(ArchiveSummary {
            details: Some(ArchiveDetails {
                archive_arn: archive.arn.clone(),
                description: archive.description.clone(),
                event_pattern: archive.event_pattern.clone(),
                kms_key_identifier: archive.kms_key.clone(),
            }),
            ..summary(archive)
        })
    })
}

pub fn update(
    ev: &Inner,
    ctx: &RequestContext,
    input: UpdateInput,
) -> Result<ArchiveState, EventsError> {
    let pattern = input
        .event_pattern
        .as_deref()
        .map(|p| managed_pattern(Some(p)))
        .transpose()?;
    ev.region(ctx, |region| {
        let archive = region
            .archives_mut()
            .get_mut(&input.archive_name)
            .ok_or_else(|| EventsError::not_found("Archive", &input.archive_name))?;
        if input.description.is_some() {
            archive.description = input.description;
        }
        // The archive's managed rule takes the new pattern once the archive is updated.
        let mut new_rule_pattern = None;
        if let Some((text, matcher)) = pattern {
            archive.event_pattern = input.event_pattern.filter(|p| !p.is_empty());
            let bus = arn::bus_name(Some(&archive.source_arn));
            new_rule_pattern = Some((bus, rule_name(&archive.name), text, matcher));
        }
        if let Some(days) = input.retention_days {
            archive.retention_days = days;
        }
        if input.kms_key_identifier.is_some() {
            archive.kms_key = input.kms_key_identifier;
        }
        let out = ArchiveState {
            archive_arn: archive.arn.clone(),
            state: "ENABLED",
            creation_time: seconds(archive.creation_ms),
        };
        if let Some((bus, name, text, matcher)) = new_rule_pattern {
            if let Some(rule) = region.find_bus_mut(&bus).and_then(|b| b.rule_mut(&name)) {
                rule.event_pattern = Some(text);
                rule.matcher = Some(matcher);
            }
        }
        Ok(out)
    })
}

pub fn delete(ev: &Inner, ctx: &RequestContext, input: NameInput) -> Result<Empty, EventsError> {
    ev.region(ctx, |region| {
        let archive = region
            .archives_mut()
            .remove(&input.archive_name)
            .ok_or_else(|| EventsError::not_found("Archive", &input.archive_name))?;
        let bus = arn::bus_name(Some(&archive.source_arn));
        if let Some(bus) = region.find_bus_mut(&bus) {
            bus.remove_rule(&rule_name(&archive.name));
        }
        Ok(empty())
    })
}

/// ListArchives and ListReplays filter by at most one of NamePrefix, EventSourceArn, State.
pub fn check_one_filter(operation: &str, filters: &[bool]) -> Result<(), EventsError> {
    if filters.iter().filter(|given| **given).count() > 1 {
        return Err(EventsError::validation(format!(
            "At most one filter is allowed for {operation}. Use either : State, EventSourceArn, or NamePrefix."
        )));
    }
    Ok(())
}

pub fn list(ev: &Inner, ctx: &RequestContext, input: ListInput) -> Answer<Listed<ArchiveSummary>> {
    check_one_filter(
        "ListArchives",
        &[
            input.name_prefix.is_some(),
            input.event_source_arn.is_some(),
            input.state.is_some(),
        ],
    )?;
    let prefix = input.name_prefix.unwrap_or_default();
    let now = ev.now();
    ev.region(ctx, |region| {
        if let Some(source) = &input.event_source_arn {
            check_source(region, source)?;
        }
        let all: Vec<ArchiveSummary> = region
            .archives_mut()
            .values_mut()
            .filter(|a| a.name.starts_with(&prefix))
            .filter(|a| {
                input
                    .event_source_arn
                    .as_ref()
                    .is_none_or(|s| *s == a.source_arn)
            })
            .filter(|_| input.state.as_deref().is_none_or(|s| s == "ENABLED"))
            .map(|a| {
                apply_retention(a, now);
                summary(a)
            })
            .collect();
        let (items, next) = page(&all, input.limit, input.next_token.as_deref(), "archives")?;
        Ok(Listed::new("Archives", items, next))
    })
}

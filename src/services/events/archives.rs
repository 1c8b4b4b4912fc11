//! CreateArchive, DescribeArchive, UpdateArchive, DeleteArchive, ListArchives. `delivery`
//! stores matching events into archives; retention is applied whenever an archive is read or
//! written, against the shared clock.

use super::arn;
use super::errors::EventsError;
use super::matcher::Matcher;
use super::pagination::page;
use super::store::{Archive, Region};
use super::{compact, empty, parse, timestamp, Inner};
use crate::services::RequestContext;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

const DAY_MS: u64 = 86_400_000;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    archive_name: String,
    event_source_arn: String,
    description: Option<String>,
    event_pattern: Option<String>,
    retention_days: Option<u64>,
    kms_key_identifier: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateInput {
    archive_name: String,
    description: Option<String>,
    event_pattern: Option<String>,
    retention_days: Option<u64>,
    kms_key_identifier: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NameInput {
    archive_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
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
        archive
            .events
            .retain(|(at, _)| now.saturating_sub(*at) < keep_ms);
    }
}

fn compile(pattern: Option<&str>) -> Result<Option<Arc<Matcher>>, EventsError> {
    pattern
        .filter(|p| !p.is_empty())
        .map(Matcher::compile)
        .transpose()
        .map(|m| m.map(Arc::new))
}

/// The archive's source bus must exist in the caller's region.
fn check_source(region: &Region, source_arn: &str) -> Result<(), EventsError> {
    let name = arn::parse_bus_arn(source_arn)
        .map(|(_, _, name)| name)
        .unwrap_or_else(|| source_arn.to_string());
    match region.buses.get(&name) {
        Some(bus) if bus.arn == source_arn => Ok(()),
        _ => Err(EventsError::no_bus(&name)),
    }
}

pub fn create(ev: &Inner, ctx: &RequestContext, input: Value) -> Result<Value, EventsError> {
    let input: CreateInput = parse(input)?;
    let matcher = compile(input.event_pattern.as_deref())?;
    let now = ev.now();
    let archive_arn = arn::resource_arn(ctx, "archive", &input.archive_name);
    ev.region(ctx, |region| {
        check_source(region, &input.event_source_arn)?;
        if region.archives.contains_key(&input.archive_name) {
            return Err(EventsError::exists("Archive", &input.archive_name));
        }
        region.archives.insert(
            input.archive_name.clone(),
            Archive {
                name: input.archive_name,
                arn: archive_arn.clone(),
                source_arn: input.event_source_arn,
                description: input.description,
                event_pattern: input.event_pattern,
                matcher,
                retention_days: input.retention_days.unwrap_or(0),
                kms_key: input.kms_key_identifier,
                creation_ms: now,
                events: Vec::new(),
            },
        );
        Ok(json!({
            "ArchiveArn": archive_arn,
            "State": "ENABLED",
            "CreationTime": timestamp(now),
        }))
    })
}

fn summary(archive: &Archive) -> Value {
    compact(json!({
        "ArchiveName": archive.name,
        "EventSourceArn": archive.source_arn,
        "State": "ENABLED",
        "RetentionDays": archive.retention_days,
        "SizeBytes": archive.size_bytes(),
        "EventCount": archive.events.len(),
        "CreationTime": timestamp(archive.creation_ms),
    }))
}

pub fn describe(ev: &Inner, ctx: &RequestContext, input: Value) -> Result<Value, EventsError> {
    let input: NameInput = parse(input)?;
    let now = ev.now();
    ev.region(ctx, |region| {
        let archive = region
            .archives
            .get_mut(&input.archive_name)
            .ok_or_else(|| EventsError::not_found("Archive", &input.archive_name))?;
        apply_retention(archive, now);
        let mut out = summary(archive);
        out["ArchiveArn"] = json!(archive.arn);
        out["Description"] = json!(archive.description);
        out["EventPattern"] = json!(archive.event_pattern);
        out["KmsKeyIdentifier"] = json!(archive.kms_key);
        Ok(compact(out))
    })
}

pub fn update(ev: &Inner, ctx: &RequestContext, input: Value) -> Result<Value, EventsError> {
    let input: UpdateInput = parse(input)?;
    let matcher = compile(input.event_pattern.as_deref())?;
    ev.region(ctx, |region| {
        let archive = region
            .archives
            .get_mut(&input.archive_name)
            .ok_or_else(|| EventsError::not_found("Archive", &input.archive_name))?;
        if input.description.is_some() {
            archive.description = input.description;
        }
        if input.event_pattern.is_some() {
            archive.event_pattern = input.event_pattern.filter(|p| !p.is_empty());
            archive.matcher = matcher;
        }
        if let Some(days) = input.retention_days {
            archive.retention_days = days;
        }
        if input.kms_key_identifier.is_some() {
            archive.kms_key = input.kms_key_identifier;
        }
        Ok(json!({
            "ArchiveArn": archive.arn,
            "State": "ENABLED",
            "CreationTime": timestamp(archive.creation_ms),
        }))
    })
}

pub fn delete(ev: &Inner, ctx: &RequestContext, input: Value) -> Result<Value, EventsError> {
    let input: NameInput = parse(input)?;
    ev.region(ctx, |region| {
        region
            .archives
            .remove(&input.archive_name)
            .ok_or_else(|| EventsError::not_found("Archive", &input.archive_name))?;
        Ok(empty())
    })
}

pub fn list(ev: &Inner, ctx: &RequestContext, input: Value) -> Result<Value, EventsError> {
    let input: ListInput = parse(input)?;
    let prefix = input.name_prefix.unwrap_or_default();
    let now = ev.now();
    ev.region(ctx, |region| {
        if let Some(source) = &input.event_source_arn {
            check_source(region, source)?;
        }
        let all: Vec<Value> = region
            .archives
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
        Ok(compact(json!({"Archives": items, "NextToken": next})))
    })
}

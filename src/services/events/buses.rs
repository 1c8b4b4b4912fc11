//! CreateEventBus, DescribeEventBus, ListEventBuses, UpdateEventBus, DeleteEventBus. The
//! default bus exists in every (account, region) and cannot be deleted.

use super::arn;
use super::errors::EventsError;
use super::pagination::page;
use super::permissions::policy_document;
use super::store::{Bus, DeadLetterConfig, LogConfig, DEFAULT_BUS};
use super::tags;
use super::{empty, seconds, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateInput {
    name: String,
    event_source_name: Option<String>,
    description: Option<String>,
    kms_key_identifier: Option<String>,
    dead_letter_config: Option<DeadLetterConfig>,
    log_config: Option<LogConfig>,
    tags: Option<Vec<tags::TagIn>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameInput {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateInput {
    name: Option<String>,
    description: Option<String>,
    kms_key_identifier: Option<String>,
    dead_letter_config: Option<DeadLetterConfig>,
    log_config: Option<LogConfig>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
    name_prefix: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

pub fn create(
    ev: &Inner,
    ctx: &RequestContext,
    input: CreateInput,
) -> Result<CreateOutput, EventsError> {
    let tags = tags::from_input(input.tags)?;
    // Partner event sources exist only for accounts that a SaaS partner set one up for;
    // this account has none, so a partner bus has no source to attach to.
    if let Some(source) = &input.event_source_name {
        return Err(EventsError::not_found("Event source", source));
    }
    if input.name.starts_with("aws.") {
        return Err(EventsError::validation(
            "Event bus name must not start with 'aws.'",
        ));
    }
    if input.name.contains('/') {
        return Err(EventsError::validation(
            "Event bus name must not contain '/'.",
        ));
    }
    let now = ev.now();
    ev.region(ctx, |region| {
        if region.has_bus(&input.name) {
            return Err(EventsError::exists("Event bus", &input.name));
        }
        let mut bus = Bus::new(&input.name, &ctx.account_id, &ctx.region, now);
        bus.description = input.description.clone();
        bus.kms_key = input.kms_key_identifier.clone();
        bus.dead_letter = input.dead_letter_config.clone();
        bus.log_config = input.log_config.clone();
        bus.tags = tags;
        let arn = bus.arn.clone();
        region.insert_bus(bus);
        Ok(CreateOutput {
            event_bus_arn: arn,
            description: input.description,
            settings: Settings {
                kms_key_identifier: input.kms_key_identifier,
                dead_letter_config: input.dead_letter_config,
                log_config: input.log_config,
            },
        })
    })
}

/// CreateEventBus's output: the ARN and the settings given.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateOutput {
    event_bus_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(flatten)]
    settings: Settings,
}

/// DescribeEventBus's output, and a bus of ListEventBuses' (without the settings).
#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct BusOutput {
    name: String,
    arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<String>,
    /// Epoch seconds with the milliseconds as a fraction.
    creation_time: f64,
    last_modified_time: f64,
    #[serde(flatten)]
    settings: Option<Settings>,
}

/// A bus's settings, as DescribeEventBus and UpdateEventBus show them.
#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Settings {
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_key_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dead_letter_config: Option<DeadLetterConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_config: Option<LogConfig>,
}

impl Settings {
    fn of(bus: &Bus) -> Self {
        Settings {
            kms_key_identifier: bus.kms_key.clone(),
            dead_letter_config: bus.dead_letter.clone(),
            log_config: bus.log_config.clone(),
        }
    }
}

fn describe_bus(bus: &Bus, full: bool) -> BusOutput {
    BusOutput {
        name: bus.name.clone(),
        arn: bus.arn.clone(),
        description: bus.description.clone(),
        policy: policy_document(bus).map(|p| p.to_string()),
        creation_time: seconds(bus.creation_ms),
        last_modified_time: seconds(bus.modified_ms),
        settings: full.then(|| Settings::of(bus)),
    }
}

/// UpdateEventBus's output: the bus with its settings now.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateOutput {
    arn: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(flatten)]
    settings: Settings,
}

pub fn describe(
    ev: &Inner,
    ctx: &RequestContext,
    input: NameInput,
) -> Result<BusOutput, EventsError> {
    let name = arn::bus_name(input.name.as_deref());
    ev.region(ctx, |region| {
        let bus = region.bus(&name)?;
        Ok(describe_bus(bus, true))
    })
}

pub fn list(
    ev: &Inner,
    ctx: &RequestContext,
    input: ListInput,
) -> Result<Listed<BusOutput>, EventsError> {
    let prefix = input.name_prefix.unwrap_or_default();
    ev.region(ctx, |region| {
        let all: Vec<BusOutput> = region
            .buses()
            .filter(|b| b.name.starts_with(&prefix))
            .map(|b| describe_bus(b, false))
            .collect();
        let (items, next) = page(&all, input.limit, input.next_token.as_deref(), "buses")?;
        Ok(Listed::new("EventBuses", items, next))
    })
}

pub fn update(
    ev: &Inner,
    ctx: &RequestContext,
    input: UpdateInput,
) -> Result<UpdateOutput, EventsError> {
    let name = arn::bus_name(input.name.as_deref());
    let now = ev.now();
    ev.region(ctx, |region| {
        let bus = region.bus_mut(&name)?;
        if input.description.is_some() {
            bus.description = input.description;
        }
        if input.kms_key_identifier.is_some() {
            bus.kms_key = input.kms_key_identifier;
        }
        if input.dead_letter_config.is_some() {
            bus.dead_letter = input.dead_letter_config;
        }
        if input.log_config.is_some() {
            bus.log_config = input.log_config;
        }
        bus.modified_ms = now;
        Ok(UpdateOutput {
            arn: bus.arn.clone(),
            name: bus.name.clone(),
            description: bus.description.clone(),
            settings: Settings::of(bus),
        })
    })
}

/// Deleting a bus that does not exist succeeds, as in AWS; its rules go with it.
pub fn delete(ev: &Inner, ctx: &RequestContext, input: NameInput) -> Result<Empty, EventsError> {
    let name = arn::bus_name(input.name.as_deref());
    if name == DEFAULT_BUS {
        return Err(EventsError::validation("Cannot delete event bus default."));
    }
    let removed = ev.region(ctx, |region| region.remove_bus(&name));
    if let Some(bus) = removed {
        for rule in bus.rules().values() {
            if rule.schedule.is_some() {
                ev.store
                    .schedule(super::scheduler::key(ctx, &rule.name), None);
            }
        }
    }
    Ok(empty())
}

//! PutRule, DescribeRule, DeleteRule, EnableRule, DisableRule, ListRules,
//! ListRuleNamesByTarget. A rule's pattern is compiled once here; a scheduled rule's next
//! firing is planned with the scheduler.

use super::arn;
use super::errors::EventsError;
use super::matcher::Matcher;
use super::pagination::page;
use super::schedule::Schedule;
use super::store::{Rule, DEFAULT_BUS};
use super::{empty, scheduler, tags, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutInput {
    name: String,
    schedule_expression: Option<String>,
    event_pattern: Option<String>,
    state: Option<String>,
    description: Option<String>,
    role_arn: Option<String>,
    tags: Option<Vec<tags::TagIn>>,
    event_bus_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RuleInput {
    name: String,
    event_bus_name: Option<String>,
    #[serde(default)]
    force: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
    name_prefix: Option<String>,
    event_bus_name: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ByTargetInput {
    target_arn: String,
    event_bus_name: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

pub fn put(ev: &Inner, ctx: &RequestContext, input: PutInput) -> Result<RuleArn, EventsError> {
    let bus = arn::bus_name(input.event_bus_name.as_deref());
    let pattern = input.event_pattern.filter(|p| !p.is_empty());
    let schedule_text = input.schedule_expression.filter(|s| !s.is_empty());
    if pattern.is_none() && schedule_text.is_none() {
        return Err(EventsError::validation(
            "Parameter(s) EventPattern or ScheduleExpression must be specified.",
        ));
    }
    let schedule = match &schedule_text {
        Some(text) => {
            if bus != DEFAULT_BUS {
                return Err(EventsError::validation(
                    "ScheduleExpression is supported only on the default event bus.",
                ));
            }
            Some(Schedule::parse(text).ok_or_else(|| {
                EventsError::validation("Parameter ScheduleExpression is not valid.")
            })?)
        }
        None => None,
    };
    let matcher = pattern
        .as_deref()
        .map(Matcher::compile)
        .transpose()?
        .map(Arc::new);
    let new_tags = tags::from_input(input.tags)?;
    let state = input.state.unwrap_or_else(|| "ENABLED".to_string());
    let rule_arn = arn::rule_arn(ctx, &bus, &input.name);
    let now = ev.now();
    let enabled = state != "DISABLED";
    ev.region(ctx, |region| {
        let bus_entry = region.bus_mut(&bus)?;
        // PutRule replaces the definition of an existing rule; its targets and tags stay.
        let (targets, mut rule_tags) = match bus_entry.remove_rule(&input.name) {
            Some(old) => (old.targets, old.tags),
            None => (Vec::new(), Vec::new()),
        };
        crate::services::tags::merge(&mut rule_tags, new_tags);
        bus_entry.put_rule(Rule {
            name: input.name.clone(),
            arn: rule_arn.clone(),
            shared_arn: Arc::from(rule_arn.as_str()),
            bus_name: bus.clone(),
            event_pattern: pattern,
            matcher,
            schedule: schedule.clone(),
            state,
            description: input.description,
            role_arn: input.role_arn,
            managed_by: None,
            archive: None,
            created_by: ctx.account_id.clone(),
            tags: rule_tags,
            targets,
        });
        Ok::<_, EventsError>(())
    })?;
    let key = scheduler::key(ctx, &input.name);
    let next = schedule.filter(|_| enabled).and_then(|s| s.next_after(now));
    ev.store.schedule(key, next);
    ev.schedule_changed();
    Ok(RuleArn { rule_arn })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RuleArn {
    rule_arn: String,
}

/// DescribeRule's output and a rule of ListRules' (which leaves out `CreatedBy`).
#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RuleOutput {
    name: String,
    arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule_expression: Option<String>,
    state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    managed_by: Option<String>,
    event_bus_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by: Option<String>,
}

fn describe_rule(rule: &Rule, with_created_by: bool) -> RuleOutput {
    RuleOutput {
        name: rule.name.clone(),
        arn: rule.arn.clone(),
        event_pattern: rule.event_pattern.clone(),
        schedule_expression: rule.schedule.as_ref().map(|s| s.text().to_string()),
        state: rule.state.clone(),
        description: rule.description.clone(),
        role_arn: rule.role_arn.clone(),
        managed_by: rule.managed_by.clone(),
        event_bus_name: rule.bus_name.clone(),
        created_by: with_created_by.then(|| rule.created_by.clone()),
    }
}

pub fn describe(
    ev: &Inner,
    ctx: &RequestContext,
    input: RuleInput,
) -> Result<RuleOutput, EventsError> {
    let bus = arn::bus_name(input.event_bus_name.as_deref());
    ev.region(ctx, |region| {
        let rule = region.rule(&bus, &input.name)?;
        Ok(describe_rule(rule, true))
    })
}

/// Deleting a rule that does not exist succeeds; one with targets must lose them first.
pub fn delete(ev: &Inner, ctx: &RequestContext, input: RuleInput) -> Result<Empty, EventsError> {
    let bus = arn::bus_name(input.event_bus_name.as_deref());
    ev.region(ctx, |region| {
        let bus_entry = region.bus_mut(&bus)?;
        let Some(rule) = bus_entry.rule(&input.name) else {
            return Ok(());
        };
        if rule.managed_by.is_some() && !input.force {
            return Err(EventsError::ManagedRule(format!(
                "Rule {} is managed by {} and cannot be deleted without Force.",
                rule.name,
                rule.managed_by.as_deref().unwrap_or_default()
            )));
        }
        if !rule.targets.is_empty() {
            return Err(EventsError::validation(
                "Rule can't be deleted since it has targets.",
            ));
        }
        bus_entry.remove_rule(&input.name);
        Ok(())
    })?;
    ev.store.schedule(scheduler::key(ctx, &input.name), None);
    Ok(empty())
}

pub fn enable(ev: &Inner, ctx: &RequestContext, input: RuleInput) -> Result<Empty, EventsError> {
    set_state(ev, ctx, input, "ENABLED")
}

pub fn disable(ev: &Inner, ctx: &RequestContext, input: RuleInput) -> Result<Empty, EventsError> {
    set_state(ev, ctx, input, "DISABLED")
}

fn set_state(
    ev: &Inner,
    ctx: &RequestContext,
    input: RuleInput,
    state: &str,
) -> Result<Empty, EventsError> {
    let bus = arn::bus_name(input.event_bus_name.as_deref());
    let schedule = ev.region(ctx, |region| {
        let rule = region.rule_mut(&bus, &input.name)?;
        rule.state = state.to_string();
        Ok::<_, EventsError>(rule.schedule.clone())
    })?;
    if let Some(schedule) = schedule {
        let next = (state == "ENABLED")
            .then(|| schedule.next_after(ev.now()))
            .flatten();
        ev.store.schedule(scheduler::key(ctx, &input.name), next);
        ev.schedule_changed();
    }
    Ok(empty())
}

pub fn list(
    ev: &Inner,
    ctx: &RequestContext,
    input: ListInput,
) -> Result<Listed<RuleOutput>, EventsError> {
    let bus = arn::bus_name(input.event_bus_name.as_deref());
    let prefix = input.name_prefix.unwrap_or_default();
    ev.region(ctx, |region| {
        let all: Vec<RuleOutput> = region
            .bus(&bus)?
            .rules()
            .values()
            .filter(|r| r.name.starts_with(&prefix))
            .map(|r| describe_rule(r, false))
            .collect();
        let listing = format!("rules/{bus}");
        let (items, next) = page(&all, input.limit, input.next_token.as_deref(), &listing)?;
        Ok(Listed::new("Rules", items, next))
    })
}

pub fn list_names_by_target(
    ev: &Inner,
    ctx: &RequestContext,
    input: ByTargetInput,
) -> Result<Listed<String>, EventsError> {
    let bus = arn::bus_name(input.event_bus_name.as_deref());
    ev.region(ctx, |region| {
        let names: Vec<String> = region
            .bus(&bus)?
            .rules()
            .values()
            .filter(|r| r.targets.iter().any(|t| t.arn == input.target_arn))
            .map(|r| r.name.clone())
            .collect();
        let listing = format!("by-target/{bus}/{}", input.target_arn);
        let (items, next) = page(&names, input.limit, input.next_token.as_deref(), &listing)?;
        Ok(Listed::new("RuleNames", items, next))
    })
}

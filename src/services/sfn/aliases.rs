//! Aliases: a name on a machine routing its executions to one or two versions by weight.
//! Create/Describe/Update/Delete/ListStateMachineAliases; StartExecution picks the version
//! (`executions.rs`).

use super::arn::{self, Resource};
use super::errors::SfnError;
use super::lookup::machine_mut;
use super::pagination;
use super::store::{Alias, Machine, Region};
use super::versions::{listed_item, ArnItem};
use super::{empty, seconds, Inner};
use crate::model::ViolationKind;
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use crate::services::validation::coral_single;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Route {
    state_machine_version_arn: String,
    weight: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateInput {
    name: String,
    description: Option<String>,
    routing_configuration: Vec<Route>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AliasArnInput {
    state_machine_alias_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateInput {
    state_machine_alias_arn: String,
    description: Option<String>,
    routing_configuration: Option<Vec<Route>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListInput {
    state_machine_arn: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

fn not_found() -> SfnError {
    SfnError::ResourceNotFound("Request references a resource that does not exist.".into())
}

/// Checks a routing configuration the way AWS does, in AWS's order, and returns the name of
/// the machine its versions belong to with the routes as stored.
fn check_routing(
    region: &Region,
    ctx: &RequestContext,
    routes: Vec<Route>,
) -> Result<(String, Vec<(String, u64)>), SfnError> {
    let arns: Vec<&str> = routes
        .iter()
        .map(|r| r.state_machine_version_arn.as_str())
        .collect();
    let received = format!("[{}]", arns.join(", "));
    let mut targets = Vec::new();
    for arn_text in &arns {
        match arn::parse(arn_text).map(|a| (a.is_local(ctx), a.resource)) {
            Ok((local, Resource::Version { machine, version })) => {
                targets.push((local, machine, version))
            }
            _ => {
                return Err(SfnError::validation(format!(
                    "Routing configuration must contain state machine version ARNs. Received: {received}"
                )))
            }
        }
    }
    let mut distinct = arns.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != arns.len() {
        return Err(SfnError::validation(format!(
            "Routing configuration must contain distinct state machine version ARNs. Received: {received}"
        )));
    }
    let weights: Vec<u64> = routes.iter().map(|r| r.weight).collect();
    if weights.iter().sum::<u64>() != 100 {
        let listed: Vec<String> = weights.iter().map(u64::to_string).collect();
        return Err(SfnError::validation(format!(
            "Sum of routing configuration weights must equal 100. Received: [{}]",
            listed.join(", ")
        )));
    }
    let machine_name = targets[0].1.clone();
    if targets.iter().any(|(_, m, _)| *m != machine_name) {
        return Err(SfnError::validation(format!(
            "Routing configuration must contain state machine version ARNs of the same state machine. Received: {received}"
        )));
    }
    let machine = region.machines().get(&machine_name).ok_or_else(not_found)?;
    if targets
        .iter()
        .any(|(local, _, version)| !local || machine.version(*version).is_none())
    {
        return Err(not_found());
    }
    let stored = routes
        .into_iter()
        .map(|r| (r.state_machine_version_arn, r.weight))
        .collect();
    Ok((machine_name, stored))
}

/// The model's pattern for alias names, `^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$`: letters,
/// digits, `_`, `-`, `.`, and not digits only (so an alias never reads as a version number).
/// Checked here because the generic validator does not evaluate look-ahead patterns.
fn check_alias_name(name: &str) -> Result<(), SfnError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-.".contains(c);
    if name.chars().all(allowed) && name.chars().any(|c| !c.is_ascii_digit()) {
        return Ok(());
    }
    let pattern = r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$".to_string();
    Err(SfnError::validation(coral_single(
        "name",
        ViolationKind::Pattern { pattern },
        Some(name.into()),
    )))
}

pub fn create(sfn: &Inner, ctx: &RequestContext, input: CreateInput) -> Result<ArnItem, SfnError> {
    check_alias_name(&input.name)?;
    let now = sfn.now();
    sfn.region(ctx, |region| {
        let (machine_name, routing) = check_routing(region, ctx, input.routing_configuration)?;
        let machine = region
            .machines_mut()
            .get_mut(&machine_name)
            .ok_or_else(not_found)?;
        let alias_arn = format!("{}:{}", machine.arn, input.name);
        if let Some(existing) = machine.aliases().get(&input.name) {
            // Idempotent for the same request; a conflict otherwise.
            if existing.routing == routing && existing.description == input.description {
                return Ok(listed_item(
                    "stateMachineAliasArn",
                    &existing.arn,
                    existing.creation_ms,
                ));
            }
            return Err(SfnError::Conflict(
                "Failed to create alias because an alias with the same name and a different routing configuration already exists.".into(),
            ));
        }
        machine.aliases_mut().put(Alias {
                name: input.name,
                arn: alias_arn.clone(),
                description: input.description,
                routing,
            creation_ms: now,
            update_ms: now,
        });
        Ok(listed_item("stateMachineAliasArn", &alias_arn, now))
    })
}

/// The machine and alias name an alias ARN names (checked for syntax only).
fn alias_location(ctx: &RequestContext, alias_arn: &str) -> Result<(String, String), SfnError> {
    let parsed = arn::parse(alias_arn)?;
    match parsed.resource {
        Resource::Alias { machine, alias } if parsed.is_local(ctx) => Ok((machine, alias)),
        Resource::Alias { .. } => Err(not_found()),
        _ => Err(SfnError::InvalidArn(format!("Invalid ARN: {alias_arn}"))),
    }
}

fn alias_mut<'r>(
    region: &'r mut Region,
    machine: &str,
    alias: &str,
) -> Result<(&'r mut Machine, String), SfnError> {
    let machine = region
        .machines_mut()
        .get_mut(machine)
        .ok_or_else(not_found)?;
    if !machine.aliases().contains(alias) {
        return Err(not_found());
    }
    Ok((machine, alias.to_string()))
}

/// DescribeStateMachineAlias's output.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AliasOutput {
    state_machine_alias_arn: String,
    name: String,
    routing_configuration: Vec<RouteOutput>,
    creation_date: f64,
    update_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RouteOutput {
    state_machine_version_arn: String,
    weight: u64,
}

fn describe_alias(alias: &Alias) -> AliasOutput {
    AliasOutput {
        state_machine_alias_arn: alias.arn.clone(),
        name: alias.name.clone(),
        routing_configuration: alias
            .routing
            .iter()
            .map(|(arn, weight)| RouteOutput {
                state_machine_version_arn: arn.clone(),
                weight: *weight,
            })
            .collect(),
        creation_date: seconds(alias.creation_ms),
        update_date: seconds(alias.update_ms),
        description: alias.description.clone(),
    }
}

pub fn describe(
    sfn: &Inner,
    ctx: &RequestContext,
    input: AliasArnInput,
) -> Result<AliasOutput, SfnError> {
    let (machine, alias) = alias_location(ctx, &input.state_machine_alias_arn)?;
    sfn.region(ctx, |region| {
        let (machine, alias) = alias_mut(region, &machine, &alias)?;
        let alias = machine.aliases().get(&alias).ok_or_else(not_found)?;
        Ok(describe_alias(alias))
    })
}

pub fn update(sfn: &Inner, ctx: &RequestContext, input: UpdateInput) -> Result<Updated, SfnError> {
    if input.description.is_none() && input.routing_configuration.is_none() {
        return Err(SfnError::validation(
            "Either the description or the routing configuration must be specified",
        ));
    }
    let (machine_name, alias_name) = alias_location(ctx, &input.state_machine_alias_arn)?;
    let now = sfn.now();
    sfn.region(ctx, |region| {
        alias_mut(region, &machine_name, &alias_name)?;
        let routing = match input.routing_configuration {
            Some(routes) => {
                let (target, routing) = check_routing(region, ctx, routes)?;
                if target != machine_name {
                    return Err(SfnError::validation(
                        "Routing configuration must contain state machine version ARNs of the aliased state machine",
                    ));
                }
                Some(routing)
            }
            None => None,
        };
        let (machine, alias_name) = alias_mut(region, &machine_name, &alias_name)?;
        let alias = machine
            .aliases_mut()
            .get_mut(&alias_name)
            .ok_or_else(not_found)?;
        if let Some(routing) = routing {
            alias.routing = routing;
        }
        if let Some(description) = input.description {
            alias.description = Some(description);
        }
        alias.update_ms = now;
        Ok(Updated {
            update_date: seconds(now),
        })
    })
}

/// UpdateStateMachineAlias's output.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Updated {
    update_date: f64,
}

pub fn delete(sfn: &Inner, ctx: &RequestContext, input: AliasArnInput) -> Result<Empty, SfnError> {
    let (machine, alias) = alias_location(ctx, &input.state_machine_alias_arn)?;
    sfn.region(ctx, |region| {
        // Deleting an alias that is gone is no error.
        if let Some(machine) = region.machines_mut().get_mut(&machine) {
            machine.aliases_mut().remove(&alias);
        }
        Ok(empty())
    })
}

pub fn list(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ListInput,
) -> Result<Listed<ArnItem>, SfnError> {
    let all: Vec<ArnItem> = sfn.region(ctx, |region| {
        let machine = machine_mut(region, ctx, &input.state_machine_arn)?;
        Ok::<_, SfnError>(
            machine
                .aliases()
                .values()
                .map(|a| listed_item("stateMachineAliasArn", &a.arn, a.creation_ms))
                .collect(),
        )
    })?;
    let listing = format!("aliases:{}", input.state_machine_arn);
    pagination::listed(
        "stateMachineAliases",
        &all,
        input.max_results,
        input.next_token.as_deref(),
        &listing,
    )
}

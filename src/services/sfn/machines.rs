//! CreateStateMachine, DescribeStateMachine, UpdateStateMachine, DeleteStateMachine,
//! ListStateMachines.

use super::arn::{self, Resource};
use super::configuration::{encryption, logging, Encryption, Logging, Tracing};
use super::errors::SfnError;
use super::lookup::machine_mut;
use super::pagination;
use super::store::{Machine, Revision};
use super::tags::{self, TagIn};
use super::versions;
use super::{empty, seconds, Inner};
use crate::asl::parse::{parse_definition_for, MachineType};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateInput {
    name: String,
    definition: String,
    role_arn: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    logging_configuration: Option<Logging>,
    tags: Option<Vec<TagIn>>,
    tracing_configuration: Option<Tracing>,
    #[serde(default)]
    publish: bool,
    version_description: Option<String>,
    encryption_configuration: Option<Encryption>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateInput {
    state_machine_arn: String,
    definition: Option<String>,
    role_arn: Option<String>,
    logging_configuration: Option<Logging>,
    tracing_configuration: Option<Tracing>,
    #[serde(default)]
    publish: bool,
    version_description: Option<String>,
    encryption_configuration: Option<Encryption>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ArnInput {
    state_machine_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListInput {
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub fn machine_type(kind: &str) -> MachineType {
    if kind == "EXPRESS" {
        MachineType::Express
    } else {
        MachineType::Standard
    }
}

/// The definition as the parser accepts it for `kind`, or AWS's InvalidDefinition.
pub(super) fn parse_machine(
    definition: &str,
    kind: &str,
) -> Result<Arc<crate::asl::ast::StateMachine>, SfnError> {
    parse_definition_for(definition, machine_type(kind))
        .map(Arc::new)
        .map_err(|e| SfnError::InvalidDefinition(e.to_string()))
}

/// A role ARN must be an IAM role's: `arn:<partition>:iam::<12 digits>:role/<path/name>`
/// (AWS checks the form, not that the role exists).
fn check_role_arn(role_arn: &str) -> Result<(), SfnError> {
    let valid = match crate::arn::Arn::parse(role_arn) {
        Some(crate::arn::Arn {
            partition,
            service: "iam",
            region: "",
            account,
            resource,
        }) => {
            partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource
                    .strip_prefix("role/")
                    .is_some_and(|name| !name.is_empty() && !name.ends_with('/'))
        }
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(SfnError::InvalidRoleArn(role_arn.to_string()))
    }
}

/// A version description only makes sense for a publishing call.
fn check_version_description(publish: bool, description: &Option<String>) -> Result<(), SfnError> {
    if description.is_some() && !publish {
        return Err(SfnError::validation(
            "Version description can only be set when publish is true",
        ));
    }
    Ok(())
}

pub fn create(sfn: &Inner, ctx: &RequestContext, input: CreateInput) -> Result<Created, SfnError> {
    arn::check_name(&input.name)?;
    check_role_arn(&input.role_arn)?;
    check_version_description(input.publish, &input.version_description)?;
    let kind = input.kind.unwrap_or_else(|| "STANDARD".into());
    let parsed = parse_machine(&input.definition, &kind)?;
    let logging = logging(input.logging_configuration)?;
    let tracing = input.tracing_configuration.unwrap_or_default();
    let encryption = encryption(input.encryption_configuration)?;
    let tags = tags::from_input(input.tags)?;
    let machine_arn = arn::state_machine(ctx, &input.name);
    let now = sfn.now();
    sfn.region(ctx, |region| {
        if let Some(existing) = region.machines_mut().get_mut(&input.name) {
            // Create is idempotent for an identical request; anything else is a conflict.
            let same = existing.kind == kind
                && existing.current().definition == input.definition
                && existing.current().role_arn == input.role_arn
                && existing.current().logging == logging
                && existing.current().tracing == tracing;
            if !same {
                return Err(SfnError::StateMachineAlreadyExists(machine_arn));
            }
            let mut out = Created {
                state_machine_arn: existing.arn.clone(),
                creation_date: seconds(existing.creation_ms),
                state_machine_version_arn: None,
            };
            if input.publish {
                let version = versions::publish_current(existing, now, input.version_description);
                out.state_machine_version_arn = Some(version);
            }
            return Ok(out);
        }
        let mut machine = Machine::new(
            input.name.clone(),
            machine_arn.clone(),
            kind,
            Arc::new(Revision {
                definition: input.definition,
                parsed,
                role_arn: input.role_arn,
                logging,
                tracing,
                revision_id: None,
            }),
            encryption,
            now,
            None,
            tags,
        );
        let mut out = Created {
            state_machine_arn: machine_arn,
            creation_date: seconds(now),
            state_machine_version_arn: None,
        };
        if input.publish {
            let version = versions::publish_current(&mut machine, now, input.version_description);
            out.state_machine_version_arn = Some(version);
        }
        region.machines_mut().put(machine);
        Ok(out)
    })
}

/// CreateStateMachine's output; the version's ARN when the call published one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Created {
    state_machine_arn: String,
    creation_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_version_arn: Option<String>,
}

/// UpdateStateMachine's output.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Updated {
    update_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_version_arn: Option<String>,
}

/// A state machine of ListStateMachines.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct MachineItem {
    state_machine_arn: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    creation_date: f64,
}

pub fn describe(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ArnInput,
) -> Result<MachineOutput, SfnError> {
    let requested = input.state_machine_arn;
    let parsed = arn::parse(&requested)?;
    let not_found = || SfnError::StateMachineDoesNotExist(requested.clone());
    sfn.region(ctx, |region| {
        let (machine_name, version) = match &parsed.resource {
            Resource::StateMachine { name } => (name, None),
            Resource::Version { machine, version } => (machine, Some(*version)),
            Resource::Alias { .. } => return Err(not_found()),
            _ => return Err(SfnError::wrong_resource_type(parsed.type_name())),
        };
        if !parsed.is_local(ctx) {
            return Err(not_found());
        }
        let machine = region.machines().get(machine_name).ok_or_else(not_found)?;
        Ok(match version {
            None => describe_revision(machine, machine.current(), &machine.arn)
                .created(machine.creation_ms, None),
            Some(number) => {
                let version = machine.version(number).ok_or_else(not_found)?;
                describe_revision(machine, &version.revision, &version.arn)
                    .created(version.creation_ms, version.description.clone())
            }
        })
    })
}

/// DescribeStateMachine's output, in AWS's member order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MachineOutput {
    state_machine_arn: String,
    name: String,
    definition: String,
    role_arn: String,
    #[serde(rename = "type")]
    kind: String,
    logging_configuration: Logging,
    tracing_configuration: Tracing,
    encryption_configuration: Encryption,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision_id: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    variable_references: BTreeMap<String, Vec<String>>,
    creation_date: f64,
    /// A version's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    status: &'static str,
}

impl MachineOutput {
    fn created(self, creation_ms: u64, description: Option<String>) -> Self {
        MachineOutput {
            creation_date: seconds(creation_ms),
            description,
            ..self
        }
    }
}

/// DescribeStateMachine's members that come from a revision (the machine's or a version's).
fn describe_revision(machine: &Machine, revision: &Revision, arn: &str) -> MachineOutput {
    MachineOutput {
        state_machine_arn: arn.to_string(),
        name: machine.name.clone(),
        definition: revision.definition.clone(),
        role_arn: revision.role_arn.clone(),
        kind: machine.kind.clone(),
        logging_configuration: revision.logging.clone(),
        tracing_configuration: revision.tracing.clone(),
        encryption_configuration: machine.encryption().clone(),
        revision_id: revision.revision_id.clone(),
        variable_references: crate::asl::var_refs::variable_references(&revision.definition),
        creation_date: 0.0,
        description: None,
        status: "ACTIVE",
    }
}

pub fn update(sfn: &Inner, ctx: &RequestContext, input: UpdateInput) -> Result<Updated, SfnError> {
    if input.definition.is_none()
        && input.role_arn.is_none()
        && input.logging_configuration.is_none()
        && input.tracing_configuration.is_none()
        && input.encryption_configuration.is_none()
    {
        return Err(SfnError::MissingRequiredParameter(
            "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified".into(),
        ));
    }
    check_version_description(input.publish, &input.version_description)?;
    if let Some(role_arn) = &input.role_arn {
        check_role_arn(role_arn)?;
    }
    let logging = input
        .logging_configuration
        .map(|l| logging(Some(l)))
        .transpose()?;
    let new_encryption = input
        .encryption_configuration
        .map(|c| encryption(Some(c)))
        .transpose()?;
    let now = sfn.now();
    sfn.region(ctx, |region| {
        let machine = machine_mut(region, ctx, &input.state_machine_arn)?;
        let mut next = Revision::clone(machine.current());
        if let Some(definition) = input.definition {
            next.parsed = parse_machine(&definition, &machine.kind)?;
            next.definition = definition;
        }
        if let Some(role_arn) = input.role_arn {
            next.role_arn = role_arn;
        }
        if let Some(logging) = logging {
            next.logging = logging;
        }
        if let Some(config) = input.tracing_configuration {
            next.tracing = config;
        }
        machine.update(next, new_encryption, now);
        let mut out = Updated {
            update_date: seconds(now),
            revision_id: machine.current().revision_id.clone(),
            state_machine_version_arn: None,
        };
        if input.publish {
            let version = versions::publish_current(machine, now, input.version_description);
            out.state_machine_version_arn = Some(version);
        }
        Ok(out)
    })
}

pub fn delete(sfn: &Inner, ctx: &RequestContext, input: ArnInput) -> Result<Empty, SfnError> {
    let parsed = arn::parse(&input.state_machine_arn)?;
    let local = parsed.is_local(ctx);
    match parsed.resource {
        // Deleting is idempotent: a machine that is already gone is no error.
        Resource::StateMachine { name } => {
            if local {
                sfn.region(ctx, |region| {
                    // Its executions stay describable by ARN, but a machine created later
                    // under the same name starts with an empty ListExecutions.
                    if region.machines_mut().remove(&name).is_some() {
                        region.executions_by_machine.remove(&name);
                    }
                });
            }
            Ok(empty())
        }
        Resource::Version { .. } | Resource::Alias { .. } => Err(SfnError::validation(
            "Use DeleteStateMachineVersion or DeleteStateMachineAlias to delete a version or an alias",
        )),
        _ => Err(SfnError::wrong_resource_type(parsed.type_name())),
    }
}

pub fn list(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ListInput,
) -> Result<Listed<MachineItem>, SfnError> {
    let all: Vec<MachineItem> = sfn.region(ctx, |region| {
        region
            .machines()
            .values()
            .map(|m| MachineItem {
                state_machine_arn: m.arn.clone(),
                name: m.name.clone(),
                kind: m.kind.clone(),
                creation_date: seconds(m.creation_ms),
            })
            .collect()
    });
    pagination::listed(
        "stateMachines",
        &all,
        input.max_results,
        input.next_token.as_deref(),
        "stateMachines",
    )
}

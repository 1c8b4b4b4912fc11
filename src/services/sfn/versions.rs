//! Versions: PublishStateMachineVersion (and `publish: true` on Create/UpdateStateMachine),
//! ListStateMachineVersions, DeleteStateMachineVersion. A version is an immutable snapshot of
//! a machine's revision, numbered from 1 and never renumbered.

use super::arn::{self, Resource};
use super::errors::SfnError;
use super::lookup::machine_mut;
use super::pagination;
use super::store::Machine;
use super::{empty, seconds, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PublishInput {
    state_machine_arn: String,
    revision_id: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListInput {
    state_machine_arn: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeleteInput {
    state_machine_version_arn: String,
}

/// Publishes the machine's current revision and returns the version ARN. Publishing the
/// revision the newest version already holds returns that version, as AWS does, unless a
/// description different from that version's asks for a new one.
pub fn publish_current(machine: &mut Machine, now: u64, description: Option<String>) -> String {
    if let Some((_, latest)) = machine.versions().next_back() {
        let same_revision = latest.revision.revision_id == machine.current().revision_id;
        let new_description = description
            .as_ref()
            .is_some_and(|d| latest.description.as_ref() != Some(d));
        if same_revision && !new_description {
            return latest.arn.clone();
        }
    }
    machine.publish_version(description, now).arn.clone()
}

pub fn publish(
    sfn: &Inner,
    ctx: &RequestContext,
    input: PublishInput,
) -> Result<ArnItem, SfnError> {
    let now = sfn.now();
    sfn.region(ctx, |region| {
        let machine = machine_mut(region, ctx, &input.state_machine_arn)?;
        if let Some(revision_id) = &input.revision_id {
            if Some(revision_id) != machine.current().revision_id.as_ref() {
                return Err(SfnError::Conflict(format!(
                    "Failed to publish the State Machine version for revision {revision_id}. The current State Machine revision is {}.",
                    machine.current().revision_id.as_deref().unwrap_or("null")
                )));
            }
        }
        let version_arn = publish_current(machine, now, input.description);
        let creation_ms = machine
            .versions()
            .map(|(_, v)| v)
            .find(|v| v.arn == version_arn)
            .map_or(now, |v| v.creation_ms);
        Ok(listed_item(
            "stateMachineVersionArn",
            &version_arn,
            creation_ms,
        ))
    })
}

/// A version's or an alias's ARN under `arn_key` and its creation date: an item of
/// ListStateMachineVersions or ListStateMachineAliases, and what PublishStateMachineVersion
/// and CreateStateMachineAlias answer.
#[derive(Clone)]
pub(super) struct ArnItem {
    arn_key: &'static str,
    arn: String,
    creation_date: f64,
}

impl serde::Serialize for ArnItem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.arn_key, &self.arn)?;
        map.serialize_entry("creationDate", &self.creation_date)?;
        map.end()
    }
}

pub(super) fn listed_item(arn_key: &'static str, arn: &str, creation_ms: u64) -> ArnItem {
    ArnItem {
        arn_key,
        arn: arn.to_string(),
        creation_date: seconds(creation_ms),
    }
}

pub fn list(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ListInput,
) -> Result<Listed<ArnItem>, SfnError> {
    let all: Vec<ArnItem> = sfn.region(ctx, |region| {
        let machine = machine_mut(region, ctx, &input.state_machine_arn)?;
        // Newest first.
        Ok::<_, SfnError>(
            machine
                .versions()
                .rev()
                .map(|(_, v)| listed_item("stateMachineVersionArn", &v.arn, v.creation_ms))
                .collect(),
        )
    })?;
    let listing = format!("versions:{}", input.state_machine_arn);
    pagination::listed(
        "stateMachineVersions",
        &all,
        input.max_results,
        input.next_token.as_deref(),
        &listing,
    )
}

pub fn delete(sfn: &Inner, ctx: &RequestContext, input: DeleteInput) -> Result<Empty, SfnError> {
    let parsed = arn::parse(&input.state_machine_version_arn)?;
    let local = parsed.is_local(ctx);
    let Resource::Version { machine, version } = parsed.resource else {
        return Err(SfnError::validation(format!(
            "Invalid version ARN: {}",
            input.state_machine_version_arn
        )));
    };
    if !local {
        return Ok(empty());
    }
    sfn.region(ctx, |region| {
        // Deleting a version that is gone is no error.
        let Some(machine) = region.machines_mut().get_mut(&machine) else {
            return Ok(empty());
        };
        let version_arn = format!("{}:{version}", machine.arn);
        let referencing: Vec<&str> = machine
            .aliases()
            .values()
            .filter(|a| a.routing.iter().any(|(arn, _)| *arn == version_arn))
            .map(|a| a.name.as_str())
            .collect();
        if !referencing.is_empty() {
            return Err(SfnError::Conflict(format!(
                "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{}]",
                referencing.join(", ")
            )));
        }
        machine.remove_version(version);
        Ok(empty())
    })
}

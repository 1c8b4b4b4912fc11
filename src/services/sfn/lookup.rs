//! Finding a resource a request names by ARN, for handlers in several files (a machine is
//! updated by UpdateStateMachine, published by PublishStateMachineVersion, aliased ...).

use super::arn::{self, Resource};
use super::errors::SfnError;
use super::store::{Machine, Region};
use crate::request::RequestContext;

/// The machine a base state machine ARN names, or the matching error.
pub fn machine_mut<'r>(
    region: &'r mut Region,
    ctx: &RequestContext,
    machine_arn: &str,
) -> Result<&'r mut Machine, SfnError> {
    let parsed = arn::parse(machine_arn)?;
    let not_found = || SfnError::StateMachineDoesNotExist(machine_arn.to_string());
    match parsed.resource {
        Resource::StateMachine { name } if parsed.is_local(ctx) => {
            region.machines_mut().get_mut(&name).ok_or_else(not_found)
        }
        Resource::StateMachine { .. } => Err(not_found()),
        Resource::Version { .. } | Resource::Alias { .. } => Err(not_found()),
        _ => Err(SfnError::wrong_resource_type(parsed.type_name())),
    }
}

//! TagResource, UntagResource, ListTagsForResource: tags live on state machines and
//! activities (versions, aliases and executions cannot be tagged, as in AWS).

use super::arn::{self, Resource};
use super::errors::SfnError;
use super::store::{Activity, Machine, Region, Tags};
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::tags::{self, MAX_TAGS};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TagIn {
    key: String,
    #[serde(default)]
    value: String,
}

/// A request's tag list as stored pairs.
pub fn from_input(tags: Option<Vec<TagIn>>) -> Result<Tags, SfnError> {
    let tags: Tags = tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    check_count(tags.len())?;
    Ok(tags)
}

fn check_count(count: usize) -> Result<(), SfnError> {
    if count > MAX_TAGS {
        return Err(SfnError::TooManyTags(format!(
            "Too many tags: {count}. The maximum is {MAX_TAGS}."
        )));
    }
    Ok(())
}

pub fn to_output(tags: &Tags) -> tags::TagsOut {
    tags::to_list(tags.iter().map(|(k, v)| (k, v)), "key", "value")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TagResourceInput {
    resource_arn: String,
    tags: Vec<TagIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UntagResourceInput {
    resource_arn: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListTagsInput {
    resource_arn: String,
}

/// The tag list of the resource `resource_arn` names, or AWS's ResourceNotFound.
fn tags_of<'r>(
    region: &'r mut Region,
    ctx: &RequestContext,
    resource_arn: &str,
) -> Result<&'r mut Tags, SfnError> {
    let not_found = || SfnError::ResourceNotFound(format!("Resource not found: '{resource_arn}'"));
    let parsed = arn::parse(resource_arn)?;
    if !parsed.is_local(ctx) {
        return Err(not_found());
    }
    match parsed.resource {
        Resource::StateMachine { name } => region
            .machines_mut()
            .get_mut(&name)
            .map(Machine::tags_mut)
            .ok_or_else(not_found),
        Resource::Activity { name } => region
            .activities_mut()
            .get_mut(&name)
            .map(Activity::tags_mut)
            .ok_or_else(not_found),
        _ => Err(not_found()),
    }
}

pub fn tag_resource(
    sfn: &Inner,
    ctx: &RequestContext,
    input: TagResourceInput,
) -> Result<Empty, SfnError> {
    let new_tags = from_input(Some(input.tags))?;
    sfn.region(ctx, |region| {
        tags::add(
            tags_of(region, ctx, &input.resource_arn)?,
            new_tags,
            check_count,
        )?;
        Ok(empty())
    })
}

pub fn untag_resource(
    sfn: &Inner,
    ctx: &RequestContext,
    input: UntagResourceInput,
) -> Result<Empty, SfnError> {
    sfn.region(ctx, |region| {
        tags::remove(tags_of(region, ctx, &input.resource_arn)?, &input.tag_keys);
        Ok(empty())
    })
}

pub fn list_tags_for_resource(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ListTagsInput,
) -> Result<TagsOutput, SfnError> {
    sfn.region(ctx, |region| {
        let tags = tags_of(region, ctx, &input.resource_arn)?;
        Ok(TagsOutput {
            tags: to_output(tags),
        })
    })
}

/// `tags`: the shared `[{key, value}]` list.
#[derive(serde::Serialize)]
pub(super) struct TagsOutput {
    tags: tags::TagsOut,
}

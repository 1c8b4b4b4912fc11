//! TagResource, UntagResource, ListTagsForResource: event buses and rules carry tags.

use super::errors::EventsError;
use super::store::{Region, Tags, DEFAULT_BUS};
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::tags::{self, Tag, MAX_TAGS};
use serde::{Deserialize, Serialize};

pub type TagIn = Tag;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: String,
    tags: Vec<TagIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UntagInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: String,
}

pub fn from_input(tags: Option<Vec<TagIn>>) -> Result<Tags, EventsError> {
    let mut list = Tags::new();
    tags::merge(
        &mut list,
        tags.unwrap_or_default()
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect(),
    );
    check_count(list.len())?;
    Ok(list)
}

fn check_count(count: usize) -> Result<(), EventsError> {
    if count > MAX_TAGS {
        return Err(EventsError::LimitExceeded(
            "The requested resource exceeds the maximum number allowed.".into(),
        ));
    }
    Ok(())
}

pub fn to_output(tags: &Tags) -> tags::TagsOut {
    tags::to_list(tags.iter().map(|(k, v)| (k, v)), "Key", "Value")
}

/// The tags of the bus or rule `arn` names in the caller's region.
fn tags_of<'r>(
    region: &'r mut Region,
    ctx: &RequestContext,
    arn: &str,
) -> Result<&'r mut Tags, EventsError> {
    let prefix = format!("{}:", super::arn::prefix(&ctx.account_id, &ctx.region));
    let not_found = || EventsError::ResourceNotFound(format!("Resource {arn} not found."));
    let resource = arn.strip_prefix(&prefix).ok_or_else(not_found)?;
    if let Some(bus) = resource.strip_prefix("event-bus/") {
        return region.bus_mut(bus).map(|b| &mut b.tags);
    }
    if let Some(path) = resource.strip_prefix("rule/") {
        let (bus, rule) = path.rsplit_once('/').unwrap_or((DEFAULT_BUS, path));
        return region.rule_mut(bus, rule).map(|r| &mut r.tags);
    }
    Err(not_found())
}

pub fn tag(ev: &Inner, ctx: &RequestContext, input: TagInput) -> Result<Empty, EventsError> {
    let new_tags = from_input(Some(input.tags))?;
    ev.region(ctx, |region| {
        tags::add(
            tags_of(region, ctx, &input.resource_arn)?,
            new_tags,
            check_count,
        )?;
        Ok(empty())
    })
}

pub fn untag(ev: &Inner, ctx: &RequestContext, input: UntagInput) -> Result<Empty, EventsError> {
    ev.region(ctx, |region| {
        tags::remove(tags_of(region, ctx, &input.resource_arn)?, &input.tag_keys);
        Ok(empty())
    })
}

pub fn list(ev: &Inner, ctx: &RequestContext, input: ListInput) -> Result<TagsOutput, EventsError> {
    ev.region(ctx, |region| {
        let tags = tags_of(region, ctx, &input.resource_arn)?;
        Ok(TagsOutput {
            tags: to_output(tags),
        })
    })
}

/// `Tags`: the shared `[{Key, Value}]` list.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagsOutput {
    tags: tags::TagsOut,
}

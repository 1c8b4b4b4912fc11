//! TagResource, UntagResource, ListTagsForResource (topics are SNS's taggable resources), and
//! the tag checks CreateTopic shares.

use super::errors::SnsError;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::tags::{self, Tag, TagMap, MAX_TAGS};
use serde::Deserialize;

pub type TagInput = Tag;

/// Rejects duplicated keys and more than 50 tags in one request.
pub fn validate(tags: &[TagInput]) -> Result<TagMap, SnsError> {
    let mut out = TagMap::new();
    for tag in tags {
        if out.insert(tag.key.clone(), tag.value.clone()).is_some() {
            return Err(SnsError::invalid("Duplicated keys are not allowed."));
        }
    }
    if out.len() > MAX_TAGS {
        return Err(SnsError::TagLimitExceeded);
    }
    Ok(out)
}

fn resource_not_found() -> SnsError {
    SnsError::ResourceNotFound("Resource does not exist".into())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagResourceInput {
    resource_arn: String,
    #[serde(default)]
    tags: Vec<TagInput>,
}

pub fn tag_resource(
    sns: &Inner,
    _ctx: &RequestContext,
    input: TagResourceInput,
) -> Result<Empty, SnsError> {
    let new = validate(&input.tags)?;
    let mut state = sns.store.state.write();
    let topic = state
        .topic_mut(&input.resource_arn)
        .ok_or_else(resource_not_found)?;
    if !tags::fits(topic.tags(), &new) {
        return Err(SnsError::TagLimitExceeded);
    }
    topic.tag(new);
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UntagResourceInput {
    resource_arn: String,
    #[serde(default)]
    tag_keys: Vec<String>,
}

pub fn untag_resource(
    sns: &Inner,
    _ctx: &RequestContext,
    input: UntagResourceInput,
) -> Result<Empty, SnsError> {
    let mut state = sns.store.state.write();
    let topic = state
        .topic_mut(&input.resource_arn)
        .ok_or_else(resource_not_found)?;
    topic.untag(&input.tag_keys);
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListTagsInput {
    resource_arn: String,
}

pub fn list_tags_for_resource(
    sns: &Inner,
    _ctx: &RequestContext,
    input: ListTagsInput,
) -> Result<TagsOutput, SnsError> {
    let state = sns.store.state.read();
    let topic = state
        .topic(&input.resource_arn)
        .ok_or_else(resource_not_found)?;
    Ok(TagsOutput {
        tags: tags::to_list(topic.tags(), "Key", "Value"),
    })
}

/// `Tags`: the shared `[{Key, Value}]` list.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagsOutput {
    tags: tags::TagsOut,
}

//! Queue tags: TagQueue, UntagQueue, ListQueueTags, and tags given to CreateQueue.

use super::errors::SqsError;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::tags::{self, TagMap, MAX_TAGS};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Checks tags to add to a queue already holding `existing` tags (a key that is already there
/// is counted again; the caller passes the merged count when that matters).
pub fn validate_new_tags(
    tags: &Map<String, Value>,
    existing: usize,
    queue_name: &str,
) -> Result<TagMap, SqsError> {
    if existing + tags.len() > MAX_TAGS {
        return Err(too_many(queue_name));
    }
    tags.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(SqsError::invalid_value(format!(
                "Tag {k} must have a string value."
            ))),
        })
        .collect()
}

fn too_many(queue_name: &str) -> SqsError {
    SqsError::invalid_value(format!("Too many tags added for queue {queue_name}."))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagQueueInput {
    queue_url: String,
    #[serde(default)]
    tags: Map<String, Value>,
}

pub fn tag_queue(
    sqs: &Inner,
    ctx: &RequestContext,
    input: TagQueueInput,
) -> Result<Empty, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    if input.tags.is_empty() {
        return Err(SqsError::MissingParameter("Tags".into()));
    }
    let new = validate_new_tags(&input.tags, 0, &queue.location.name)?;
    let mut state = queue.state.lock();
    if !tags::fits(state.tags(), &new) {
        return Err(too_many(&queue.location.name));
    }
    state.tag(new);
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UntagQueueInput {
    queue_url: String,
    #[serde(default)]
    tag_keys: Vec<String>,
}

pub fn untag_queue(
    sqs: &Inner,
    ctx: &RequestContext,
    input: UntagQueueInput,
) -> Result<Empty, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    if input.tag_keys.is_empty() {
        return Err(SqsError::MissingParameter("TagKeys".into()));
    }
    let mut state = queue.state.lock();
    state.untag(&input.tag_keys);
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListQueueTagsInput {
    queue_url: String,
}

pub fn list_queue_tags(
    sqs: &Inner,
    ctx: &RequestContext,
    input: ListQueueTagsInput,
) -> Result<TagsOutput, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let tags = queue.state.lock().tags().clone();
    Ok(TagsOutput { tags })
}

/// No tags is `{}`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagsOutput {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tags: BTreeMap<String, String>,
}

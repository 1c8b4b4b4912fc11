//! CreateTopic, DeleteTopic, ListTopics, GetTopicAttributes, SetTopicAttributes.

use super::arn;
use super::errors::SnsError;
use super::outputs::{Attributes, TopicArn};
use super::pagination::{page_of, NextTokenInput};
use super::store::Topic;
use super::tags::{self, TagInput};
use super::topic_attributes;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateTopicInput {
    name: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    tags: Vec<TagInput>,
    data_protection_policy: Option<String>,
}

fn valid_base_name(name: &str) -> bool {
    (1..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn create_topic(
    sns: &Inner,
    ctx: &RequestContext,
    input: CreateTopicInput,
) -> Result<TopicArn, SnsError> {
    let mut attributes = input.attributes;
    let fifo = match attributes.remove("FifoTopic") {
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => {
            return Err(SnsError::invalid(
                "Attributes Reason: FifoTopic: Invalid value. Valid values are [true, false]",
            ))
        }
        None => false,
    };
    let name = input.name;
    if fifo {
        let base = name.strip_suffix(".fifo").unwrap_or("");
        if !valid_base_name(base) || name.len() > 256 {
            return Err(SnsError::invalid("Topic Name"));
        }
    } else if !valid_base_name(&name) {
        return Err(SnsError::invalid("Topic Name"));
    }
    let mut checked = BTreeMap::new();
    for (key, value) in &attributes {
        checked.insert(key.clone(), topic_attributes::validate(key, value, fifo)?);
    }
    if let Some(policy) = &input.data_protection_policy {
        super::data_protection::validate(policy)?;
    }
    let new_tags = tags::validate(&input.tags)?;
    let topic_arn = arn::topic_arn(ctx, &name);

    let mut state = sns.store.state.write();
    if let Some(existing) = state.topic(&topic_arn) {
        // CreateTopic is idempotent for the same attributes and tags.
        let same_attributes = checked
            .iter()
            .all(|(k, v)| existing.attribute(k).map_or(v.is_empty(), |e| e == v))
            && fifo == existing.fifo;
        if !same_attributes {
            return Err(SnsError::invalid(
                "Attributes Reason: Topic already exists with different attributes",
            ));
        }
        let same_tags = new_tags
            .iter()
            .all(|(k, v)| existing.tags().get(k) == Some(v));
        if !same_tags {
            return Err(SnsError::invalid(
                "Tags Reason: Topic already exists with different tags",
            ));
        }
        return Ok(TopicArn { topic_arn });
    }
    let owner = ctx.account_id.clone();
    let topic = Topic::new(topic_arn.clone(), owner, fifo, sns.deliverer.topic_queue())
        .with_config(checked, new_tags, input.data_protection_policy);
    state.insert_topic(topic);
    Ok(TopicArn { topic_arn })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TopicArnInput {
    topic_arn: String,
}

/// Deleting a topic deletes its subscriptions; deleting one that does not exist succeeds.
pub fn delete_topic(
    sns: &Inner,
    ctx: &RequestContext,
    input: TopicArnInput,
) -> Result<Empty, SnsError> {
    arn::check_topic_arn(ctx, &input.topic_arn, "TopicArn")?;
    let mut state = sns.store.state.write();
    state.remove_topic(&input.topic_arn);
    Ok(empty())
}

pub fn list_topics(
    sns: &Inner,
    ctx: &RequestContext,
    input: NextTokenInput,
) -> Result<Listed<TopicArn>, SnsError> {
    let prefix = arn::region_prefix(ctx);
    let state = sns.store.state.read();
    let items = state
        .topics_with_prefix(&prefix)
        .map(|t| {
            (
                t.arn.clone(),
                TopicArn {
                    topic_arn: t.arn.clone(),
                },
            )
        })
        .collect();
    page_of(items, input.next_token.as_deref(), "Topics")
}

pub fn get_topic_attributes(
    sns: &Inner,
    ctx: &RequestContext,
    input: TopicArnInput,
) -> Result<Attributes<BTreeMap<String, String>>, SnsError> {
    let state = sns.store.state.read();
    let topic = sns.topic(&state, ctx, &input.topic_arn)?;
    Ok(Attributes {
        attributes: topic_attributes::all(topic),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SetTopicAttributesInput {
    topic_arn: String,
    attribute_name: String,
    #[serde(default)]
    attribute_value: Option<String>,
}

pub fn set_topic_attributes(
    sns: &Inner,
    ctx: &RequestContext,
    input: SetTopicAttributesInput,
) -> Result<Empty, SnsError> {
    let mut state = sns.store.state.write();
    let topic = sns.topic_mut(&mut state, ctx, &input.topic_arn)?;
    let value = input.attribute_value.unwrap_or_default();
    let stored = topic_attributes::validate(&input.attribute_name, &value, topic.fifo)?;
    topic.set_attribute(input.attribute_name, stored);
    Ok(empty())
}

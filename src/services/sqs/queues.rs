//! Queue lifecycle and attributes: CreateQueue, DeleteQueue, GetQueueUrl, ListQueues,
//! GetQueueAttributes, SetQueueAttributes.

use super::attributes::{DynamicAttributes, Mode, QueueAttributes};
use super::dead_letter::check_redrive_target;
use super::errors::SqsError;
use super::page::Page;
use super::queue::QueueState;
use super::queue_url::{queue_url, QueueLocation};
use super::store::Queue;
use super::tags::validate_new_tags;
use super::{empty, not_found, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateQueueInput {
    queue_name: String,
    #[serde(default)]
    attributes: Map<String, Value>,
    #[serde(default, rename = "tags")]
    tags: Map<String, Value>,
}

fn valid_name_chars(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_queue_name(name: &str, fifo: bool) -> Result<(), SqsError> {
    if fifo {
        let ok = name
            .strip_suffix(".fifo")
            .is_some_and(|base| valid_name_chars(base) && name.len() <= 80);
        if !ok {
            return Err(SqsError::invalid_value(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
            ));
        }
    } else if !(valid_name_chars(name) && name.len() <= 80) {
        return Err(SqsError::invalid_value(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        ));
    }
    Ok(())
}

pub fn create_queue(
    sqs: &Inner,
    ctx: &RequestContext,
    input: CreateQueueInput,
) -> Result<QueueUrlOutput, SqsError> {
    let fifo = input
        .attributes
        .get("FifoQueue")
        .and_then(Value::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    check_queue_name(&input.queue_name, fifo)?;
    let now = sqs.now();
    let mut attrs = QueueAttributes::defaults(fifo, now / 1000);
    attrs.apply(&input.attributes, Mode::Create)?;
    check_redrive_target(sqs, &attrs, &input.attributes)?;
    let tags = validate_new_tags(&input.tags, 0, &input.queue_name)?;

    let location = QueueLocation {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        name: input.queue_name.clone(),
    };
    // AWS also refuses to recreate a queue within 60 s of deleting it (QueueDeletedRecently).
    // We deliberately don't: test suites delete and recreate queues by name all the time.
    let (queue, created) = sqs.store.insert_if_absent(&location, || {
        let state = QueueState::with_config(attrs.clone(), tags, None);
        Queue::new(location.clone(), state, sqs.durable.as_ref())
    });
    if created {
        // Releasing the lock writes the new queue's record (with a data directory).
        drop(queue.state.lock());
    } else {
        let state = queue.state.lock();
        if let Some(attribute) = state.attrs().first_difference(&attrs, &input.attributes) {
            return Err(SqsError::QueueNameExists(attribute));
        }
    }
    Ok(QueueUrlOutput {
        queue_url: queue_url(ctx, &location.account, &location.name),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct QueueUrlInput {
    queue_url: String,
}

pub fn delete_queue(
    sqs: &Inner,
    ctx: &RequestContext,
    input: QueueUrlInput,
) -> Result<Empty, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    sqs.store.remove(&queue.location);
    let pollers = {
        let mut state = queue.state.lock();
        state.mark_deleted();
        state.pollers()
    };
    queue.wake_pollers(pollers);
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetQueueUrlInput {
    queue_name: String,
    #[serde(rename = "QueueOwnerAWSAccountId")]
    owner: Option<String>,
}

pub fn get_queue_url(
    sqs: &Inner,
    ctx: &RequestContext,
    input: GetQueueUrlInput,
) -> Result<QueueUrlOutput, SqsError> {
    let location = QueueLocation {
        account: input.owner.unwrap_or_else(|| ctx.account_id.clone()),
        region: ctx.region.clone(),
        name: input.queue_name,
    };
    let queue = sqs.store.get(&location).ok_or_else(|| not_found(ctx))?;
    Ok(QueueUrlOutput {
        queue_url: queue_url(ctx, &queue.location.account, &queue.location.name),
    })
}

/// CreateQueue's and GetQueueUrl's output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct QueueUrlOutput {
    queue_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListQueuesInput {
    queue_name_prefix: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub fn list_queues(
    sqs: &Inner,
    ctx: &RequestContext,
    input: ListQueuesInput,
) -> Result<ListQueuesOutput, SqsError> {
    let page = Page::parse(input.max_results, input.next_token.as_deref())?;
    let prefix = input.queue_name_prefix.unwrap_or_default();
    let names: Vec<String> = sqs
        .store
        .list(&ctx.account_id, &ctx.region)
        .iter()
        .map(|q| q.location.name.clone())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    let (names, token) = page.apply(names);
    Ok(ListQueuesOutput {
        queue_urls: names
            .iter()
            .map(|n| queue_url(ctx, &ctx.account_id, n))
            .collect(),
        next_token: token,
    })
}

/// No queues leaves `QueueUrls` out, as AWS does.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListQueuesOutput {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    queue_urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetQueueAttributesInput {
    queue_url: String,
    #[serde(default)]
    attribute_names: Vec<String>,
}

pub fn get_queue_attributes(
    sqs: &Inner,
    ctx: &RequestContext,
    input: GetQueueAttributesInput,
) -> Result<AttributesOutput, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let now = sqs.now();
    let attributes = {
        let mut state = queue.state.lock();
        state.tick(now);
        let counts = state.counts();
        let dynamic = DynamicAttributes {
            queue_arn: queue.arn.clone(),
            visible: counts.visible,
            not_visible: counts.inflight,
            delayed: counts.delayed,
        };
        state
            .attrs()
            .render_requested(&input.attribute_names, &dynamic)?
    };
    Ok(AttributesOutput { attributes })
}

/// No attributes (none asked for) is `{}`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AttributesOutput {
    #[serde(skip_serializing_if = "Map::is_empty")]
    attributes: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SetQueueAttributesInput {
    queue_url: String,
    #[serde(default)]
    attributes: Map<String, Value>,
}

pub fn set_queue_attributes(
    sqs: &Inner,
    ctx: &RequestContext,
    input: SetQueueAttributesInput,
) -> Result<Empty, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let now = sqs.now();
    // Validate against a copy taken under the lock, check the dead-letter target without it
    // (that looks up another queue), then apply under the lock again.
    let mut attrs = queue.state.lock().attrs().clone();
    attrs.apply(&input.attributes, Mode::Set)?;
    check_redrive_target(sqs, &attrs, &input.attributes)?;
    let pollers = {
        let mut state = queue.state.lock();
        let mut updated = state.attrs().clone();
        updated.apply(&input.attributes, Mode::Set)?;
        updated.last_modified_timestamp = now / 1000;
        state.set_attrs(updated);
        state.pollers()
    };
    // A shorter delay or visibility can change what long polls are waiting for.
    queue.wake_pollers(pollers);
    Ok(empty())
}

//! Publish and PublishBatch: AWS's checks on the message, then one `Notification` handed to
//! the topic's delivery worker (or, for a phone number or a platform endpoint, recorded as
//! sent). Publish returns once the message is accepted, before it is delivered, as on AWS.

use super::errors::SnsError;
use super::message::{self, Attributes, Notification, MAX_MESSAGE_BYTES};
use super::outputs::Published;
use super::store::Topic;
use super::{arn, Inner};
use crate::request::RequestContext;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PublishInput {
    topic_arn: Option<String>,
    target_arn: Option<String>,
    phone_number: Option<String>,
    message: String,
    subject: Option<String>,
    message_structure: Option<String>,
    #[serde(default)]
    message_attributes: Attributes,
    message_deduplication_id: Option<String>,
    message_group_id: Option<String>,
}

/// The parts of one message, from Publish or one PublishBatch entry.
struct Draft {
    message: String,
    subject: Option<String>,
    message_structure: Option<String>,
    attributes: Attributes,
    dedup_id: Option<String>,
    group_id: Option<String>,
}

/// Checks that do not depend on the topic.
fn check_message(
    d: &Draft,
) -> Result<Option<std::collections::BTreeMap<String, String>>, SnsError> {
    if let Some(subject) = &d.subject {
        let printable = subject
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control());
        if subject.is_empty() || subject.len() >= 100 || !printable {
            return Err(SnsError::invalid("Subject"));
        }
    }
    if d.message.is_empty() {
        return Err(SnsError::invalid("Empty message"));
    }
    if message::total_size(&d.message, &d.attributes) > MAX_MESSAGE_BYTES {
        return Err(SnsError::invalid("Message too long"));
    }
    match d.message_structure.as_deref() {
        None => Ok(None),
        Some("json") => message::per_protocol_messages(&d.message).map(Some),
        Some(other) => Err(SnsError::invalid(format!(
            "MessageStructure Reason: {other} is not a valid value. Valid value is json"
        ))),
    }
}

/// FIFO rules: a group id is required, a deduplication id unless the topic deduplicates by
/// content; a standard topic takes no deduplication id. Returns the effective dedup id.
fn check_fifo(topic: &Topic, d: &Draft) -> Result<Option<String>, SnsError> {
    if !topic.fifo {
        if d.dedup_id.is_some() {
            return Err(SnsError::invalid(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
            ));
        }
        return Ok(None);
    }
    if d.group_id.as_deref().is_none_or(str::is_empty) {
        return Err(SnsError::invalid(
            "The MessageGroupId parameter is required for FIFO topics",
        ));
    }
    if let Some(id) = d.dedup_id.clone().filter(|id| !id.is_empty()) {
        return Ok(Some(id));
    }
    let content_based = topic
        .attribute("ContentBasedDeduplication")
        .is_some_and(|v| v == "true");
    if !content_based {
        return Err(SnsError::invalid(
            "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        ));
    }
    Ok(Some(hex(&Sha256::digest(d.message.as_bytes()))))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn publish(
    sns: &Inner,
    ctx: &RequestContext,
    input: PublishInput,
) -> Result<Published, SnsError> {
    let endpoint_target = input
        .target_arn
        .as_deref()
        .or(input.topic_arn.as_deref())
        .filter(|t| t.contains(":endpoint/"));
    if let Some(endpoint) = endpoint_target {
        if super::platform::endpoint_is_disabled(sns, ctx, endpoint) {
            return Err(SnsError::EndpointDisabled);
        }
    }
    let draft = Draft {
        message: input.message,
        subject: input.subject,
        message_structure: input.message_structure,
        attributes: input.message_attributes,
        dedup_id: input.message_deduplication_id,
        group_id: input.message_group_id,
    };
    let per_protocol = check_message(&draft)?;
    message::validate_attributes(&draft.attributes)?;

    if let Some(phone) = input.phone_number.filter(|p| !p.is_empty()) {
        if input.topic_arn.is_some() || input.target_arn.is_some() {
            return Err(SnsError::invalid(
                "PhoneNumber Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified",
            ));
        }
        return super::sms::publish_to_phone(sns, ctx, &phone, &draft.message, per_protocol);
    }
    let target =
        match (input.topic_arn, input.target_arn) {
            (Some(t), None) | (None, Some(t)) => t,
            (Some(_), Some(_)) => return Err(SnsError::invalid(
                "TopicArn or TargetArn Reason: Only one of TopicArn or TargetArn may be specified",
            )),
            (None, None) => {
                return Err(SnsError::invalid(
                    "TopicArn or TargetArn Reason: no value for required parameter",
                ))
            }
        };
    if target.contains(":endpoint/") {
        return super::platform::publish_to_endpoint(sns, ctx, &target, &draft.message);
    }
    arn::check_topic_arn(ctx, &target, "TopicArn")?;

    let state = sns.store.state.read();
    let topic = state.topic(&target).ok_or_else(SnsError::topic_not_found)?;
    let dedup_id = check_fifo(topic, &draft)?;
    let notification = accept(sns, ctx, topic, draft, per_protocol, dedup_id);
    Ok(published(&notification))
}

fn published(notification: &Notification) -> Published {
    Published {
        message_id: notification.message_id.clone(),
        sequence_number: notification.sequence_number.clone(),
    }
}

/// A `PublishBatchResultEntry`: the entry's id, then what Publish answers.
#[derive(Serialize)]
struct PublishedEntry {
    #[serde(rename = "Id")]
    id: String,
    #[serde(flatten)]
    published: Published,
}

/// A `BatchResultErrorEntry` as SNS orders its members.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FailedEntry {
    id: String,
    code: &'static str,
    message: String,
    sender_fault: bool,
}

/// Both lists always, even empty.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PublishBatchOutput {
    successful: Vec<PublishedEntry>,
    failed: Vec<FailedEntry>,
}

/// Builds the notification and queues it on the topic; called with the state read-locked so
/// that the subscriptions it fans out to are the ones current at publish time.
fn accept(
    sns: &Inner,
    ctx: &RequestContext,
    topic: &Topic,
    draft: Draft,
    per_protocol: Option<std::collections::BTreeMap<String, String>>,
    dedup_id: Option<String>,
) -> Arc<Notification> {
    let now = sns.clock.now_millis();
    let notification = Arc::new(Notification {
        message_id: uuid::Uuid::new_v4().to_string(),
        topic_arn: topic.arn.clone(),
        subject: draft.subject,
        message: draft.message,
        per_protocol,
        attributes: draft.attributes,
        timestamp_ms: now,
        group_id: draft.group_id.filter(|g| !g.is_empty()),
        dedup_id,
        sequence_number: topic.fifo.then(|| sns.store.next_sequence_number(now)),
        host: ctx.host.clone(),
        topic_delivery_policy: topic.attribute("DeliveryPolicy").map(str::to_string),
        trace: ctx.trace,
        trace_header: ctx.trace_header.clone(),
        fifo: topic.fifo,
        signature_version: super::signing::SignatureVersion::from_attribute(
            topic.attribute("SignatureVersion"),
        ),
        signature: std::sync::OnceLock::new(),
    });
    let subscriptions = topic.subscriptions().cloned().collect();
    topic
        .queue
        .push(&sns.deliverer, notification.clone(), subscriptions);
    notification
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchEntry {
    id: String,
    message: String,
    subject: Option<String>,
    message_structure: Option<String>,
    #[serde(default)]
    message_attributes: Attributes,
    message_deduplication_id: Option<String>,
    message_group_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PublishBatchInput {
    topic_arn: String,
    #[serde(default)]
    publish_batch_request_entries: Vec<BatchEntry>,
}

/// Ids are `[A-Za-z0-9_-]{1,80}`; AWS's message names the id and what is wrong with it.
fn check_entry_id(id: &str) -> Result<(), SnsError> {
    if id.len() > 80 {
        return Err(SnsError::InvalidBatchEntryId(format!(
            "The Id of a batch entry in the batch request is too long: {id}"
        )));
    }
    let permissible = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !permissible {
        return Err(SnsError::InvalidBatchEntryId(format!(
            "The Id of a batch entry in the batch request contains an impermissible character: {id}"
        )));
    }
    Ok(())
}

/// On a FIFO topic the group id, and the deduplication id unless the topic deduplicates by
/// content, are required of every entry: one entry without fails the whole request.
fn check_fifo_batch(topic: &Topic, entries: &[BatchEntry]) -> Result<(), SnsError> {
    if !topic.fifo {
        return Ok(());
    }
    if entries
        .iter()
        .any(|e| e.message_group_id.as_deref().is_none_or(str::is_empty))
    {
        return Err(SnsError::invalid(
            "The MessageGroupId parameter is required for FIFO topics",
        ));
    }
    let content_based = topic
        .attribute("ContentBasedDeduplication")
        .is_some_and(|v| v == "true");
    if !content_based
        && entries.iter().any(|e| {
            e.message_deduplication_id
                .as_deref()
                .is_none_or(str::is_empty)
        })
    {
        return Err(SnsError::invalid(
            "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        ));
    }
    Ok(())
}

pub fn publish_batch(
    sns: &Inner,
    ctx: &RequestContext,
    input: PublishBatchInput,
) -> Result<PublishBatchOutput, SnsError> {
    let entries = input.publish_batch_request_entries;
    if entries.is_empty() {
        return Err(SnsError::EmptyBatchRequest);
    }
    if entries.len() > 10 {
        return Err(SnsError::TooManyEntriesInBatchRequest);
    }
    arn::check_topic_arn(ctx, &input.topic_arn, "TopicArn")?;
    let mut seen = HashSet::new();
    for entry in &entries {
        if !seen.insert(entry.id.as_str()) {
            return Err(SnsError::BatchEntryIdsNotDistinct);
        }
        check_entry_id(&entry.id)?;
    }
    let total: usize = entries
        .iter()
        .map(|e| message::total_size(&e.message, &e.message_attributes))
        .sum();
    if total > MAX_MESSAGE_BYTES {
        return Err(SnsError::BatchRequestTooLong);
    }
    for entry in &entries {
        // A malformed attribute fails the whole request, as on AWS.
        message::validate_attributes(&entry.message_attributes)?;
    }

    let state = sns.store.state.read();
    let topic = state
        .topic(&input.topic_arn)
        .ok_or_else(SnsError::topic_not_found)?;
    check_fifo_batch(topic, &entries)?;
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for entry in entries {
        let id = entry.id;
        let draft = Draft {
            message: entry.message,
            subject: entry.subject,
            message_structure: entry.message_structure,
            attributes: entry.message_attributes,
            dedup_id: entry.message_deduplication_id,
            group_id: entry.message_group_id,
        };
        let checked = check_message(&draft)
            .and_then(|per_protocol| check_fifo(topic, &draft).map(|dedup| (per_protocol, dedup)));
        match checked {
            Ok((per_protocol, dedup_id)) => {
                let n = accept(sns, ctx, topic, draft, per_protocol, dedup_id);
                successful.push(PublishedEntry {
                    id,
                    published: published(&n),
                });
            }
            Err(e) => failed.push(FailedEntry {
                id,
                code: e.code(),
                message: e.to_string(),
                sender_fault: true,
            }),
        }
    }
    Ok(PublishBatchOutput { successful, failed })
}

//! SendMessage and SendMessageBatch: validation in AWS's order and words, digests, FIFO
//! deduplication and sequence numbers, and delays.
//!
//! The expensive part (parsing attributes, hashing the body) happens before the queue lock is
//! taken, against a snapshot of the queue's settings; the lock is held only to deduplicate and
//! enqueue.

use super::batch::{check_entry_ids, failed_entry, FailedEntry};
use super::errors::SqsError;
use super::fifo::{dedup_key, DedupEntry};
use super::md5::{hex, md5_digest, md5_of_attributes};
use super::message::{Message, MessageRecord};
use super::message_attributes::{
    attributes_size, parse_message_attributes, parse_system_attributes, valid_message_characters,
    AttributeData, AttributeValue,
};
use super::store::Queue;
use super::Inner;
use crate::request::RequestContext;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most a batch may carry in total (bodies plus attributes), whatever the queue's limit.
const MAX_BATCH_BYTES: usize = 1_048_576;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SendMessageInput {
    queue_url: String,
    #[serde(flatten)]
    entry: Entry,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    #[serde(default)]
    id: String,
    #[serde(default)]
    message_body: String,
    delay_seconds: Option<i64>,
    message_attributes: Option<Value>,
    message_system_attributes: Option<Value>,
    message_deduplication_id: Option<String>,
    message_group_id: Option<String>,
}

/// The queue settings a send depends on, read under the lock once.
struct SendConfig {
    fifo: bool,
    maximum_message_size: usize,
    delay_seconds: u32,
    content_based_deduplication: bool,
    dedup_per_group: bool,
}

impl SendConfig {
    fn of(queue: &Queue) -> Self {
        let state = queue.state.lock();
        let a = state.attrs();
        SendConfig {
            fifo: a.fifo,
            maximum_message_size: a.maximum_message_size as usize,
            delay_seconds: a.delay_seconds,
            content_based_deduplication: a.content_based_deduplication,
            dedup_per_group: a.deduplication_scope == "messageGroup",
        }
    }
}

/// A validated message ready to enqueue.
struct Prepared {
    message: Message,
    delay_ms: u64,
    dedup_key: Option<String>,
}

/// Printable ASCII: what MessageGroupId and MessageDeduplicationId may contain.
fn check_fifo_id(value: Option<&str>, parameter: &str) -> Result<(), SqsError> {
    match value {
        Some(v) if v.is_empty() || v.len() > 128 || !v.bytes().all(|b| b.is_ascii_graphic()) => {
            Err(SqsError::invalid_parameter(
                v,
                parameter,
                &format!("{parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length."),
            ))
        }
        _ => Ok(()),
    }
}

fn prepare(
    entry: Entry,
    config: &SendConfig,
    ctx: &RequestContext,
    now: u64,
) -> Result<Prepared, SqsError> {
    if entry.message_body.is_empty() {
        return Err(SqsError::MissingParameter("MessageBody".into()));
    }
    let attributes = parse_message_attributes(entry.message_attributes.as_ref())?;
    let system_attributes = parse_system_attributes(entry.message_system_attributes.as_ref())?;
    if entry.message_body.len() + attributes_size(&attributes) > config.maximum_message_size {
        return Err(SqsError::invalid_value(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {} bytes.",
            config.maximum_message_size
        )));
    }
    if !valid_message_characters(&entry.message_body) {
        return Err(SqsError::InvalidMessageContents);
    }
    check_fifo_id(
        entry.message_deduplication_id.as_deref(),
        "MessageDeduplicationId",
    )?;
    check_fifo_id(entry.message_group_id.as_deref(), "MessageGroupId")?;

    let delay_seconds = match entry.delay_seconds {
        Some(d) if config.fifo && d != 0 => {
            return Err(SqsError::invalid_parameter(
                d,
                "DelaySeconds",
                "The request include parameter that is not valid for this queue type.",
            ))
        }
        Some(d) if !(0..=900).contains(&d) => {
            return Err(SqsError::invalid_parameter(
                d,
                "DelaySeconds",
                "DelaySeconds must be >= 0 and <= 900.",
            ))
        }
        Some(d) if !config.fifo => d as u32,
        _ => config.delay_seconds,
    };

    let mut dedup = None;
    if config.fifo {
        let Some(group) = entry.message_group_id.as_deref() else {
            return Err(SqsError::MissingParameter("MessageGroupId".into()));
        };
        let id = match (
            &entry.message_deduplication_id,
            config.content_based_deduplication,
        ) {
            (Some(id), _) => id.clone(),
            (None, true) => content_dedup_id(&entry.message_body),
            (None, false) => return Err(missing_dedup_id()),
        };
        dedup = Some((dedup_key(config.dedup_per_group, group, &id), id));
    } else if let Some(id) = &entry.message_deduplication_id {
        return Err(SqsError::invalid_parameter(
            id,
            "MessageDeduplicationId",
            "The request include parameter that is not valid for this queue type.",
        ));
    }

    let md5_of_system_attributes = md5_of_attributes(&system_attributes);
    let md5_of_attributes = md5_of_attributes(&attributes);
    // The request's X-Ray header applies to every message of the request; a message's own
    // AWSTraceHeader overrides it (X-Ray developer guide, "Amazon SQS and AWS X-Ray"). The
    // digest covers only what the sender put in MessageSystemAttributes.
    let mut system_attributes = system_attributes;
    if let Some(trace) = &ctx.trace_header {
        system_attributes
            .entry("AWSTraceHeader".to_string())
            .or_insert_with(|| AttributeValue {
                data_type: "String".into(),
                data: AttributeData::Text(trace.clone()),
            });
    }
    // A header the sender named itself joins the message to that trace.
    let trace =
        ctx.trace.adopting(
            system_attributes
                .get("AWSTraceHeader")
                .and_then(|v| match &v.data {
                    AttributeData::Text(t) => Some(t.as_str()),
                    AttributeData::Binary(_) => None,
                }),
        );
    let (dedup_key, dedup_id) = dedup.unzip();
    Ok(Prepared {
        message: Message::from(MessageRecord {
            message_id: uuid::Uuid::new_v4(),
            md5_of_body: md5_digest(entry.message_body.as_bytes()),
            body: entry.message_body,
            attributes,
            md5_of_attributes,
            system_attributes,
            md5_of_system_attributes,
            // AWS reports the caller's principal id; for an account's root credentials that is
            // the account id, which is what requests here carry.
            sender_id: ctx.account_id.clone(),
            sent_ms: now,
            group_id: entry.message_group_id,
            dedup_id,
            sequence_number: None,
            dead_letter_source_arn: None,
            receive_count: 0,
            first_receive_ms: None,
            trace,
        }),
        delay_ms: u64::from(delay_seconds) * 1000,
        dedup_key,
    })
}

fn missing_dedup_id() -> SqsError {
    SqsError::invalid_value(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
    )
}

/// Enqueues under the queue lock; returns the `SendMessageResult` members. A FIFO duplicate
/// within the window is not stored and answers with the original MessageId.
fn enqueue_all(
    sqs: &Inner,
    queue: &Queue,
    prepared: Vec<Prepared>,
    now: u64,
) -> Vec<SendMessageOutput> {
    let mut results = Vec::with_capacity(prepared.len());
    let pollers = {
        let mut state = queue.state.lock();
        state.tick(now);
        for Prepared {
            mut message,
            delay_ms,
            dedup_key,
        } in prepared
        {
            let mut out = SendMessageOutput {
                md5_of_message_body: hex(&message.md5_of_body),
                md5_of_message_attributes: message.md5_of_attributes().map(str::to_string),
                md5_of_message_system_attributes: message
                    .md5_of_system_attributes()
                    .map(str::to_string),
                message_id: String::new(),
                sequence_number: None,
            };
            let duplicate = dedup_key
                .as_deref()
                .and_then(|key| state.dedup().get(key, now))
                .cloned();
            if let Some(original) = duplicate {
                out.message_id = original.message_id.to_string();
                out.sequence_number = original.sequence_number;
            } else {
                out.message_id = message.message_id.to_string();
                if let Some(key) = dedup_key {
                    let seq = sqs.store.next_sequence_number(now);
                    out.sequence_number = Some(seq.clone());
                    message.set_sequence_number(seq.clone());
                    state.remember_dedup(
                        key,
                        DedupEntry {
                            message_id: message.message_id,
                            sequence_number: Some(seq),
                        },
                        now,
                    );
                }
                state.enqueue(message, delay_ms, now);
            }
            results.push(out);
        }
        state.pollers()
    };
    // Delayed messages wake pollers too: their deadline may come before the one a poller
    // sleeps towards.
    queue.wake_pollers(pollers);
    results
}

pub fn send_message(
    sqs: &Inner,
    ctx: &RequestContext,
    input: SendMessageInput,
) -> Result<SendMessageOutput, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let config = SendConfig::of(&queue);
    let now = sqs.now();
    let prepared = prepare(input.entry, &config, ctx, now)?;
    let mut results = enqueue_all(sqs, &queue, vec![prepared], now);
    // One message in, one result out.
    Ok(results.pop().unwrap_or_default())
}

/// A `SendMessageResult`, in AWS's member order; the digests of absent attributes and the
/// sequence number of a standard queue's message are left out.
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SendMessageOutput {
    #[serde(rename = "MD5OfMessageBody")]
    md5_of_message_body: String,
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    md5_of_message_attributes: Option<String>,
    #[serde(
        rename = "MD5OfMessageSystemAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    md5_of_message_system_attributes: Option<String>,
    message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sequence_number: Option<String>,
}

/// A `SendMessageBatchResultEntry`: the entry's id, then what SendMessage answers.
#[derive(Serialize)]
pub(super) struct SentEntry {
    #[serde(rename = "Id")]
    id: String,
    #[serde(flatten)]
    result: SendMessageOutput,
}

/// AWS leaves an empty `Failed` out of the JSON response (recorded).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SendMessageBatchOutput {
    successful: Vec<SentEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failed: Vec<FailedEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SendMessageBatchInput {
    queue_url: String,
    #[serde(default)]
    entries: Vec<Entry>,
}

/// What an entry counts towards the batch size limit.
fn entry_size(entry: &Entry) -> usize {
    let attributes = parse_message_attributes(entry.message_attributes.as_ref())
        .map_or(0, |a| attributes_size(&a));
    entry.message_body.len() + attributes
}

pub fn send_message_batch(
    sqs: &Inner,
    ctx: &RequestContext,
    input: SendMessageBatchInput,
) -> Result<SendMessageBatchOutput, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let ids: Vec<&str> = input.entries.iter().map(|e| e.id.as_str()).collect();
    check_entry_ids(&ids, "SendMessageBatchRequestEntry")?;
    let config = SendConfig::of(&queue);
    if config.fifo {
        if input.entries.iter().any(|e| e.message_group_id.is_none()) {
            return Err(SqsError::invalid_value(
                "The request must contain the parameter MessageGroupId.",
            ));
        }
        if !config.content_based_deduplication
            && input
                .entries
                .iter()
                .any(|e| e.message_deduplication_id.is_none())
        {
            return Err(missing_dedup_id());
        }
    }
    let total: usize = input.entries.iter().map(entry_size).sum();
    if total > MAX_BATCH_BYTES {
        return Err(SqsError::BatchRequestTooLong(total));
    }

    let now = sqs.now();
    let mut failed = Vec::new();
    let mut prepared = Vec::new();
    let mut prepared_ids = Vec::new();
    for entry in input.entries {
        let id = entry.id.clone();
        match prepare(entry, &config, ctx, now) {
            Ok(p) => {
                prepared.push(p);
                prepared_ids.push(id);
            }
            Err(e) => failed.push(failed_entry(&id, &e)),
        }
    }
    let results = enqueue_all(sqs, &queue, prepared, now);
    let successful = results
        .into_iter()
        .zip(prepared_ids)
        .map(|(result, id)| SentEntry { id, result })
        .collect();
    Ok(SendMessageBatchOutput { successful, failed })
}

/// Content-based deduplication id: the SHA-256 of the body, hex, as AWS documents.
fn content_dedup_id(body: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(body.as_bytes()))
}

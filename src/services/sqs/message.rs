//! One stored message (plain data) and how ReceiveMessage shows it: the system attributes the
//! caller asked for, and the message attributes left after the name filter with their digest
//! recomputed over exactly what is returned.

use super::md5::{hex, md5_of_attributes};
use super::message_attributes::{AttributeData, AttributeOutput, MessageAttributes, NameFilter};
use crate::protocol::Pairs;
use crate::request::TraceContext;
use serde::Serialize;

/// One queued message as it is kept: what every message has inline and fixed-size, what few
/// messages have (message attributes, FIFO ids, a dead-letter source) behind one optional box.
/// A million queued messages are a million of these, so every byte counts (issue 19: at most
/// 300 bytes beside the body): ids and digests are bytes formatted when a response shows them,
/// the sender (an account id) a number, the trace the four numbers a later span needs.
/// On disk and in the state document a message is a [`MessageRecord`] (the format is that
/// record's, unchanged by this representation).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub message_id: uuid::Uuid,
    pub md5_of_body: [u8; 16],
    pub body: Box<str>,
    pub sent_ms: u64,
    /// `NOT_RECEIVED` until the first receive.
    first_receive_ms: u64,
    pub receive_count: u32,
    /// The trace's hop count, here rather than in `trace` so that no padding follows it.
    trace_hops: u32,
    /// The 12-digit account id that sent it, or `SENDER_IN_EXTRA` (then `extra.sender_id`).
    sender: u64,
    trace: StoredTrace,
    extra: Option<Box<Extra>>,
}

const NOT_RECEIVED: u64 = u64::MAX;
const SENDER_IN_EXTRA: u64 = u64::MAX;

/// What a message's later spans need of the trace of the call that sent it (the send's own
/// parent is never read again). `id` as two halves keeps the struct 8-byte aligned.
#[derive(Debug, Clone, Copy, PartialEq)]
struct StoredTrace {
    id: [u64; 2],
    span: u64,
    chain: u64,
}

impl StoredTrace {
    fn of(t: &TraceContext) -> Self {
        StoredTrace {
            id: [(t.id.0 >> 64) as u64, t.id.0 as u64],
            span: t.span,
            chain: t.chain,
        }
    }

    fn context(&self, hops: u32) -> TraceContext {
        TraceContext {
            id: crate::request::TraceId((u128::from(self.id[0]) << 64) | u128::from(self.id[1])),
            span: self.span,
            parent: None,
            hops,
            chain: self.chain,
        }
    }
}

/// The parts most messages do not have; absent (no allocation) when all are empty.
#[derive(Debug, Clone, PartialEq, Default)]
struct Extra {
    attributes: MessageAttributes,
    md5_of_attributes: Option<String>,
    /// What the sender set in `MessageSystemAttributes` (only `AWSTraceHeader` exists).
    system_attributes: MessageAttributes,
    md5_of_system_attributes: Option<String>,
    group_id: Option<String>,
    dedup_id: Option<String>,
    sequence_number: Option<String>,
    dead_letter_source_arn: Option<String>,
    /// A sender that is not a 12-digit account id.
    sender_id: Option<String>,
}

static NO_ATTRIBUTES: MessageAttributes = MessageAttributes::new();

/// A message in full, as it is written to disk and to the state document, and as a sender
/// builds it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MessageRecord {
    pub message_id: uuid::Uuid,
    pub body: String,
    #[serde(with = "crate::persist::snapshot::hex16")]
    pub md5_of_body: [u8; 16],
    pub attributes: MessageAttributes,
    pub md5_of_attributes: Option<String>,
    /// What the sender set in `MessageSystemAttributes` (only `AWSTraceHeader` exists).
    pub system_attributes: MessageAttributes,
    pub md5_of_system_attributes: Option<String>,
    pub sender_id: String,
    pub sent_ms: u64,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
    pub sequence_number: Option<String>,
    pub dead_letter_source_arn: Option<String>,
    pub receive_count: u32,
    pub first_receive_ms: Option<u64>,
    /// The trace of the call that sent it (its span the parent of the message's later
    /// receives, deletes and dead-letter moves): how a consumer's ReceiveMessage links to the
    /// producer's trace, as AWSTraceHeader does in X-Ray. Kept across restarts (as its
    /// X-Ray header) so that a message received after one still joins its trace.
    #[serde(default, skip_serializing_if = "TraceContext::is_none")]
    pub trace: TraceContext,
}

/// [`MessageRecord`] borrowing a stored message, so writing one never copies a body.
#[derive(serde::Serialize)]
struct MessageRecordRef<'a> {
    message_id: uuid::Uuid,
    body: &'a str,
    #[serde(with = "crate::persist::snapshot::hex16")]
    md5_of_body: [u8; 16],
    attributes: &'a MessageAttributes,
    md5_of_attributes: Option<&'a str>,
    system_attributes: &'a MessageAttributes,
    md5_of_system_attributes: Option<&'a str>,
    sender_id: std::borrow::Cow<'a, str>,
    sent_ms: u64,
    group_id: Option<&'a str>,
    dedup_id: Option<&'a str>,
    sequence_number: Option<&'a str>,
    dead_letter_source_arn: Option<&'a str>,
    receive_count: u32,
    first_receive_ms: Option<u64>,
    #[serde(skip_serializing_if = "TraceContext::is_none")]
    trace: TraceContext,
}

impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MessageRecordRef {
            message_id: self.message_id,
            body: &self.body,
            md5_of_body: self.md5_of_body,
            attributes: self.attributes(),
            md5_of_attributes: self.md5_of_attributes(),
            system_attributes: self.system_attributes(),
            md5_of_system_attributes: self.md5_of_system_attributes(),
            sender_id: self.sender_id(),
            sent_ms: self.sent_ms,
            group_id: self.group_id(),
            dedup_id: self.dedup_id(),
            sequence_number: self.sequence_number(),
            dead_letter_source_arn: self.dead_letter_source_arn(),
            receive_count: self.receive_count,
            first_receive_ms: self.first_receive_ms(),
            trace: self.trace(),
        }
        .serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Message {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        MessageRecord::deserialize(deserializer).map(Message::from)
    }
}

/// A 12-digit account id as its number; anything else is kept as text.
fn account_number(sender: &str) -> Option<u64> {
    if sender.len() == 12 && sender.bytes().all(|b| b.is_ascii_digit()) {
        sender.parse().ok()
    } else {
        None
    }
}

impl From<MessageRecord> for Message {
    fn from(r: MessageRecord) -> Self {
        let sender = account_number(&r.sender_id);
        let extra = Extra {
            attributes: r.attributes,
            md5_of_attributes: r.md5_of_attributes,
            system_attributes: r.system_attributes,
            md5_of_system_attributes: r.md5_of_system_attributes,
            group_id: r.group_id,
            dedup_id: r.dedup_id,
            sequence_number: r.sequence_number,
            dead_letter_source_arn: r.dead_letter_source_arn,
            sender_id: sender.is_none().then_some(r.sender_id),
        };
        Message {
            message_id: r.message_id,
            md5_of_body: r.md5_of_body,
            body: r.body.into_boxed_str(),
            sent_ms: r.sent_ms,
            first_receive_ms: r.first_receive_ms.unwrap_or(NOT_RECEIVED),
            receive_count: r.receive_count,
            trace_hops: r.trace.hops,
            sender: sender.unwrap_or(SENDER_IN_EXTRA),
            trace: StoredTrace::of(&r.trace),
            extra: (extra != Extra::default()).then(|| Box::new(extra)),
        }
    }
}

impl Message {
    pub fn attributes(&self) -> &MessageAttributes {
        self.extra
            .as_ref()
            .map_or(&NO_ATTRIBUTES, |e| &e.attributes)
    }

    pub fn md5_of_attributes(&self) -> Option<&str> {
        self.extra.as_ref()?.md5_of_attributes.as_deref()
    }

    pub fn system_attributes(&self) -> &MessageAttributes {
        self.extra
            .as_ref()
            .map_or(&NO_ATTRIBUTES, |e| &e.system_attributes)
    }

    pub fn md5_of_system_attributes(&self) -> Option<&str> {
        self.extra.as_ref()?.md5_of_system_attributes.as_deref()
    }

    pub fn group_id(&self) -> Option<&str> {
        self.extra.as_ref()?.group_id.as_deref()
    }

    pub fn dedup_id(&self) -> Option<&str> {
        self.extra.as_ref()?.dedup_id.as_deref()
    }

    pub fn sequence_number(&self) -> Option<&str> {
        self.extra.as_ref()?.sequence_number.as_deref()
    }

    pub fn dead_letter_source_arn(&self) -> Option<&str> {
        self.extra.as_ref()?.dead_letter_source_arn.as_deref()
    }

    pub fn sender_id(&self) -> std::borrow::Cow<'_, str> {
        match (self.sender, self.extra.as_ref()) {
            (SENDER_IN_EXTRA, e) => e
                .and_then(|e| e.sender_id.as_deref())
                .unwrap_or_default()
                .into(),
            (n, _) => format!("{n:012}").into(),
        }
    }

    pub fn first_receive_ms(&self) -> Option<u64> {
        (self.first_receive_ms != NOT_RECEIVED).then_some(self.first_receive_ms)
    }

    /// The trace of the call that sent it (without that call's own parent).
    pub fn trace(&self) -> TraceContext {
        self.trace.context(self.trace_hops)
    }

    /// One more receive, at `now`.
    pub fn received(&mut self, now: u64) {
        self.receive_count += 1;
        if self.first_receive_ms == NOT_RECEIVED {
            self.first_receive_ms = now;
        }
    }

    pub fn set_sequence_number(&mut self, seq: String) {
        self.extra_mut().sequence_number = Some(seq);
    }

    pub fn set_dead_letter_source_arn(&mut self, arn: Option<String>) {
        if arn.is_none() && self.extra.is_none() {
            return;
        }
        self.extra_mut().dead_letter_source_arn = arn;
        if self.extra.as_deref() == Some(&Extra::default()) {
            self.extra = None;
        }
    }

    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Default::default)
    }
}

/// System attribute names in the order AWS lists them.
pub const SYSTEM_ATTRIBUTE_NAMES: &[&str] = &[
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
];

impl Message {
    fn system_attribute(&self, name: &str) -> Option<String> {
        match name {
            "SenderId" => Some(self.sender_id().into_owned()),
            "SentTimestamp" => Some(self.sent_ms.to_string()),
            "ApproximateReceiveCount" => Some(self.receive_count.to_string()),
            "ApproximateFirstReceiveTimestamp" => self.first_receive_ms().map(|t| t.to_string()),
            "SequenceNumber" => self.sequence_number().map(str::to_string),
            "MessageDeduplicationId" => self.dedup_id().map(str::to_string),
            "MessageGroupId" => self.group_id().map(str::to_string),
            "AWSTraceHeader" => {
                self.system_attributes()
                    .get("AWSTraceHeader")
                    .and_then(|v| match &v.data {
                        AttributeData::Text(t) => Some(t.clone()),
                        AttributeData::Binary(_) => None,
                    })
            }
            "DeadLetterQueueSourceArn" => self.dead_letter_source_arn().map(str::to_string),
            _ => None,
        }
    }

    /// The `Message` shape of a ReceiveMessage result.
    pub fn render(
        &self,
        receipt_handle: String,
        system_names: &[String],
        attribute_filter: &NameFilter,
    ) -> Received {
        let all_system = system_names.iter().any(|n| n == "All");
        let mut system = Pairs::default();
        for name in SYSTEM_ATTRIBUTE_NAMES {
            if all_system || system_names.iter().any(|n| n == name) {
                if let Some(value) = self.system_attribute(name) {
                    system.0.push((*name, value));
                }
            }
        }
        let mut out = Received {
            message_id: self.message_id.to_string(),
            receipt_handle: Some(receipt_handle),
            md5_of_body: hex(&self.md5_of_body),
            body: self.body.to_string(),
            attributes: system,
            md5_of_message_attributes: None,
            message_attributes: Pairs::default(),
        };

        let attributes = self.attributes();
        if !attribute_filter.is_empty() && !attributes.is_empty() {
            let returned: Vec<_> = attributes
                .iter()
                .filter(|(name, _)| attribute_filter.matches(name))
                .collect();
            if !returned.is_empty() {
                out.md5_of_message_attributes = if returned.len() == attributes.len() {
                    self.md5_of_attributes().map(str::to_string)
                } else {
                    md5_of_attributes(returned.iter().copied())
                };
                out.message_attributes = Pairs(
                    returned
                        .iter()
                        .map(|(name, value)| ((*name).clone(), AttributeOutput::from(*value)))
                        .collect(),
                );
            }
        }
        out
    }
}

/// A `Message` of a ReceiveMessage result, in AWS's member order; absent members are left out.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Received {
    pub message_id: String,
    /// `None` only where the console peeks at a message without receiving it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_handle: Option<String>,
    #[serde(rename = "MD5OfBody")]
    pub md5_of_body: String,
    pub body: String,
    #[serde(skip_serializing_if = "Pairs::is_empty")]
    pub attributes: Pairs<&'static str, String>,
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_attributes: Option<String>,
    #[serde(skip_serializing_if = "Pairs::is_empty")]
    pub message_attributes: Pairs<String, AttributeOutput>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::sqs::message_attributes::AttributeValue;

    fn record(full: bool) -> MessageRecord {
        let mut attributes = MessageAttributes::new();
        if full {
            attributes.insert(
                "a".into(),
                AttributeValue {
                    data_type: "String".into(),
                    data: AttributeData::Text("x".into()),
                },
            );
        }
        MessageRecord {
            message_id: uuid::Uuid::new_v4(),
            body: "hello".into(),
            md5_of_body: [7; 16],
            md5_of_attributes: full.then(|| "0123456789abcdef0123456789abcdef".into()),
            attributes: attributes.clone(),
            system_attributes: if full { attributes } else { Default::default() },
            md5_of_system_attributes: full.then(|| "fedcba9876543210fedcba9876543210".into()),
            sender_id: if full {
                "AIDASENDER".into()
            } else {
                "000000000042".into()
            },
            sent_ms: 1_700_000_000_000,
            group_id: full.then(|| "g".into()),
            dedup_id: full.then(|| "d".into()),
            sequence_number: full.then(|| "18889999999999999999".into()),
            dead_letter_source_arn: full.then(|| "arn:aws:sqs:us-east-1:000000000000:src".into()),
            receive_count: u32::from(full) * 3,
            first_receive_ms: full.then_some(1_700_000_000_500),
            trace: if full {
                TraceContext::root(1_700_000_000).next_hop()
            } else {
                TraceContext::NONE
            },
        }
    }

    #[test]
    fn a_stored_message_writes_exactly_the_record_it_was_made_from() {
        for full in [false, true] {
            let record = record(full);
            let expected = serde_json::to_value(&record).expect("record");
            let message = Message::from(record.clone());
            let written = serde_json::to_value(&message).expect("message");
            assert_eq!(written, expected);
            let read: Message = serde_json::from_value(written).expect("read back");
            assert_eq!(read, message);
            assert_eq!(
                message.extra.is_some(),
                full,
                "rare parts boxed only when present"
            );
        }
    }

    #[test]
    fn a_sender_that_is_not_an_account_id_is_kept_as_text() {
        let mut r = record(false);
        r.sender_id = "AROAEXAMPLE:session".into();
        assert_eq!(Message::from(r).sender_id(), "AROAEXAMPLE:session");
        let r = record(false);
        assert_eq!(Message::from(r).sender_id(), "000000000042");
    }
}

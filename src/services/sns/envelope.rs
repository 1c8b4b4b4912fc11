//! The JSON documents SNS delivers: the `Notification` envelope (to SQS without raw delivery,
//! HTTP/S, email-json, Lambda) and the `SubscriptionConfirmation` / `UnsubscribeConfirmation`
//! messages HTTP/S endpoints get. Keys go out in the order AWS writes them (see
//! `conformance/sns/notification_envelopes_aws_recorded.json`); `serde_json` keeps insertion
//! order (`preserve_order`).
//!
//! Standard topics' documents are signed as SNS signs them (see `signing`); FIFO topics'
//! notifications carry no signature, as on AWS.

use super::message::{MessageAttribute, Notification};
use super::signing::{self, SignatureVersion};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What an envelope needs about where it goes.
pub struct Addressing<'a> {
    pub subscription_arn: &'a str,
    /// `host[:port]` the publisher addressed us by, for the URLs in the envelope.
    pub host: &'a str,
}

pub fn signing_cert_url(host: &str) -> String {
    format!("http://{host}/_stepyard/sns/{}", signing::CERTIFICATE_FILE)
}

pub fn unsubscribe_url(host: &str, subscription_arn: &str) -> String {
    format!("http://{host}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}")
}

pub fn subscribe_url(host: &str, topic_arn: &str, token: &str) -> String {
    format!("http://{host}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={token}")
}

/// ISO-8601 with milliseconds, as in `2012-04-26T20:45:04.751Z`.
pub fn timestamp(ms: u64) -> String {
    aws_smithy_types::DateTime::from_millis(ms as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map(|s| {
            // smithy drops a zero fraction; AWS always writes three digits.
            match s.split_once('.') {
                Some((head, frac)) => {
                    let digits = frac.trim_end_matches('Z');
                    format!("{head}.{:0<3}Z", &digits[..digits.len().min(3)])
                }
                None => format!("{}.000Z", s.trim_end_matches('Z')),
            }
        })
        .unwrap_or_default()
}

/// The `Notification` envelope for one subscription; `message` is the text chosen for the
/// subscription's protocol.
pub fn notification(n: &Notification, message: &str, to: &Addressing) -> String {
    let mut doc = Map::new();
    doc.insert("Type".into(), "Notification".into());
    doc.insert("MessageId".into(), n.message_id.clone().into());
    if let Some(seq) = &n.sequence_number {
        doc.insert("SequenceNumber".into(), seq.clone().into());
    }
    doc.insert("TopicArn".into(), n.topic_arn.clone().into());
    if let Some(subject) = &n.subject {
        doc.insert("Subject".into(), subject.clone().into());
    }
    doc.insert("Message".into(), message.into());
    let ts = timestamp(n.timestamp_ms);
    doc.insert("Timestamp".into(), ts.clone().into());
    let mut to_sign = vec![
        ("Message", message.to_string()),
        ("MessageId", n.message_id.clone()),
    ];
    if let Some(subject) = &n.subject {
        to_sign.push(("Subject", subject.clone()));
    }
    to_sign.push(("Timestamp", ts));
    to_sign.push(("TopicArn", n.topic_arn.clone()));
    to_sign.push(("Type", "Notification".into()));
    // AWS signs standard topics' notifications only; FIFO ones carry the SequenceNumber.
    if !n.fifo {
        // Every subscription of the topic signs the same fields: sign the published text
        // once per notification (OnceLock: racing workers compute it once, no lock held).
        let signature = if message == n.message {
            n.signature
                .get_or_init(|| signing::sign(&canonical(&to_sign), n.signature_version))
                .clone()
        } else {
            signing::sign(&canonical(&to_sign), n.signature_version)
        };
        add_signature(&mut doc, signature, n.signature_version, to.host);
    }
    doc.insert(
        "UnsubscribeURL".into(),
        unsubscribe_url(to.host, to.subscription_arn).into(),
    );
    if !n.attributes.is_empty() {
        doc.insert(
            "MessageAttributes".into(),
            envelope_attributes(&n.attributes),
        );
    }
    Value::Object(doc).to_string()
}

/// `SubscriptionConfirmation` or `UnsubscribeConfirmation` for an HTTP/S endpoint.
pub fn confirmation(
    kind: &str,
    message_id: &str,
    topic_arn: &str,
    token: &str,
    message: &str,
    timestamp_ms: u64,
    host: &str,
) -> String {
    let mut doc = Map::new();
    doc.insert("Type".into(), kind.into());
    doc.insert("MessageId".into(), message_id.into());
    doc.insert("Token".into(), token.into());
    doc.insert("TopicArn".into(), topic_arn.into());
    doc.insert("Message".into(), message.into());
    let url = subscribe_url(host, topic_arn, token);
    doc.insert("SubscribeURL".into(), url.clone().into());
    let ts = timestamp(timestamp_ms);
    doc.insert("Timestamp".into(), ts.clone().into());
    let to_sign = [
        ("Message", message.to_string()),
        ("MessageId", message_id.to_string()),
        ("SubscribeURL", url),
        ("Timestamp", ts),
        ("Token", token.to_string()),
        ("TopicArn", topic_arn.to_string()),
        ("Type", kind.to_string()),
    ];
    let signature = signing::sign(&canonical(&to_sign), SignatureVersion::V1);
    add_signature(&mut doc, signature, SignatureVersion::V1, host);
    Value::Object(doc).to_string()
}

/// AWS's string to sign: "Name\nValue\n" for each signed field, in name order.
fn canonical(fields: &[(&str, String)]) -> String {
    let mut canonical = String::new();
    for (name, value) in fields {
        canonical.push_str(name);
        canonical.push('\n');
        canonical.push_str(value);
        canonical.push('\n');
    }
    canonical
}

/// Adds SignatureVersion, Signature and SigningCertURL, in AWS's key order.
fn add_signature(
    doc: &mut Map<String, Value>,
    signature: String,
    version: SignatureVersion,
    host: &str,
) {
    doc.insert("SignatureVersion".into(), version.as_str().into());
    doc.insert("Signature".into(), signature.into());
    doc.insert("SigningCertURL".into(), signing_cert_url(host).into());
}

/// Message attributes in an envelope: `{"name": {"Type": "String", "Value": "v"}}`; binary
/// values stay base64.
pub fn envelope_attributes(attributes: &BTreeMap<String, MessageAttribute>) -> Value {
    let mut out = Map::new();
    for (name, attribute) in attributes {
        let mut entry = Map::new();
        entry.insert("Type".into(), attribute.data_type.clone().into());
        entry.insert("Value".into(), attribute.value_text().into());
        out.insert(name.clone(), Value::Object(entry));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_always_have_three_fraction_digits() {
        assert_eq!(timestamp(1_335_472_704_751), "2012-04-26T20:38:24.751Z");
        assert_eq!(timestamp(1_335_472_704_000), "2012-04-26T20:38:24.000Z");
        assert_eq!(timestamp(1_335_472_704_050), "2012-04-26T20:38:24.050Z");
    }
}

//! awsQuery responses: the JSON-protocol form of an output, written as XML shaped by the output
//! shape. Names follow what botocore's and the SDKs' XML parsers expect: a member's
//! `locationName` if it has one; flattened lists repeat their item element directly; wrapped
//! lists use `<member>`; maps use `<entry><key/><value/></entry>` unless flattened.

use super::Encoded;
use crate::model::{Member, Operation, ServiceModel, ShapeKind};
use bytes::Bytes;
use serde_json::Value;

pub const CONTENT_TYPE: &str = "text/xml";

pub fn encode_output(
    model: &ServiceModel,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> Encoded {
    let namespace = model.metadata.xml_namespace.as_deref().unwrap_or("");
    let mut xml = String::with_capacity(512);
    xml.push_str("<?xml version=\"1.0\"?><");
    xml.push_str(&operation.name);
    xml.push_str("Response xmlns=\"");
    xml.push_str(namespace);
    xml.push_str("\">");
    if let (Some(wrapper), Some(shape)) = (&operation.result_wrapper, &operation.output) {
        let start = xml.len();
        open(&mut xml, wrapper);
        let inner = xml.len();
        Writer { model }.structure_members(&mut xml, shape, output);
        if xml.len() == inner {
            // An empty result is written as AWS writes it: `<ReceiveMessageResult/>`.
            xml.truncate(start);
            xml.push('<');
            xml.push_str(wrapper);
            xml.push_str("/>");
        } else {
            close(&mut xml, wrapper);
        }
    }
    xml.push_str("<ResponseMetadata><RequestId>");
    escape_into(&mut xml, request_id);
    xml.push_str("</RequestId></ResponseMetadata></");
    xml.push_str(&operation.name);
    xml.push_str("Response>");
    Encoded {
        status: 200,
        content_type: CONTENT_TYPE,
        headers: Vec::new(),
        body: Bytes::from(xml),
    }
}

struct Writer<'a> {
    model: &'a ServiceModel,
}

fn open(xml: &mut String, name: &str) {
    xml.push('<');
    xml.push_str(name);
    xml.push('>');
}

fn close(xml: &mut String, name: &str) {
    xml.push_str("</");
    xml.push_str(name);
    xml.push('>');
}

impl Writer<'_> {
    fn structure_members(&self, xml: &mut String, shape_name: &str, value: &Value) {
        let (Some(ShapeKind::Structure { members, .. }), Value::Object(object)) =
            (self.model.shape(shape_name).map(|s| &s.kind), value)
        else {
            return;
        };
        for (name, member) in members {
            if let Some(child) = object.get(name).filter(|v| !v.is_null()) {
                self.member(xml, member, name, child);
            }
        }
    }

    /// Writes one structure member named `member_name`.
    fn member(&self, xml: &mut String, member: &Member, member_name: &str, value: &Value) {
        let Some(shape) = self.model.shape(&member.shape) else {
            return;
        };
        let flattened = shape.flattened || member.flattened;
        let element = member.location_name.as_deref().unwrap_or(member_name);
        match (&shape.kind, value) {
            (ShapeKind::List { member: item }, Value::Array(items)) => {
                if flattened {
                    let item_element = item.location_name.as_deref().unwrap_or(element);
                    for v in items {
                        self.value(xml, item, item_element, v);
                    }
                } else {
                    open(xml, element);
                    let item_element = item.location_name.as_deref().unwrap_or("member");
                    for v in items {
                        self.value(xml, item, item_element, v);
                    }
                    close(xml, element);
                }
            }
            (ShapeKind::Map { key, value: item }, Value::Object(entries)) => {
                let key_element = key.location_name.as_deref().unwrap_or("key");
                let value_element = item.location_name.as_deref().unwrap_or("value");
                if !flattened {
                    open(xml, element);
                }
                let entry_element = if flattened { element } else { "entry" };
                for (k, v) in entries {
                    open(xml, entry_element);
                    open(xml, key_element);
                    escape_into(xml, k);
                    close(xml, key_element);
                    self.value(xml, item, value_element, v);
                    close(xml, entry_element);
                }
                if !flattened {
                    close(xml, element);
                }
            }
            _ => self.value(xml, member, element, value),
        }
    }

    /// Writes `value` as an element named `element`, for a list item, map value or scalar.
    fn value(&self, xml: &mut String, member: &Member, element: &str, value: &Value) {
        let Some(shape) = self.model.shape(&member.shape) else {
            return;
        };
        match &shape.kind {
            ShapeKind::Structure { .. } => {
                open(xml, element);
                self.structure_members(xml, &member.shape, value);
                close(xml, element);
            }
            ShapeKind::List { .. } | ShapeKind::Map { .. } => {
                // A nested collection: written as a member of that name, wrapped.
                self.member(xml, member, element, value);
            }
            ShapeKind::Timestamp => {
                open(xml, element);
                escape_into(xml, &timestamp_text(value));
                close(xml, element);
            }
            _ => {
                open(xml, element);
                match value {
                    Value::String(s) => escape_into(xml, s),
                    Value::Bool(b) => xml.push_str(if *b { "true" } else { "false" }),
                    Value::Number(n) => xml.push_str(&n.to_string()),
                    other => escape_into(xml, &other.to_string()),
                }
                close(xml, element);
            }
        }
    }
}

/// Query responses carry timestamps as ISO-8601; handlers produce epoch seconds.
fn timestamp_text(value: &Value) -> String {
    match value {
        Value::Number(n) => {
            let secs = n.as_f64().unwrap_or(0.0);
            aws_smithy_types::DateTime::from_secs_f64(secs)
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap_or_default()
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Escapes text for element content. Carriage returns are escaped too, because XML parsers
/// normalise a literal CR to LF and a message body must come back byte for byte.
///
/// Characters XML 1.0 does not allow at all (controls other than tab, LF and CR, U+FFFE,
/// U+FFFF) cannot be escaped either: `&#x1;` is as fatal to a parser as the raw byte. A value
/// that holds one (a display name, tag or endpoint a client sent where AWS does not check)
/// is written with U+FFFD in its place, so that one bad value cannot make a whole listing
/// unreadable for every client.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 && c != '\r' => out.push(char::REPLACEMENT_CHARACTER),
            '\u{FFFE}' | '\u{FFFF}' => out.push(char::REPLACEMENT_CHARACTER),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use serde_json::json;

    fn body(e: &Encoded) -> String {
        String::from_utf8(e.body.to_vec()).unwrap()
    }

    #[test]
    fn sqs_receive_flattens_messages_and_attributes() {
        let m = model::sqs_query();
        let op = m.operation("ReceiveMessage").unwrap();
        let out = json!({"Messages": [{"MessageId": "id1", "Body": "a<b\r",
            "Attributes": {"SentTimestamp": "1"},
            "MessageAttributes": {"c": {"DataType": "String", "StringValue": "red"}}}]});
        let xml = body(&encode_output(m, op, &out, "rid"));
        assert!(xml.contains("<ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><ReceiveMessageResult><Message><MessageId>id1</MessageId>"), "{xml}");
        assert!(xml.contains("<Body>a&lt;b&#xD;</Body>"), "{xml}");
        assert!(
            xml.contains("<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>"),
            "{xml}"
        );
        assert!(xml.contains("<MessageAttribute><Name>c</Name><Value><StringValue>red</StringValue><DataType>String</DataType></Value></MessageAttribute>") || xml.contains("<MessageAttribute><Name>c</Name><Value><DataType>String</DataType><StringValue>red</StringValue></Value></MessageAttribute>"), "{xml}");
        assert!(xml.ends_with("<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ReceiveMessageResponse>"));
    }

    #[test]
    fn characters_xml_forbids_are_replaced_not_written() {
        let mut out = String::new();
        escape_into(&mut out, "a\u{0}b\u{1}\t\n\r\u{FFFF}c");
        assert_eq!(out, "a\u{FFFD}b\u{FFFD}\t\n&#xD;\u{FFFD}c");
    }

    #[test]
    fn sqs_list_queues_repeats_queue_url() {
        let m = model::sqs_query();
        let op = m.operation("ListQueues").unwrap();
        let xml = body(&encode_output(
            m,
            op,
            &json!({"QueueUrls": ["a", "b"]}),
            "r",
        ));
        assert!(
            xml.contains(
                "<ListQueuesResult><QueueUrl>a</QueueUrl><QueueUrl>b</QueueUrl></ListQueuesResult>"
            ),
            "{xml}"
        );
    }

    #[test]
    fn sns_wrapped_lists_and_maps() {
        let m = model::sns();
        let op = m.operation("ListTopics").unwrap();
        let xml = body(&encode_output(
            m,
            op,
            &json!({"Topics": [{"TopicArn": "arn1"}]}),
            "r",
        ));
        assert!(xml.contains("<ListTopicsResult><Topics><member><TopicArn>arn1</TopicArn></member></Topics></ListTopicsResult>"), "{xml}");
        let op = m.operation("GetTopicAttributes").unwrap();
        let xml = body(&encode_output(
            m,
            op,
            &json!({"Attributes": {"k": "v"}}),
            "r",
        ));
        assert!(
            xml.contains("<Attributes><entry><key>k</key><value>v</value></entry></Attributes>"),
            "{xml}"
        );
    }
}

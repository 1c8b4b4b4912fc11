//! Renders an `ApiError` in each protocol's error shape.

use super::{json, Encoded};
use crate::error::ApiError;
use bytes::Bytes;
use serde_json::json;

/// awsJson: `{"__type": ..., "message": ...}`. Query-compatible services (SQS) also send
/// `x-amzn-query-error: <Code>;<Sender|Receiver>`, from which SDKs take the error code.
/// `type_namespace` qualifies `__type` the way the service does (SQS sends
/// `com.amazonaws.sqs#QueueDoesNotExist`; SDKs strip the part up to `#`).
pub fn encode_json(
    error: &ApiError,
    content_type: &'static str,
    query_compatible: bool,
    type_namespace: Option<&str>,
) -> Encoded {
    let json_type = match type_namespace {
        Some(ns) if !error.json_type().contains('#') => format!("{ns}#{}", error.json_type()),
        _ => error.json_type().to_string(),
    };
    let body = json!({ "__type": json_type, "message": error.message });
    let mut headers = Vec::new();
    if query_compatible {
        let fault = if error.sender_fault {
            "Sender"
        } else {
            "Receiver"
        };
        headers.push(("x-amzn-query-error", format!("{};{fault}", error.code)));
    }
    Encoded {
        status: error.status,
        content_type,
        headers,
        body: Bytes::from(body.to_string()),
    }
}

/// What a service's awsQuery `<Error>` element holds besides Type, Code and Message: SQS
/// always sends an empty `<Detail/>`, SNS sends none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryErrorShape {
    WithDetail,
    WithoutDetail,
}

/// awsQuery: `<ErrorResponse><Error><Type/><Code/><Message/>[<Detail/>]</Error><RequestId/>
/// </ErrorResponse>`.
pub fn encode_query(
    error: &ApiError,
    request_id: &str,
    xml_namespace: &str,
    shape: QueryErrorShape,
) -> Encoded {
    let fault = if error.sender_fault {
        "Sender"
    } else {
        "Receiver"
    };
    let mut body = String::with_capacity(256 + error.message.len());
    body.push_str("<?xml version=\"1.0\"?><ErrorResponse");
    if !xml_namespace.is_empty() {
        body.push_str(" xmlns=\"");
        body.push_str(xml_namespace);
        body.push('"');
    }
    body.push_str("><Error><Type>");
    body.push_str(fault);
    body.push_str("</Type><Code>");
    super::xml::escape_into(&mut body, &error.code);
    body.push_str("</Code><Message>");
    super::xml::escape_into(&mut body, &error.message);
    body.push_str("</Message>");
    if shape == QueryErrorShape::WithDetail {
        body.push_str("<Detail/>");
    }
    body.push_str("</Error><RequestId>");
    super::xml::escape_into(&mut body, request_id);
    body.push_str("</RequestId></ErrorResponse>");
    Encoded {
        status: error.status,
        content_type: "text/xml",
        headers: Vec::new(),
        body: Bytes::from(body),
    }
}

/// For errors raised before the protocol is known (e.g. an unroutable request).
pub fn encode_unrouted(error: &ApiError) -> Encoded {
    encode_json(error, json::CONTENT_TYPE_11, false, None)
}

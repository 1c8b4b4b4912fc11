//! Wire protocols: decode a request body into the JSON-protocol form of the operation's input,
//! encode an output or an error in the protocol the request came in.

pub mod error;
pub mod form;
pub mod json;
pub mod output;
pub mod query;
pub mod xml;
pub mod xml_json;

use crate::error::ApiError;
use crate::model::ServiceModel;
use crate::request::{Protocol, ServiceId};
use bytes::Bytes;
pub use output::{Empty, Output, Pairs};

/// An encoded response, ready for the listener to send.
#[derive(Debug)]
pub struct Encoded {
    pub status: u16,
    pub content_type: &'static str,
    /// Extra headers besides content type and request id (e.g. `x-amzn-query-error`).
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

/// An operation's output in the request's protocol: the JSON protocols write the typed output
/// as the body; the query protocol writes its JSON-protocol form as XML shaped by the query
/// model's output shape.
pub fn encode_output(
    service: ServiceId,
    protocol: Protocol,
    operation: &str,
    output: Output,
    request_id: &str,
) -> Encoded {
    match protocol {
        Protocol::AwsQuery => {
            let wire_model: &ServiceModel = service.query_model();
            match wire_model.operation(operation) {
                Some(op) => xml::encode_output(wire_model, op, &output.to_value(), request_id),
                None => encode_error(
                    service,
                    protocol,
                    &ApiError::internal("operation vanished"),
                    request_id,
                ),
            }
        }
        Protocol::AwsJson10 => json::encode(output, json::CONTENT_TYPE_10),
        Protocol::AwsJson11 => json::encode(output, json::CONTENT_TYPE_11),
    }
}

/// An error in the request's protocol, in the service's shape for it.
pub fn encode_error(
    service: ServiceId,
    protocol: Protocol,
    error: &ApiError,
    request_id: &str,
) -> Encoded {
    match protocol {
        Protocol::AwsQuery => {
            let namespace = service
                .query_model()
                .metadata
                .xml_namespace
                .as_deref()
                .unwrap_or("");
            error::encode_query(error, request_id, namespace, service.query_error_shape())
        }
        Protocol::AwsJson10 | Protocol::AwsJson11 => {
            let content_type = if protocol == Protocol::AwsJson10 {
                json::CONTENT_TYPE_10
            } else {
                json::CONTENT_TYPE_11
            };
            error::encode_json(
                error,
                content_type,
                service.query_compatible(),
                service.json_error_namespace(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct QueueUrl {
        queue_url: String,
    }

    fn queue_url() -> Output {
        Output::new(QueueUrl {
            queue_url: "http://localhost:4566/000000000000/q".into(),
        })
    }

    #[test]
    fn a_typed_output_is_written_as_json_for_the_json_protocols() {
        let encoded = encode_output(
            ServiceId::Sqs,
            Protocol::AwsJson10,
            "GetQueueUrl",
            queue_url(),
            "rid",
        );
        assert_eq!(encoded.content_type, json::CONTENT_TYPE_10);
        assert_eq!(
            &encoded.body[..],
            br#"{"QueueUrl":"http://localhost:4566/000000000000/q"}"#
        );
    }

    #[test]
    fn a_typed_output_is_written_as_xml_for_the_query_protocol() {
        let encoded = encode_output(
            ServiceId::Sqs,
            Protocol::AwsQuery,
            "GetQueueUrl",
            queue_url(),
            "rid",
        );
        assert_eq!(encoded.content_type, xml::CONTENT_TYPE);
        assert_eq!(
            std::str::from_utf8(&encoded.body).unwrap(),
            "<?xml version=\"1.0\"?><GetQueueUrlResponse \
             xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><GetQueueUrlResult>\
             <QueueUrl>http://localhost:4566/000000000000/q</QueueUrl></GetQueueUrlResult>\
             <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>\
             </GetQueueUrlResponse>"
        );
    }

    #[test]
    fn an_empty_output_is_an_empty_result_element_in_xml() {
        let encoded = encode_output(
            ServiceId::Sns,
            Protocol::AwsQuery,
            "DeleteTopic",
            Output::empty(),
            "rid",
        );
        let body = std::str::from_utf8(&encoded.body).unwrap();
        assert!(body.starts_with("<?xml version=\"1.0\"?><DeleteTopicResponse"));
        assert!(body.ends_with(
            "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DeleteTopicResponse>"
        ));
    }
}

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
    output: &Output,
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

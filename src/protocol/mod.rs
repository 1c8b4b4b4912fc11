//! Wire protocols: decode a request body into the JSON-protocol form of the operation's input,
//! encode an output or an error in the protocol the request came in.

pub mod error;
pub mod form;
pub mod json;
pub mod query;
pub mod xml;
pub mod xml_json;

use bytes::Bytes;

/// An encoded response, ready for the listener to send.
#[derive(Debug)]
pub struct Encoded {
    pub status: u16,
    pub content_type: &'static str,
    /// Extra headers besides content type and request id (e.g. `x-amzn-query-error`).
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

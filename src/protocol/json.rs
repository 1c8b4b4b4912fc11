//! awsJson 1.0 / 1.1: the body is the input object; the output object is the response body.

use super::Encoded;
use crate::error::ApiError;
use bytes::Bytes;
use serde_json::Value;

pub const CONTENT_TYPE_10: &str = "application/x-amz-json-1.0";
pub const CONTENT_TYPE_11: &str = "application/x-amz-json-1.1";

/// Parses a request body. An empty body is an empty input, as AWS treats it.
pub fn decode(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(serialization_error(
            "Start of structure or map expected".into(),
        )),
        Err(e) if e.is_data() || e.is_syntax() || e.is_eof() || e.is_io() => {
            Err(serialization_error(format!("Malformed JSON: {e}")))
        }
        Err(e) => Err(serialization_error(e.to_string())),
    }
}

/// What a coral (awsJson) service answers for a body it cannot read.
fn serialization_error(message: String) -> ApiError {
    ApiError::sender("SerializationException", message)
}

pub fn encode(output: super::Output, content_type: &'static str) -> Encoded {
    let body = output.into_json();
    Encoded {
        status: 200,
        content_type,
        headers: Vec::new(),
        body: Bytes::from(body),
    }
}

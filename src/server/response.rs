//! The HTTP response type of the gateway and the admin endpoints.

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use serde_json::Value;

pub type HttpResponse = Response<Full<Bytes>>;

/// A JSON response for the admin endpoints.
pub fn json_response(status: StatusCode, value: &Value) -> HttpResponse {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(value.to_string())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

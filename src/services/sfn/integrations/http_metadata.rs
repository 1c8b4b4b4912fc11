//! The `SdkHttpMetadata` / `SdkResponseMetadata` members that optimized integrations add to
//! a service's answer: AWS's Java SDK v1 hands them over with the response, and workflows
//! read `$.SdkHttpMetadata.HttpStatusCode`.

use serde_json::{json, Value};

/// Adds the metadata of a 200 response with `content_type`, sent at `now` (the shared
/// clock's), to `out` (an object).
pub fn add(out: &mut Value, content_type: &str, now: std::time::SystemTime) {
    let request_id = uuid::Uuid::new_v4().to_string();
    let length = out.to_string().len().to_string();
    let date = httpdate::fmt_http_date(now);
    if let Value::Object(o) = out {
        o.insert(
            "SdkHttpMetadata".into(),
            json!({
                "AllHttpHeaders": {
                    "x-amzn-RequestId": [request_id],
                    "connection": ["keep-alive"],
                    "Content-Length": [length],
                    "Date": [date],
                    "Content-Type": [content_type],
                },
                "HttpHeaders": {
                    "connection": "keep-alive",
                    "Content-Length": length,
                    "Content-Type": content_type,
                    "Date": date,
                    "x-amzn-RequestId": request_id,
                },
                "HttpStatusCode": 200,
            }),
        );
        o.insert(
            "SdkResponseMetadata".into(),
            json!({"RequestId": request_id}),
        );
    }
}

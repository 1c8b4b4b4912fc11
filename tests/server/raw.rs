//! Raw HTTP helpers: JSON-protocol and query-protocol requests as an SDK would put them on the
//! wire, and a small reader for the XML answers.

use crate::common::sigv4_header;
use std::time::Duration;
use stepyard::RunningServer;

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        // A hang is a failure, not a stuck suite.
        .timeout(Duration::from_secs(15))
        .build()
        .expect("reqwest client")
}

/// What came back: status, headers and body text (lossy UTF-8).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// The first `<tag>` value in the XML body.
    pub fn xml(&self, tag: &str) -> Option<String> {
        xml_values(&self.body, tag).into_iter().next()
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("response body");
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// POSTs `body` as the SQS JSON protocol's `AmazonSQS.<operation>` (signed for us-east-1).
pub async fn sqs_json(
    server: &RunningServer,
    operation: &str,
    body: impl Into<reqwest::Body>,
) -> Answer {
    json_with_target(server, &format!("AmazonSQS.{operation}"), body).await
}

pub async fn json_with_target(
    server: &RunningServer,
    target: &str,
    body: impl Into<reqwest::Body>,
) -> Answer {
    let response = http()
        .post(server.endpoint())
        .header("Content-Type", "application/x-amz-json-1.0")
        .header("X-Amz-Target", target)
        .header("Authorization", sigv4_header("us-east-1", "sqs"))
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {target}: {e}"));
    answer(response).await
}

/// POSTs a query-protocol form to `url` (signed for SQS in us-east-1).
pub async fn form_to(url: &str, pairs: &[(&str, &str)]) -> Answer {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    raw_form_to(url, body.into_bytes()).await
}

pub async fn raw_form_to(url: &str, body: Vec<u8>) -> Answer {
    let response = http()
        .post(url)
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .header("Authorization", sigv4_header("us-east-1", "sqs"))
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST form to {url}: {e}"));
    answer(response).await
}

/// POSTs a query-protocol form to the server's root.
pub async fn form(server: &RunningServer, pairs: &[(&str, &str)]) -> Answer {
    form_to(&server.endpoint(), pairs).await
}

pub async fn get(url: &str) -> Answer {
    answer(
        http()
            .get(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}")),
    )
    .await
}

pub async fn post_empty(url: &str) -> Answer {
    answer(
        http()
            .post(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}")),
    )
    .await
}

/// Every `<tag>...</tag>` value (without nested-tag awareness beyond the first close), with
/// the five XML entities decoded. Good enough for the flat values SQS answers carry.
pub fn xml_values(body: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(unescape(&after[..end]));
        rest = &after[end + close.len()..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#13;", "\r")
        .replace("&#xD;", "\r")
        .replace("&amp;", "&")
}

/// The `<Attribute><Name>..</Name><Value>..</Value></Attribute>` pairs of an XML answer.
pub fn xml_attributes(body: &str) -> Vec<(String, String)> {
    xml_values(body, "Attribute")
        .into_iter()
        .filter_map(|a| {
            let name = xml_values(&a, "Name").into_iter().next()?;
            let value = xml_values(&a, "Value").into_iter().next()?;
            Some((name, value))
        })
        .collect()
}

/// POSTs a JSON body (for the admin endpoints).
pub async fn post_json(url: &str, body: &serde_json::Value) -> Answer {
    answer(
        http()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}")),
    )
    .await
}

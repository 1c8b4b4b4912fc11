//! Lambda tasks. stepyard runs no code: a Lambda task calls the Invoke API of the endpoint the
//! user configured (`--lambda-endpoint`, e.g. `sam local start-lambda`), and answers as Step
//! Functions does: `lambda:invoke` with `{ExecutedVersion, Payload, SdkHttpMetadata,
//! SdkResponseMetadata, StatusCode}`, a plain function ARN with the payload alone. A function
//! error (`X-Amz-Function-Error`) fails the task with the function's `errorType`.

use super::http_metadata;
use crate::asl::interp::integrations::no_lambda_endpoint;
use crate::asl::interp::Failure;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use std::time::Duration;

/// Long enough for a cold `sam local` container; a task's TimeoutSeconds cuts it shorter.
const TIMEOUT: Duration = Duration::from_secs(900);

pub struct Invocation {
    pub status: u16,
    pub executed_version: String,
    pub payload: Value,
    pub function_error: Option<String>,
}

/// The function name the Invoke API path takes: a name, or the name out of an ARN, with the
/// ARN's qualifier split off.
fn name_and_qualifier(function: &str) -> (String, Option<String>) {
    if function.starts_with("arn:") {
        let parts: Vec<&str> = function.split(':').collect();
        let name = parts.get(6).copied().unwrap_or(function).to_string();
        return (name, parts.get(7).map(|q| q.to_string()));
    }
    match function.split_once(':') {
        Some((name, qualifier)) => (name.to_string(), Some(qualifier.to_string())),
        None => (function.to_string(), None),
    }
}

pub async fn invoke(
    endpoint: Option<&str>,
    function: &str,
    qualifier: Option<&str>,
    payload: &Value,
) -> Result<Invocation, Failure> {
    let endpoint = endpoint.ok_or_else(|| no_lambda_endpoint(function))?;
    let (name, arn_qualifier) = name_and_qualifier(function);
    let mut url = format!(
        "{}/2015-03-31/functions/{}/invocations",
        endpoint.trim_end_matches('/'),
        form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    );
    if let Some(q) = qualifier.map(str::to_string).or(arn_qualifier) {
        url.push_str("?Qualifier=");
        url.extend(form_urlencoded::byte_serialize(q.as_bytes()));
    }
    let body = match payload {
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let request = http::Request::post(url.as_str())
        .header("content-type", "application/json")
        .header("x-amz-invocation-type", "RequestResponse")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| lambda_client_error(&format!("Invalid request to {url}: {e}")))?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let response = crate::clock::real_timeout(TIMEOUT, client.request(request))
        .await
        .ok_or_else(|| lambda_client_error(&format!("Timeout calling {url}")))?
        .map_err(|e| lambda_client_error(&format!("Unable to execute HTTP request: {e}")))?;
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let function_error = header("x-amz-function-error");
    let executed_version = header("x-amz-executed-version").unwrap_or_else(|| "$LATEST".into());
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| lambda_client_error(&format!("Reading the response: {e}")))?
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let payload = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text.clone()))
    };
    if !(200..300).contains(&status) {
        let message = payload["message"]
            .as_str()
            .or_else(|| payload["Message"].as_str())
            .unwrap_or(&text)
            .to_string();
        let code = payload["__type"]
            .as_str()
            .or_else(|| payload["Type"].as_str())
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
            .unwrap_or_else(|| "AWSLambdaException".into());
        return Err(Failure {
            error: Some(format!("Lambda.{code}")),
            cause: Some(format!(
                "{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code}; Request ID: {}; Proxy: null)",
                uuid::Uuid::new_v4()
            )),
            from_child: false,
        });
    }
    Ok(Invocation {
        status,
        executed_version,
        payload,
        function_error,
    })
}

fn lambda_client_error(cause: &str) -> Failure {
    Failure {
        error: Some("Lambda.SdkClientException".into()),
        cause: Some(cause.to_string()),
        from_child: false,
    }
}

/// A function error as Step Functions reports it: the payload's `errorType` (or
/// `Lambda.Unknown`), with the whole error payload as the cause.
pub fn function_failure(invocation: &Invocation) -> Failure {
    let error = invocation.payload["errorType"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| "Lambda.Unknown".into());
    Failure {
        error: Some(error),
        cause: Some(match &invocation.payload {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        from_child: false,
    }
}

/// `lambda:invoke`'s result shape.
pub fn invoke_result(invocation: &Invocation, now: std::time::SystemTime) -> Value {
    let mut out = json!({
        "ExecutedVersion": invocation.executed_version,
        "Payload": invocation.payload,
        "StatusCode": invocation.status,
    });
    http_metadata::add(&mut out, "application/json", now);
    out
}

//! CreateApiDestination, DescribeApiDestination, UpdateApiDestination, DeleteApiDestination,
//! ListApiDestinations, and the call an API-destination target makes: the event (or its
//! transformed input) as the body, to the endpoint with the connection's auth header and
//! parameters plus the target's HttpParameters. Plain `http://` endpoints only: stepyard has
//! no TLS client, so an `https://` endpoint fails the delivery (and goes to the DLQ).

use super::connections;
use super::errors::EventsError;
use super::pagination::page;
use super::store::ApiDestination;
use super::targets::Target;
use super::{empty, seconds, Answer, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// InvocationRateLimitPerSecond when the client gives none; AWS returns it too.
const DEFAULT_RATE_LIMIT: u64 = 300;

/// How long EventBridge waits for an API destination to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateInput {
    name: String,
    description: Option<String>,
    connection_arn: String,
    invocation_endpoint: String,
    http_method: String,
    invocation_rate_limit_per_second: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateInput {
    name: String,
    description: Option<String>,
    connection_arn: Option<String>,
    invocation_endpoint: Option<String>,
    http_method: Option<String>,
    invocation_rate_limit_per_second: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameInput {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
    name_prefix: Option<String>,
    connection_arn: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

fn check_connection(region: &super::store::Region, arn: &str) -> Result<(), EventsError> {
    if region.connections().values().any(|c| c.arn == arn) {
        return Ok(());
    }
    let name = arn
        .split_once(":connection/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or(arn);
    Err(EventsError::not_found("Connection", name))
}

/// CreateApiDestination's and UpdateApiDestination's output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StateOutput {
    api_destination_arn: String,
    api_destination_state: &'static str,
    creation_time: f64,
    last_modified_time: f64,
}

fn state_output(d: &ApiDestination) -> StateOutput {
    StateOutput {
        api_destination_arn: d.arn.clone(),
        api_destination_state: "ACTIVE",
        creation_time: seconds(d.creation_ms),
        last_modified_time: seconds(d.modified_ms),
    }
}

/// DescribeApiDestination's output and a destination of ListApiDestinations'.
#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Described {
    api_destination_arn: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    api_destination_state: &'static str,
    connection_arn: String,
    invocation_endpoint: String,
    http_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    invocation_rate_limit_per_second: Option<u64>,
    creation_time: f64,
    last_modified_time: f64,
}

fn describe_destination(d: &ApiDestination) -> Described {
    Described {
        api_destination_arn: d.arn.clone(),
        name: d.name.clone(),
        description: d.description.clone(),
        api_destination_state: "ACTIVE",
        connection_arn: d.connection_arn.clone(),
        invocation_endpoint: d.endpoint.clone(),
        http_method: d.http_method.clone(),
        invocation_rate_limit_per_second: d.rate_limit,
        creation_time: seconds(d.creation_ms),
        last_modified_time: seconds(d.modified_ms),
    }
}

pub fn create(
    ev: &Inner,
    ctx: &RequestContext,
    input: CreateInput,
) -> Result<StateOutput, EventsError> {
    let now = ev.now();
    let arn = super::arn::resource_arn(
        ctx,
        "api-destination",
        &format!("{}/{}", input.name, uuid::Uuid::new_v4()),
    );
    ev.region(ctx, |region| {
        if region.api_destinations().contains(&input.name) {
            return Err(EventsError::exists("An api-destination", &input.name));
        }
        check_connection(region, &input.connection_arn)?;
        let destination = ApiDestination {
            name: input.name.clone(),
            arn,
            description: input.description,
            connection_arn: input.connection_arn,
            endpoint: input.invocation_endpoint,
            http_method: input.http_method,
            rate_limit: Some(
                input
                    .invocation_rate_limit_per_second
                    .unwrap_or(DEFAULT_RATE_LIMIT),
            ),
            creation_ms: now,
            modified_ms: now,
        };
        let out = state_output(&destination);
        region.api_destinations_mut().put(destination);
        Ok(out)
    })
}

pub fn describe(
    ev: &Inner,
    ctx: &RequestContext,
    input: NameInput,
) -> Result<Described, EventsError> {
    ev.region(ctx, |region| {
        let d = region.api_destinations().get(&input.name).ok_or_else(|| {
            EventsError::describe_not_found("api-destination", "An api-destination", &input.name)
        })?;
        Ok(describe_destination(d))
    })
}

pub fn update(
    ev: &Inner,
    ctx: &RequestContext,
    input: UpdateInput,
) -> Result<StateOutput, EventsError> {
    let now = ev.now();
    ev.region(ctx, |region| {
        if let Some(arn) = &input.connection_arn {
            check_connection(region, arn)?;
        }
        let d = region
            .api_destinations_mut()
            .get_mut(&input.name)
            .ok_or_else(|| EventsError::not_found_quoted("An api-destination", &input.name))?;
        if input.description.is_some() {
            d.description = input.description;
        }
        if let Some(arn) = input.connection_arn {
            d.connection_arn = arn;
        }
        if let Some(endpoint) = input.invocation_endpoint {
            d.endpoint = endpoint;
        }
        if let Some(method) = input.http_method {
            d.http_method = method;
        }
        if input.invocation_rate_limit_per_second.is_some() {
            d.rate_limit = input.invocation_rate_limit_per_second;
        }
        d.modified_ms = now;
        Ok(state_output(d))
    })
}

pub fn delete(ev: &Inner, ctx: &RequestContext, input: NameInput) -> Result<Empty, EventsError> {
    ev.region(ctx, |region| {
        region
            .api_destinations_mut()
            .remove(&input.name)
            .ok_or_else(|| EventsError::not_found_quoted("An api-destination", &input.name))?;
        Ok(empty())
    })
}

pub fn list(ev: &Inner, ctx: &RequestContext, input: ListInput) -> Answer<Listed<Described>> {
    let prefix = input.name_prefix.unwrap_or_default();
    ev.region(ctx, |region| {
        let all: Vec<Described> = region
            .api_destinations()
            .named(&prefix)
            .filter(|d| {
                input
                    .connection_arn
                    .as_ref()
                    .is_none_or(|c| *c == d.connection_arn)
            })
            .map(describe_destination)
            .collect();
        let (items, next) = page(
            &all,
            input.limit,
            input.next_token.as_deref(),
            "api-destinations",
        )?;
        Ok(Listed::new("ApiDestinations", items, next))
    })
}

/// What one HTTP call needs, copied out of the store.
struct Call {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
}

/// Delivers `body` to the API destination `resource` (`api-destination/<name>/<id>`) of
/// (account, region). Errors are (message, retryable): 429 and 5xx are retried, as AWS does.
pub async fn invoke(
    ev: &Inner,
    account: &str,
    region: &str,
    resource: &str,
    target: &Target,
    body: &str,
) -> Result<(), (String, bool)> {
    let call = ev
        .store
        .with(account, region, ev.now(), |r| {
            build_call(r, resource, target)
        })
        .map_err(|m| (m, false))?;
    let mut request = http::Request::builder()
        .method(call.method.as_str())
        .uri(call.url.as_str());
    for (name, value) in &call.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .header("content-type", "application/json; charset=utf-8")
        .header("user-agent", "Amazon/EventBridge/ApiDestinations")
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| (format!("Invalid request to {}: {e}", call.url), false))?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let response = crate::clock::real_timeout(TIMEOUT, client.request(request))
        .await
        .ok_or_else(|| (format!("Timeout calling {}", call.url), true))?
        .map_err(|e| (format!("Error calling {}: {e}", call.url), true))?;
    let status = response.status();
    // Read the body so the connection can be reused; its content does not matter.
    let _ = response.into_body().collect().await;
    if status.is_success() {
        Ok(())
    } else {
        let retryable = status.as_u16() == 429 || status.is_server_error();
        Err((format!("Endpoint answered {status}"), retryable))
    }
}

fn build_call(
    region: &super::store::Region,
    resource: &str,
    target: &Target,
) -> Result<Call, String> {
    let arn_suffix = format!(":{resource}");
    let destination = region
        .api_destinations()
        .values()
        .find(|d| d.arn.ends_with(&arn_suffix))
        .ok_or_else(|| format!("API destination {resource} does not exist."))?;
    let connection = region
        .connections()
        .values()
        .find(|c| c.arn == destination.connection_arn)
        .ok_or_else(|| format!("Connection {} does not exist.", destination.connection_arn))?;
    if !destination.endpoint.starts_with("http://") {
        return Err(format!(
            "stepyard cannot call {}: only http:// endpoints are supported (no TLS client)",
            destination.endpoint
        ));
    }
    let (mut headers, mut query) = connections::request_parameters(connection);
    let http = target.http.clone().unwrap_or(Value::Null);
    // Each `*` in the endpoint takes the next PathParameterValues entry.
    let mut url = String::new();
    let mut path_values = http["PathParameterValues"].as_array().into_iter().flatten();
    for c in destination.endpoint.chars() {
        match c {
            '*' => url.push_str(path_values.next().and_then(Value::as_str).unwrap_or("*")),
            other => url.push(other),
        }
    }
    if let Some(map) = http["HeaderParameters"].as_object() {
        for (k, v) in map {
            headers.push((k.clone(), v.as_str().unwrap_or_default().to_string()));
        }
    }
    if let Some(map) = http["QueryStringParameters"].as_object() {
        for (k, v) in map {
            query.push((k.clone(), v.as_str().unwrap_or_default().to_string()));
        }
    }
    if !query.is_empty() {
        let encoded: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&encoded);
    }
    Ok(Call {
        method: destination.http_method.clone(),
        url,
        headers,
    })
}

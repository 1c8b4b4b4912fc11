//! CreateEndpoint, DescribeEndpoint, UpdateEndpoint, DeleteEndpoint, ListEndpoints: global
//! endpoints are stored and described as AWS describes them. They do not route: with one
//! server there is no second region to fail over to, and PutEvents ignores `EndpointId`.

use super::errors::EventsError;
use super::pagination::page;
use super::store::named;
use super::{compact, empty, timestamp, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateInput {
    name: String,
    description: Option<String>,
    routing_config: Value,
    replication_config: Option<Value>,
    event_buses: Vec<Value>,
    role_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateInput {
    name: String,
    description: Option<String>,
    routing_config: Option<Value>,
    replication_config: Option<Value>,
    event_buses: Option<Vec<Value>>,
    role_arn: Option<String>,
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
    next_token: Option<String>,
    max_results: Option<i64>,
}

/// The members Create/Update answer with.
const SUMMARY: [&str; 7] = [
    "Name",
    "Arn",
    "RoutingConfig",
    "ReplicationConfig",
    "EventBuses",
    "RoleArn",
    "State",
];

fn pick(endpoint: &Value, members: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    for m in members {
        if let Some(v) = endpoint.get(*m) {
            out.insert(m.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

pub fn create(ev: &Inner, ctx: &RequestContext, input: CreateInput) -> Result<Value, EventsError> {
    if input.event_buses.len() != 2 {
        return Err(EventsError::validation(
            "Parameter EventBuses is not valid. Reason: Exactly two event buses are required.",
        ));
    }
    let now = ev.now();
    let id = format!(
        "{}.{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10],
        &uuid::Uuid::new_v4().simple().to_string()[..4]
    );
    let endpoint = compact(json!({
        "Name": input.name,
        "Description": input.description,
        "Arn": super::arn::resource_arn(ctx, "endpoint", &input.name),
        "RoutingConfig": input.routing_config,
        "ReplicationConfig": input.replication_config.unwrap_or(json!({"State": "ENABLED"})),
        "EventBuses": input.event_buses,
        "RoleArn": input.role_arn,
        "EndpointId": id,
        "EndpointUrl": format!("https://{id}.endpoint.events.amazonaws.com"),
        "State": "ACTIVE",
        "CreationTime": timestamp(now),
        "LastModifiedTime": timestamp(now),
    }));
    ev.region(ctx, |region| {
        if region.endpoints.contains_key(&input.name) {
            return Err(EventsError::exists("Endpoint", &input.name));
        }
        let out = pick(&endpoint, &SUMMARY);
        region.endpoints.insert(input.name, endpoint);
        Ok(out)
    })
}

pub fn describe(ev: &Inner, ctx: &RequestContext, input: NameInput) -> Result<Value, EventsError> {
    ev.region(ctx, |region| {
        region
            .endpoints
            .get(&input.name)
            .cloned()
            .ok_or_else(|| EventsError::not_found("Endpoint", &input.name))
    })
}

pub fn update(ev: &Inner, ctx: &RequestContext, input: UpdateInput) -> Result<Value, EventsError> {
    let now = ev.now();
    ev.region(ctx, |region| {
        let endpoint = region
            .endpoints
            .get_mut(&input.name)
            .ok_or_else(|| EventsError::not_found("Endpoint", &input.name))?;
        let changes = [
            ("Description", input.description.map(Value::from)),
            ("RoutingConfig", input.routing_config),
            ("ReplicationConfig", input.replication_config),
            ("EventBuses", input.event_buses.map(Value::from)),
            ("RoleArn", input.role_arn.map(Value::from)),
        ];
        for (member, value) in changes {
            if let Some(value) = value {
                endpoint[member] = value;
            }
        }
        endpoint["LastModifiedTime"] = timestamp(now);
        let mut out = pick(endpoint, &SUMMARY);
        out["EndpointId"] = endpoint["EndpointId"].clone();
        out["EndpointUrl"] = endpoint["EndpointUrl"].clone();
        Ok(out)
    })
}

pub fn delete(ev: &Inner, ctx: &RequestContext, input: NameInput) -> Result<Empty, EventsError> {
    ev.region(ctx, |region| match region.endpoints.remove(&input.name) {
        Some(_) => Ok(empty()),
        None => Err(EventsError::not_found("Endpoint", &input.name)),
    })
}

pub fn list(ev: &Inner, ctx: &RequestContext, input: ListInput) -> Result<Value, EventsError> {
    let prefix = input.name_prefix.as_deref().unwrap_or_default();
    ev.region(ctx, |region| {
        let all: Vec<Value> = named(&region.endpoints, prefix).cloned().collect();
        let (items, next) = page(
            &all,
            input.max_results,
            input.next_token.as_deref(),
            "endpoints",
        )?;
        Ok(compact(json!({"Endpoints": items, "NextToken": next})))
    })
}

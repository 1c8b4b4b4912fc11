//! CreateEndpoint, DescribeEndpoint, UpdateEndpoint, DeleteEndpoint, ListEndpoints: global
//! endpoints are stored and described as AWS describes them. They do not route: with one
//! server there is no second region to fail over to, and PutEvents ignores `EndpointId`.

use super::errors::EventsError;
use super::pagination::page;
use super::{empty, seconds, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};

/// A global endpoint as DescribeEndpoint shows it, in AWS's member order; stored so, in the
/// state document and the data directory too.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    arn: String,
    routing_config: RoutingConfig,
    replication_config: ReplicationConfig,
    event_buses: Vec<EndpointBus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    endpoint_id: String,
    endpoint_url: String,
    state: String,
    creation_time: f64,
    last_modified_time: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RoutingConfig {
    failover_config: FailoverConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FailoverConfig {
    primary: Primary,
    secondary: Secondary,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Primary {
    health_check: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Secondary {
    route: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReplicationConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct EndpointBus {
    event_bus_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateInput {
    name: String,
    description: Option<String>,
    routing_config: RoutingConfig,
    replication_config: Option<ReplicationConfig>,
    event_buses: Vec<EndpointBus>,
    role_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateInput {
    name: String,
    description: Option<String>,
    routing_config: Option<RoutingConfig>,
    replication_config: Option<ReplicationConfig>,
    event_buses: Option<Vec<EndpointBus>>,
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

/// What CreateEndpoint and UpdateEndpoint answer (Update adds the id and the URL).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Summary {
    name: String,
    arn: String,
    routing_config: RoutingConfig,
    replication_config: ReplicationConfig,
    event_buses: Vec<EndpointBus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_url: Option<String>,
}

impl crate::services::named::HasName for Endpoint {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Endpoint {
    fn summary(&self) -> Summary {
        Summary {
            name: self.name.clone(),
            arn: self.arn.clone(),
            routing_config: self.routing_config.clone(),
            replication_config: self.replication_config.clone(),
            event_buses: self.event_buses.clone(),
            role_arn: self.role_arn.clone(),
            state: self.state.clone(),
            endpoint_id: None,
            endpoint_url: None,
        }
    }
}

pub fn create(
    ev: &Inner,
    ctx: &RequestContext,
    input: CreateInput,
) -> Result<Summary, EventsError> {
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
    let endpoint = Endpoint {
        arn: super::arn::resource_arn(ctx, "endpoint", &input.name),
        name: input.name,
        description: input.description,
        routing_config: input.routing_config,
        replication_config: input.replication_config.unwrap_or(ReplicationConfig {
            state: Some("ENABLED".into()),
        }),
        event_buses: input.event_buses,
        role_arn: input.role_arn,
        endpoint_url: format!("https://{id}.endpoint.events.amazonaws.com"),
        endpoint_id: id,
        state: "ACTIVE".into(),
        creation_time: seconds(now),
        last_modified_time: seconds(now),
    };
    ev.region(ctx, |region| {
        if region.endpoints().contains(&endpoint.name) {
            return Err(EventsError::exists("Endpoint", &endpoint.name));
        }
        let out = endpoint.summary();
        region.endpoints_mut().put(endpoint);
        Ok(out)
    })
}

pub fn describe(
    ev: &Inner,
    ctx: &RequestContext,
    input: NameInput,
) -> Result<Endpoint, EventsError> {
    ev.region(ctx, |region| {
        region
            .endpoints()
            .get(&input.name)
            .cloned()
            .ok_or_else(|| EventsError::not_found("Endpoint", &input.name))
    })
}

pub fn update(
    ev: &Inner,
    ctx: &RequestContext,
    input: UpdateInput,
) -> Result<Summary, EventsError> {
    let now = ev.now();
    ev.region(ctx, |region| {
        let endpoint = region
            .endpoints_mut()
            .get_mut(&input.name)
            .ok_or_else(|| EventsError::not_found("Endpoint", &input.name))?;
        if let Some(description) = input.description {
            endpoint.description = Some(description);
        }
        if let Some(routing) = input.routing_config {
            endpoint.routing_config = routing;
        }
        if let Some(replication) = input.replication_config {
            endpoint.replication_config = replication;
        }
        if let Some(buses) = input.event_buses {
            endpoint.event_buses = buses;
        }
        if let Some(role_arn) = input.role_arn {
            endpoint.role_arn = Some(role_arn);
        }
        endpoint.last_modified_time = seconds(now);
        Ok(Summary {
            endpoint_id: Some(endpoint.endpoint_id.clone()),
            endpoint_url: Some(endpoint.endpoint_url.clone()),
            ..endpoint.summary()
        })
    })
}

pub fn delete(ev: &Inner, ctx: &RequestContext, input: NameInput) -> Result<Empty, EventsError> {
    ev.region(ctx, |region| {
        match region.endpoints_mut().remove(&input.name) {
            Some(_) => Ok(empty()),
            None => Err(EventsError::not_found("Endpoint", &input.name)),
        }
    })
}

pub fn list(
    ev: &Inner,
    ctx: &RequestContext,
    input: ListInput,
) -> Result<Listed<Endpoint>, EventsError> {
    let prefix = input.name_prefix.as_deref().unwrap_or_default();
    ev.region(ctx, |region| {
        let all: Vec<Endpoint> = region.endpoints().named(prefix).cloned().collect();
        let (items, next) = page(
            &all,
            input.max_results,
            input.next_token.as_deref(),
            "endpoints",
        )?;
        Ok(Listed::new("Endpoints", items, next))
    })
}

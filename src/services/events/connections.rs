//! CreateConnection, DescribeConnection, UpdateConnection, DeauthorizeConnection,
//! DeleteConnection, ListConnections. A connection holds the credentials API destinations
//! send; AWS keeps the secrets in Secrets Manager and never returns them, and neither do we.
//! OAuth connections are stored, but no token is fetched from the authorization endpoint.

use super::errors::EventsError;
use super::pagination::page;
use super::store::Connection;
use super::{compact, seconds, Answer, Inner};
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateInput {
    name: String,
    description: Option<String>,
    authorization_type: String,
    auth_parameters: Value,
    invocation_connectivity_parameters: Option<Value>,
    kms_key_identifier: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateInput {
    name: String,
    description: Option<String>,
    authorization_type: Option<String>,
    auth_parameters: Option<Value>,
    invocation_connectivity_parameters: Option<Value>,
    kms_key_identifier: Option<String>,
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
    connection_state: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

/// The member of AuthParameters each AuthorizationType needs.
fn auth_member(kind: &str) -> &'static str {
    match kind {
        "BASIC" => "BasicAuthParameters",
        "API_KEY" => "ApiKeyAuthParameters",
        _ => "OAuthParameters",
    }
}

/// The state a connection is in once its credentials are set. An OAuth connection first
/// fetches a token from its authorization endpoint, so AWS answers AUTHORIZING; stepyard
/// fetches none, and the state stays as AWS first reports it.
fn authorized_state(kind: &str) -> &'static str {
    if kind == "OAUTH_CLIENT_CREDENTIALS" {
        "AUTHORIZING"
    } else {
        "AUTHORIZED"
    }
}

fn check_auth(kind: &str, auth: &Value) -> Result<(), EventsError> {
    let member = auth_member(kind);
    if auth.get(member).is_none() {
        return Err(EventsError::validation(format!(
            "The request failed because the authorization parameters are missing {member} for authorization type {kind}."
        )));
    }
    Ok(())
}

/// The OAuth token request's method in capitals: the model check lets any case through, as
/// EventBridge does, and the connection reports the canonical spelling.
fn canonical_http_method(auth: &mut Value) {
    if let Some(Value::String(method)) = auth.pointer_mut("/OAuthParameters/HttpMethod") {
        method.make_ascii_uppercase();
    }
}

/// What Describe shows of the auth parameters: everything but the secrets.
fn public_auth(auth: &Value) -> Value {
    let mut out = Map::new();
    if let Some(basic) = auth.get("BasicAuthParameters") {
        out.insert(
            "BasicAuthParameters".into(),
            json!({"Username": basic["Username"]}),
        );
    }
    if let Some(key) = auth.get("ApiKeyAuthParameters") {
        out.insert(
            "ApiKeyAuthParameters".into(),
            json!({"ApiKeyName": key["ApiKeyName"]}),
        );
    }
    if let Some(oauth) = auth.get("OAuthParameters") {
        out.insert(
            "OAuthParameters".into(),
            compact(json!({
                "ClientParameters": {"ClientID": oauth["ClientParameters"]["ClientID"]},
                "AuthorizationEndpoint": oauth["AuthorizationEndpoint"],
                "HttpMethod": oauth["HttpMethod"],
                "OAuthHttpParameters": oauth.get("OAuthHttpParameters").map(hide_secret_values),
            })),
        );
    }
    if let Some(http) = auth.get("InvocationHttpParameters") {
        out.insert("InvocationHttpParameters".into(), hide_secret_values(http));
    }
    Value::Object(out)
}

/// Header, query and body parameters marked `IsValueSecret` lose their values.
fn hide_secret_values(http: &Value) -> Value {
    let mut http = http.clone();
    if let Value::Object(map) = &mut http {
        for list in map.values_mut() {
            if let Value::Array(items) = list {
                for item in items {
                    if item["IsValueSecret"] == json!(true) {
                        if let Value::Object(entry) = item {
                            entry.remove("Value");
                        }
                    }
                }
            }
        }
    }
    http
}

/// What the calls that change a connection answer: its ARN, state and times (CreateConnection
/// leaves out the last authorization).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StateOutput {
    connection_arn: String,
    connection_state: String,
    creation_time: f64,
    last_modified_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_authorized_time: Option<f64>,
}

fn state_output(c: &Connection, state: &str) -> StateOutput {
    StateOutput {
        connection_arn: c.arn.clone(),
        connection_state: state.to_string(),
        creation_time: seconds(c.creation_ms),
        last_modified_time: seconds(c.modified_ms),
        last_authorized_time: Some(seconds(c.last_authorized_ms)),
    }
}

/// DescribeConnection's output: everything but the secrets.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ConnectionOutput {
    connection_arn: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    connection_state: String,
    authorization_type: String,
    secret_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_key_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invocation_connectivity_parameters: Option<Value>,
    auth_parameters: Value,
    creation_time: f64,
    last_modified_time: f64,
    last_authorized_time: f64,
}

/// A connection of ListConnections.
#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ConnectionItem {
    connection_arn: String,
    name: String,
    connection_state: String,
    authorization_type: String,
    creation_time: f64,
    last_modified_time: f64,
    last_authorized_time: f64,
}

pub fn create(
    ev: &Inner,
    ctx: &RequestContext,
    input: CreateInput,
) -> Result<StateOutput, EventsError> {
    check_auth(&input.authorization_type, &input.auth_parameters)?;
    let mut input = input;
    canonical_http_method(&mut input.auth_parameters);
    let now = ev.now();
    let id = uuid::Uuid::new_v4().to_string();
    let arn = super::arn::resource_arn(ctx, "connection", &format!("{}/{id}", input.name));
    let suffix: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(6)
        .collect();
    let secret_arn = crate::arn::build(
        "secretsmanager",
        &ctx.region,
        &ctx.account_id,
        &format!("secret:events!connection/{}/{id}-{suffix}", input.name),
    );
    ev.region(ctx, |region| {
        if region.connections().contains(&input.name) {
            return Err(EventsError::exists("Connection", &input.name));
        }
        let state = authorized_state(&input.authorization_type);
        let connection = Connection {
            name: input.name.clone(),
            arn,
            description: input.description,
            authorization_type: input.authorization_type,
            auth_parameters: input.auth_parameters,
            state: state.into(),
            creation_ms: now,
            modified_ms: now,
            last_authorized_ms: now,
            secret_arn,
            kms_key: input.kms_key_identifier,
            connectivity: input.invocation_connectivity_parameters,
        };
        let out = StateOutput {
            connection_arn: connection.arn.clone(),
            connection_state: connection.state.clone(),
            creation_time: seconds(now),
            last_modified_time: seconds(now),
            last_authorized_time: None,
        };
        region.connections_mut().put(connection);
        Ok(out)
    })
}

pub fn describe(
    ev: &Inner,
    ctx: &RequestContext,
    input: NameInput,
) -> Result<ConnectionOutput, EventsError> {
    ev.region(ctx, |region| {
        let c = region.connections().get(&input.name).ok_or_else(|| {
            EventsError::describe_not_found("connection", "Connection", &input.name)
        })?;
        Ok(ConnectionOutput {
            connection_arn: c.arn.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            connection_state: c.state.clone(),
            authorization_type: c.authorization_type.clone(),
            secret_arn: c.secret_arn.clone(),
            kms_key_identifier: c.kms_key.clone(),
            invocation_connectivity_parameters: c.connectivity.clone(),
            auth_parameters: public_auth(&c.auth_parameters),
            creation_time: seconds(c.creation_ms),
            last_modified_time: seconds(c.modified_ms),
            last_authorized_time: seconds(c.last_authorized_ms),
        })
    })
}

/// Merges `patch` into `base` member by member (UpdateConnection changes only what it names).
fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(base.entry(key).or_insert(Value::Null), value);
            }
        }
        (base, patch) => *base = patch,
    }
}

pub fn update(
    ev: &Inner,
    ctx: &RequestContext,
    input: UpdateInput,
) -> Result<StateOutput, EventsError> {
    let now = ev.now();
    ev.region(ctx, |region| {
        let c = region
            .connections_mut()
            .get_mut(&input.name)
            .ok_or_else(|| EventsError::not_found_quoted("Connection", &input.name))?;
        let mut auth = c.auth_parameters.clone();
        if let Some(patch) = input.auth_parameters {
            merge(&mut auth, patch);
        }
        let kind = input
            .authorization_type
            .unwrap_or_else(|| c.authorization_type.clone());
        check_auth(&kind, &auth)?;
        canonical_http_method(&mut auth);
        c.authorization_type = kind;
        c.auth_parameters = auth;
        if input.description.is_some() {
            c.description = input.description;
        }
        if input.kms_key_identifier.is_some() {
            c.kms_key = input.kms_key_identifier;
        }
        if input.invocation_connectivity_parameters.is_some() {
            c.connectivity = input.invocation_connectivity_parameters;
        }
        c.modified_ms = now;
        c.last_authorized_ms = now;
        let state = authorized_state(&c.authorization_type);
        c.state = state.into();
        Ok(state_output(c, state))
    })
}

/// The connection stops authorizing requests until it is updated with new credentials.
pub fn deauthorize(
    ev: &Inner,
    ctx: &RequestContext,
    input: NameInput,
) -> Result<StateOutput, EventsError> {
    let now = ev.now();
    ev.region(ctx, |region| {
        let c = region
            .connections_mut()
            .get_mut(&input.name)
            .ok_or_else(|| EventsError::not_found_quoted("Connection", &input.name))?;
        c.state = "DEAUTHORIZED".into();
        c.modified_ms = now;
        Ok(state_output(c, "DEAUTHORIZING"))
    })
}

pub fn delete(
    ev: &Inner,
    ctx: &RequestContext,
    input: NameInput,
) -> Result<StateOutput, EventsError> {
    ev.region(ctx, |region| {
        let c = region
            .connections_mut()
            .remove(&input.name)
            .ok_or_else(|| EventsError::not_found_quoted("Connection", &input.name))?;
        Ok(state_output(&c, "DELETING"))
    })
}

pub fn list(ev: &Inner, ctx: &RequestContext, input: ListInput) -> Answer<Listed<ConnectionItem>> {
    let prefix = input.name_prefix.unwrap_or_default();
    ev.region(ctx, |region| {
        let all: Vec<ConnectionItem> = region
            .connections()
            .named(&prefix)
            .filter(|c| {
                input
                    .connection_state
                    .as_ref()
                    .is_none_or(|s| *s == c.state)
            })
            .map(|c| ConnectionItem {
                connection_arn: c.arn.clone(),
                name: c.name.clone(),
                connection_state: c.state.clone(),
                authorization_type: c.authorization_type.clone(),
                creation_time: seconds(c.creation_ms),
                last_modified_time: seconds(c.modified_ms),
                last_authorized_time: seconds(c.last_authorized_ms),
            })
            .collect();
        let (items, next) = page(
            &all,
            input.limit,
            input.next_token.as_deref(),
            "connections",
        )?;
        Ok(Listed::new("Connections", items, next))
    })
}

/// A header or query parameter: (name, value).
pub type Param = (String, String);

/// The headers, query parameters and body parameters an API destination call carries for
/// this connection, secrets included: (headers, query).
pub fn request_parameters(c: &Connection) -> (Vec<Param>, Vec<Param>) {
    let auth = &c.auth_parameters;
    let mut headers = Vec::new();
    let mut query = Vec::new();
    if c.state == "AUTHORIZED" {
        if let Some(basic) = auth.get("BasicAuthParameters") {
            use base64::Engine;
            let pair = format!(
                "{}:{}",
                basic["Username"].as_str().unwrap_or_default(),
                basic["Password"].as_str().unwrap_or_default()
            );
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            headers.push(("Authorization".into(), format!("Basic {encoded}")));
        }
        if let Some(key) = auth.get("ApiKeyAuthParameters") {
            headers.push((
                key["ApiKeyName"].as_str().unwrap_or_default().to_string(),
                key["ApiKeyValue"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    let pairs = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| {
                Some((
                    p["Key"].as_str()?.to_string(),
                    p["Value"].as_str()?.to_string(),
                ))
            })
            .collect()
    };
    if let Some(http) = auth.get("InvocationHttpParameters") {
        headers.extend(pairs(&http["HeaderParameters"]));
        query.extend(pairs(&http["QueryStringParameters"]));
    }
    (headers, query)
}

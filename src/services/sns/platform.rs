//! Mobile push: platform applications (APNS, GCM/FCM, ADM, Baidu, MPNS, WNS) and their
//! endpoints, and Publish to an endpoint ARN. Stored the way AWS stores them (credentials are
//! accepted but never returned); pushes are recorded, not sent.

use super::delivery::recorded::RecordedDelivery;
use super::errors::SnsError;
use super::outputs::{Attributes, EndpointArn, Published};
use super::pagination::{page_of, NextTokenInput};
use super::{empty, Inner};
use crate::model::ViolationKind;
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use crate::services::validation::coral_single;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const PLATFORMS: &[&str] = &["ADM", "APNS", "APNS_SANDBOX", "BAIDU", "GCM", "MPNS", "WNS"];
const ENDPOINT_ATTRIBUTES: &[&str] = &["CustomUserData", "Enabled", "Token"];

#[derive(Default)]
pub struct PlatformState {
    /// Application ARN -> application.
    applications: BTreeMap<String, Application>,
}

pub struct Application {
    attributes: BTreeMap<String, String>,
    /// Endpoint ARN -> attributes (Token, Enabled, CustomUserData).
    endpoints: BTreeMap<String, BTreeMap<String, String>>,
}

fn app_not_found() -> SnsError {
    SnsError::NotFound("PlatformApplication does not exist".into())
}

impl PlatformState {
    /// Whether the endpoint exists (these are the caller's account and region's applications).
    /// Subscribe checks it for the `application` protocol.
    pub fn endpoint_exists(&self, endpoint_arn: &str) -> bool {
        application_of(endpoint_arn).is_some_and(|app_arn| {
            self.applications
                .get(&app_arn)
                .is_some_and(|app| app.endpoints.contains_key(endpoint_arn))
        })
    }

    /// The application an ARN names, or AWS's NotFound for it.
    fn application(&self, arn: &str) -> Result<&Application, SnsError> {
        self.applications.get(arn).ok_or_else(app_not_found)
    }

    fn application_mut(&mut self, arn: &str) -> Result<&mut Application, SnsError> {
        self.applications.get_mut(arn).ok_or_else(app_not_found)
    }
}

fn endpoint_not_found() -> SnsError {
    SnsError::NotFound("Endpoint does not exist".into())
}

/// Splits credentials (write-only) from the attributes GetPlatformApplicationAttributes shows.
fn visible(attributes: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    attributes
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "PlatformCredential" | "PlatformPrincipal"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateApplicationInput {
    name: String,
    platform: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

pub fn create_platform_application(
    sns: &Inner,
    ctx: &RequestContext,
    input: CreateApplicationInput,
) -> Result<ApplicationArn, SnsError> {
    let name = &input.name;
    let reason = if name.is_empty() {
        Some("cannot be empty")
    } else if name.len() > 256 {
        Some("must be at most 256 characters long")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        Some("must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'")
    } else {
        None
    };
    if let Some(reason) = reason {
        return Err(SnsError::invalid(format!("{name} Reason: {reason}")));
    }
    if !PLATFORMS.contains(&input.platform.as_str()) {
        return Err(SnsError::invalid(format!(
            "Platform Reason: {} is not supported",
            input.platform
        )));
    }
    if input.attributes.is_empty() {
        return Err(SnsError::ValidationError(coral_single(
            "attributes",
            ViolationKind::Missing,
            None,
        )));
    }
    let has = |k: &str| input.attributes.contains_key(k);
    // A principal is half of a credential pair on every platform; only APNS also needs a
    // principal beside its credential.
    if has("PlatformPrincipal") && !has("PlatformCredential") {
        return Err(SnsError::invalid(
            "Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential",
        ));
    }
    if input.platform.starts_with("APNS") && has("PlatformCredential") && !has("PlatformPrincipal")
    {
        return Err(SnsError::invalid(
            "Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal",
        ));
    }
    let arn = crate::arn::build(
        "sns",
        &ctx.region,
        &ctx.account_id,
        &format!("app/{}/{}", input.platform, input.name),
    );
    let mut attributes = BTreeMap::from([("Enabled".to_string(), "true".to_string())]);
    attributes.extend(input.attributes);
    let mut platform = sns.store.platform(ctx);
    platform
        .applications
        .entry(arn.clone())
        .or_insert_with(|| Application {
            attributes,
            endpoints: BTreeMap::new(),
        });
    Ok(ApplicationArn {
        platform_application_arn: arn,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ApplicationInput {
    platform_application_arn: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    next_token: Option<String>,
}

pub fn get_platform_application_attributes(
    sns: &Inner,
    ctx: &RequestContext,
    input: ApplicationInput,
) -> Result<Attributes<BTreeMap<String, String>>, SnsError> {
    super::arn::check_elements(&input.platform_application_arn, "PlatformApplicationArn")?;
    let platform = sns.store.platform(ctx);
    let app = platform.application(&input.platform_application_arn)?;
    Ok(Attributes {
        attributes: visible(&app.attributes),
    })
}

pub fn set_platform_application_attributes(
    sns: &Inner,
    ctx: &RequestContext,
    input: ApplicationInput,
) -> Result<Empty, SnsError> {
    super::arn::check_elements(&input.platform_application_arn, "PlatformApplicationArn")?;
    let mut platform = sns.store.platform(ctx);
    let app = platform.application_mut(&input.platform_application_arn)?;
    app.attributes.extend(input.attributes);
    Ok(empty())
}

pub fn delete_platform_application(
    sns: &Inner,
    ctx: &RequestContext,
    input: ApplicationInput,
) -> Result<Empty, SnsError> {
    let mut platform = sns.store.platform(ctx);
    platform
        .applications
        .remove(&input.platform_application_arn);
    Ok(empty())
}

pub fn list_platform_applications(
    sns: &Inner,
    ctx: &RequestContext,
    input: NextTokenInput,
) -> Result<Listed<AppSummary>, SnsError> {
    let platform = sns.store.platform(ctx);
    let items = platform
        .applications
        .iter()
        .map(|(arn, app)| {
            (
                arn.clone(),
                AppSummary {
                    platform_application_arn: arn.clone(),
                    attributes: visible(&app.attributes),
                },
            )
        })
        .collect();
    page_of(items, input.next_token.as_deref(), "PlatformApplications")
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateEndpointInput {
    platform_application_arn: String,
    token: String,
    custom_user_data: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

fn check_endpoint_attributes(attributes: &BTreeMap<String, String>) -> Result<(), SnsError> {
    for (key, value) in attributes {
        if !ENDPOINT_ATTRIBUTES.contains(&key.as_str()) {
            return Err(SnsError::invalid(format!(
                "Attributes Reason: Invalid attribute name: {key}"
            )));
        }
        if key == "Enabled" && value != "true" && value != "false" {
            return Err(SnsError::invalid(
                "Attributes Reason: Invalid value for attribute: Enabled",
            ));
        }
        if key == "CustomUserData" && value.len() > 2048 {
            return Err(SnsError::invalid(
                "Attributes Reason: Invalid value for attribute: CustomUserData: must be at most 2048 bytes long in UTF-8 encoding",
            ));
        }
    }
    Ok(())
}

pub fn create_platform_endpoint(
    sns: &Inner,
    ctx: &RequestContext,
    input: CreateEndpointInput,
) -> Result<EndpointArn, SnsError> {
    check_endpoint_attributes(&input.attributes)?;
    let mut attributes = BTreeMap::from([
        ("Enabled".to_string(), "true".to_string()),
        ("Token".to_string(), input.token.clone()),
    ]);
    if let Some(data) = input.custom_user_data {
        attributes.insert("CustomUserData".into(), data);
    }
    attributes.extend(input.attributes);
    let mut platform = sns.store.platform(ctx);
    let app = platform.application_mut(&input.platform_application_arn)?;
    // The same token gives the same endpoint, unless its attributes differ.
    if let Some((arn, existing)) = app
        .endpoints
        .iter()
        .find(|(_, a)| a.get("Token") == Some(&input.token))
    {
        if *existing != attributes {
            return Err(SnsError::invalid(format!(
                "Token Reason: Endpoint {arn} already exists with the same Token, but different attributes."
            )));
        }
        return Ok(EndpointArn {
            endpoint_arn: arn.into(),
        });
    }
    let arn = format!(
        "{}/{}",
        input
            .platform_application_arn
            .replacen(":app/", ":endpoint/", 1),
        uuid::Uuid::new_v4()
    );
    app.endpoints.insert(arn.clone(), attributes);
    Ok(EndpointArn { endpoint_arn: arn })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct EndpointInput {
    endpoint_arn: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

/// The application an endpoint ARN belongs to (`...:endpoint/P/name/id` -> `...:app/P/name`).
fn application_of(endpoint_arn: &str) -> Option<String> {
    let (app, _id) = endpoint_arn.rsplit_once('/')?;
    Some(app.replacen(":endpoint/", ":app/", 1))
}

fn with_endpoint<T>(
    sns: &Inner,
    ctx: &RequestContext,
    endpoint_arn: &str,
    f: impl FnOnce(&mut BTreeMap<String, BTreeMap<String, String>>) -> Result<T, SnsError>,
) -> Result<T, SnsError> {
    let app_arn = application_of(endpoint_arn).ok_or_else(endpoint_not_found)?;
    let mut platform = sns.store.platform(ctx);
    let app = platform
        .applications
        .get_mut(&app_arn)
        .ok_or_else(endpoint_not_found)?;
    f(&mut app.endpoints)
}

pub fn get_endpoint_attributes(
    sns: &Inner,
    ctx: &RequestContext,
    input: EndpointInput,
) -> Result<Attributes<BTreeMap<String, String>>, SnsError> {
    with_endpoint(sns, ctx, &input.endpoint_arn, |endpoints| {
        let attributes = endpoints
            .get(&input.endpoint_arn)
            .ok_or_else(endpoint_not_found)?;
        Ok(Attributes {
            attributes: attributes.clone(),
        })
    })
}

pub fn set_endpoint_attributes(
    sns: &Inner,
    ctx: &RequestContext,
    input: EndpointInput,
) -> Result<Empty, SnsError> {
    check_endpoint_attributes(&input.attributes)?;
    with_endpoint(sns, ctx, &input.endpoint_arn, |endpoints| {
        let attributes = endpoints
            .get_mut(&input.endpoint_arn)
            .ok_or_else(endpoint_not_found)?;
        attributes.extend(input.attributes);
        Ok(empty())
    })
}

/// Deleting an endpoint that does not exist succeeds, as on AWS.
pub fn delete_endpoint(
    sns: &Inner,
    ctx: &RequestContext,
    input: EndpointInput,
) -> Result<Empty, SnsError> {
    let _ = with_endpoint(sns, ctx, &input.endpoint_arn, |endpoints| {
        endpoints.remove(&input.endpoint_arn);
        Ok(())
    });
    Ok(empty())
}

pub fn list_endpoints_by_platform_application(
    sns: &Inner,
    ctx: &RequestContext,
    input: ApplicationInput,
) -> Result<Listed<Endpoint>, SnsError> {
    super::arn::check_elements(&input.platform_application_arn, "PlatformApplicationArn")?;
    let platform = sns.store.platform(ctx);
    let app = platform.application(&input.platform_application_arn)?;
    let items = app
        .endpoints
        .iter()
        .map(|(arn, a)| {
            (
                arn.clone(),
                Endpoint {
                    endpoint_arn: arn.clone(),
                    attributes: a.clone(),
                },
            )
        })
        .collect();
    page_of(items, input.next_token.as_deref(), "Endpoints")
}

/// Whether the endpoint exists and has `Enabled=false`. Publish asks before it looks at the
/// message, since AWS refuses a disabled endpoint before checking the MessageStructure.
pub fn endpoint_is_disabled(sns: &Inner, ctx: &RequestContext, endpoint_arn: &str) -> bool {
    with_endpoint(sns, ctx, endpoint_arn, |endpoints| {
        Ok(endpoints
            .get(endpoint_arn)
            .is_some_and(|a| a.get("Enabled").is_some_and(|e| e != "true")))
    })
    .unwrap_or(false)
}

pub fn publish_to_endpoint(
    sns: &Inner,
    ctx: &RequestContext,
    endpoint_arn: &str,
    message: &str,
) -> Result<Published, SnsError> {
    let no_endpoint =
        || SnsError::invalid("TargetArn Reason: No endpoint found for the target arn specified");
    let enabled = with_endpoint(sns, ctx, endpoint_arn, |endpoints| {
        endpoints
            .get(endpoint_arn)
            .map(|a| a.get("Enabled").is_some_and(|e| e == "true"))
            .ok_or_else(endpoint_not_found)
    })
    .map_err(|_| no_endpoint())?;
    if !enabled {
        return Err(SnsError::EndpointDisabled);
    }
    let message_id = uuid::Uuid::new_v4().to_string();
    sns.deliverer.recorded.push(RecordedDelivery {
        kind: "Notification".into(),
        protocol: "application".into(),
        endpoint: endpoint_arn.to_string(),
        subscription_arn: String::new(),
        topic_arn: String::new(),
        message_id: Some(message_id.clone()),
        subject: None,
        body: message.to_string(),
        token: None,
        timestamp_ms: sns.clock.now_millis(),
        attempts: None,
        delivered: true,
    });
    Ok(Published::direct(message_id))
}

/// CreatePlatformApplication's output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ApplicationArn {
    platform_application_arn: String,
}

/// An application of ListPlatformApplications.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AppSummary {
    platform_application_arn: String,
    attributes: BTreeMap<String, String>,
}

/// An endpoint of ListEndpointsByPlatformApplication.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Endpoint {
    endpoint_arn: String,
    attributes: BTreeMap<String, String>,
}

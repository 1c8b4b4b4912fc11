//! Subscription attributes: the names Subscribe and SetSubscriptionAttributes accept, their
//! values (with AWS's messages, which start differently for the two APIs), and what
//! GetSubscriptionAttributes reports.

use super::arn;
use super::errors::SnsError;
use super::filter::{CompiledFilter, Scope};
use super::subscription::Subscription;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

const NAMES: &[&str] = &[
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "ReplayPolicy",
    "SubscriptionRoleArn",
];

/// Which API is asking: the messages differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Subscribe,
    SetSubscriptionAttributes,
}

impl Api {
    fn prefix(self) -> &'static str {
        match self {
            Api::Subscribe => "Invalid parameter: Attributes Reason: ",
            Api::SetSubscriptionAttributes => "Invalid parameter: ",
        }
    }
}

fn error(api: Api, detail: impl std::fmt::Display) -> SnsError {
    SnsError::InvalidParameterRaw(format!("{}{detail}", api.prefix()))
}

/// Checks one attribute of a subscription to `topic_arn` with `protocol`/`endpoint`; returns
/// the value to store.
pub fn validate(
    api: Api,
    name: &str,
    value: &str,
    topic_arn: &str,
    protocol: &str,
    endpoint: &str,
) -> Result<String, SnsError> {
    if !NAMES.contains(&name) {
        return Err(error(api, "AttributeName"));
    }
    match name {
        "FilterPolicy" => {
            if !value.is_empty() && serde_json::from_str::<Value>(value).is_err() {
                return Err(error(api, "FilterPolicy: failed to parse JSON."));
            }
            Ok(value.to_string())
        }
        "FilterPolicyScope" => match value {
            "MessageAttributes" | "MessageBody" => Ok(value.to_string()),
            _ => Err(error(
                api,
                format!("FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"),
            )),
        },
        "RawMessageDelivery" => {
            let lower = value.to_ascii_lowercase();
            if lower != "true" && lower != "false" {
                return Err(error(
                    api,
                    format!("RawMessageDelivery: Invalid value [{value}]. Must be true or false."),
                ));
            }
            if lower == "true" && !matches!(protocol, "sqs" | "http" | "https" | "firehose") {
                return Err(error(
                    api,
                    format!("Delivery protocol [{protocol}] does not support raw message delivery."),
                ));
            }
            Ok(lower)
        }
        "RedrivePolicy" => {
            if value.is_empty() {
                return Ok(String::new());
            }
            let parsed: Value = serde_json::from_str(value)
                .map_err(|_| error(api, "RedrivePolicy: failed to parse JSON."))?;
            let target = parsed
                .get("deadLetterTargetArn")
                .and_then(Value::as_str)
                .unwrap_or("");
            let Some(target_arn) = arn::parse(target) else {
                return Err(error(api, "RedrivePolicy: deadLetterTargetArn is an invalid arn"));
            };
            if topic_arn.ends_with(".fifo")
                && endpoint.ends_with(".fifo")
                && (target_arn.service != "sqs" || !target_arn.resource.ends_with(".fifo"))
            {
                return Err(error(
                    api,
                    "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.",
                ));
            }
            Ok(value.to_string())
        }
        "DeliveryPolicy" | "ReplayPolicy" => {
            if !value.is_empty() && serde_json::from_str::<Value>(value).is_err() {
                return Err(error(api, format!("{name}: failed to parse JSON.")));
            }
            Ok(value.to_string())
        }
        _ => Ok(value.to_string()),
    }
}

/// Whether a Subscribe asking for `requested` agrees with what the subscription has: the
/// defaults count as set (RawMessageDelivery false, FilterPolicyScope MessageAttributes), an
/// empty value as unset, and JSON documents compare as JSON (stored values are validated, and
/// RawMessageDelivery is stored lower-cased, so booleans compare case-insensitively).
pub fn equivalent(name: &str, current: Option<&String>, requested: &str) -> bool {
    let default = match name {
        "RawMessageDelivery" => "false",
        "FilterPolicyScope" => "MessageAttributes",
        _ => "",
    };
    let current = current.map_or(default, |c| if c.is_empty() { default } else { c });
    let requested = if requested.is_empty() {
        default
    } else {
        requested
    };
    if current == requested {
        return true;
    }
    match (
        serde_json::from_str::<Value>(current),
        serde_json::from_str::<Value>(requested),
    ) {
        (Ok(a), Ok(b)) => a == b && a.is_object(),
        _ => false,
    }
}

/// Compiles the filter the attributes describe (None without a FilterPolicy).
pub fn compile_filter(
    api: Api,
    attributes: &BTreeMap<String, String>,
) -> Result<Option<Arc<CompiledFilter>>, SnsError> {
    let Some(policy) = attributes.get("FilterPolicy").filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let scope = Scope::parse(attributes.get("FilterPolicyScope").map(String::as_str));
    CompiledFilter::compile(policy, scope, api == Api::Subscribe).map(|f| Some(Arc::new(f)))
}

/// GetSubscriptionAttributes' map.
pub fn all(s: &Subscription) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("SubscriptionArn".into(), s.arn.clone());
    out.insert("TopicArn".into(), s.topic_arn.clone());
    out.insert("Owner".into(), s.owner.clone());
    out.insert("Protocol".into(), s.protocol.clone());
    out.insert("Endpoint".into(), s.endpoint.clone());
    out.insert(
        "ConfirmationWasAuthenticated".into(),
        s.confirmation_authenticated.to_string(),
    );
    out.insert("PendingConfirmation".into(), s.pending.to_string());
    out.insert("RawMessageDelivery".into(), s.raw().to_string());
    out.insert(
        "SubscriptionPrincipal".into(),
        crate::arn::account_root(region_of(&s.arn), &s.owner),
    );
    for (k, v) in &s.attributes {
        if !v.is_empty() {
            out.insert(k.clone(), v.clone());
        }
    }
    if out.contains_key("FilterPolicy") {
        out.entry("FilterPolicyScope".into())
            .or_insert_with(|| "MessageAttributes".into());
    } else {
        out.remove("FilterPolicyScope");
    }
    if matches!(s.protocol.as_str(), "http" | "https") {
        let effective = s
            .attributes
            .get("DeliveryPolicy")
            .filter(|p| !p.is_empty())
            .cloned()
            .unwrap_or_else(|| super::topic_attributes::default_delivery_policy().to_string());
        out.insert("EffectiveDeliveryPolicy".into(), effective);
    }
    out
}

fn region_of(arn: &str) -> &str {
    arn::parse(arn).map_or("", |a| a.region)
}

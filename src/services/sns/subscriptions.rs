//! Subscribe, Unsubscribe, ConfirmSubscription, ListSubscriptions, ListSubscriptionsByTopic,
//! GetSubscriptionAttributes, SetSubscriptionAttributes.
//!
//! SQS, Lambda, Firehose, SMS and application subscriptions are confirmed at once (same
//! account); HTTP/S and email ones wait for ConfirmSubscription with the token sent to the
//! endpoint (HTTP/S: a SubscriptionConfirmation POST; email: a recorded message).

use super::arn;
use super::errors::SnsError;
use super::outputs::{Attributes, SubscriptionArn};
use super::pagination;
use super::subscription::Subscription;
use super::subscription_attributes::{self, Api};
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

const PROTOCOLS: &[&str] = &[
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SubscribeInput {
    topic_arn: String,
    protocol: String,
    endpoint: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    return_subscription_arn: bool,
}

/// Endpoint checks per protocol, with AWS's messages.
fn check_endpoint(protocol: &str, endpoint: &str, topic_fifo: bool) -> Result<(), SnsError> {
    let arn_of = |service: &str| arn::parse(endpoint).filter(|a| a.service == service);
    match protocol {
        "http" | "https" if !endpoint.starts_with(&format!("{protocol}://")) => Err(
            SnsError::invalid("Endpoint must match the specified protocol"),
        ),
        "sqs" if arn::sqs_queue(endpoint).is_none() => Err(SnsError::invalid("SQS endpoint ARN")),
        "sqs" if endpoint.ends_with(".fifo") && !topic_fifo => Err(SnsError::invalid(
            "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
        )),
        "lambda" if arn_of("lambda").is_none() => Err(SnsError::invalid("Lambda endpoint ARN")),
        "firehose" if arn_of("firehose").is_none() => {
            Err(SnsError::invalid("Firehose endpoint ARN"))
        }
        "application" if arn_of("sns").is_none() => {
            Err(SnsError::invalid("ApplicationEndpoint ARN"))
        }
        "email" | "email-json" if !endpoint.contains('@') => {
            Err(SnsError::invalid("Email address"))
        }
        "sms" if !super::sms::is_e164(endpoint) => Err(SnsError::InvalidParameterRaw(format!(
            "Invalid SMS endpoint: {endpoint}"
        ))),
        _ => Ok(()),
    }
}

fn needs_confirmation(protocol: &str) -> bool {
    matches!(protocol, "http" | "https" | "email" | "email-json")
}

/// A confirmation token: 128 hex digits, like AWS's long opaque tokens.
fn new_token() -> String {
    format!(
        "{}{}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

pub fn subscribe(
    sns: &Inner,
    ctx: &RequestContext,
    input: SubscribeInput,
) -> Result<SubscriptionArn, SnsError> {
    arn::check_topic_arn(ctx, &input.topic_arn, "TopicArn")?;
    let protocol = input.protocol.to_ascii_lowercase();
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return Err(SnsError::invalid(format!(
            "Amazon SNS does not support this protocol string: {}",
            input.protocol
        )));
    }
    let endpoint = input
        .endpoint
        .filter(|e| !e.is_empty())
        .ok_or_else(|| SnsError::invalid("Endpoint"))?;

    let mut state = sns.store.state.write();
    sns.topic(&state, ctx, &input.topic_arn)?;
    if protocol == "application"
        && arn::parse(&endpoint).is_some_and(|a| a.service == "sns")
        && !state
            .account(&ctx.account_id, &ctx.region)
            .platform
            .endpoint_exists(&endpoint)
    {
        return Err(SnsError::invalid(format!(
            "Endpoint Reason: Endpoint does not exist for endpoint arn{endpoint}"
        )));
    }
    let topic = sns.topic_mut(&mut state, ctx, &input.topic_arn)?;
    check_endpoint(&protocol, &endpoint, topic.fifo)?;
    let mut attributes = BTreeMap::new();
    for (name, value) in &input.attributes {
        let stored = subscription_attributes::validate(
            Api::Subscribe,
            name,
            value,
            &topic.arn,
            &protocol,
            &endpoint,
        )?;
        attributes.insert(name.clone(), stored);
    }
    let filter = subscription_attributes::compile_filter(Api::Subscribe, &attributes)?;

    // Subscribing the same endpoint again is idempotent, unless the attributes differ.
    if let Some(existing) = topic
        .subscriptions()
        .find(|s| s.protocol == protocol && s.endpoint == endpoint)
    {
        let differs = attributes
            .iter()
            .any(|(k, v)| !subscription_attributes::equivalent(k, existing.attributes.get(k), v));
        if differs {
            return Err(SnsError::invalid(
                "Attributes Reason: Subscription already exists with different attributes",
            ));
        }
        let shown = if existing.pending && !input.return_subscription_arn {
            "pending confirmation".to_string()
        } else {
            existing.arn.clone()
        };
        return Ok(SubscriptionArn {
            subscription_arn: shown,
        });
    }

    let pending = needs_confirmation(&protocol);
    let subscription = Arc::new(Subscription {
        arn: format!("{}:{}", topic.arn, uuid::Uuid::new_v4()),
        topic_arn: topic.arn.clone(),
        owner: ctx.account_id.clone(),
        protocol,
        endpoint,
        attributes,
        pending,
        confirmation_authenticated: !pending,
        token: new_token(),
        filter,
    });
    state.put_subscription(subscription.clone());
    drop(state);

    if pending {
        sns.deliverer.send_subscription_confirmation(
            &subscription,
            &ctx.host,
            sns.clock.now_millis(),
        );
    }
    let shown = if pending && !input.return_subscription_arn {
        "pending confirmation".to_string()
    } else {
        subscription.arn.clone()
    };
    Ok(SubscriptionArn {
        subscription_arn: shown,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SubscriptionArnInput {
    subscription_arn: String,
}

/// Checks the form of a subscription ARN the way Unsubscribe reports it.
fn check_subscription_arn(arn: &str) -> Result<(), SnsError> {
    let parts = arn.split(':').count();
    arn::check_elements(arn, "SubscriptionArn")?;
    if arn::parse(arn).is_none() {
        return Err(SnsError::invalid(format!(
            "SubscriptionArn Reason: An ARN must have at least 6 elements, not {parts}"
        )));
    }
    if arn::topic_of_subscription(arn).is_none() || parts == 6 {
        return Err(SnsError::invalid("SubscriptionId"));
    }
    Ok(())
}

/// Unsubscribing is idempotent: an unknown subscription is not an error.
pub fn unsubscribe(
    sns: &Inner,
    ctx: &RequestContext,
    input: SubscriptionArnInput,
) -> Result<Empty, SnsError> {
    check_subscription_arn(&input.subscription_arn)?;
    let removed = sns
        .store
        .state
        .write()
        .remove_subscription(&input.subscription_arn);
    let Some(removed) = removed else {
        return Ok(empty());
    };
    if matches!(removed.protocol.as_str(), "http" | "https") {
        sns.deliverer
            .send_unsubscribe_confirmation(&removed, &ctx.host, sns.clock.now_millis());
    }
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ConfirmSubscriptionInput {
    topic_arn: String,
    token: String,
    authenticate_on_unsubscribe: Option<String>,
}

pub fn confirm_subscription(
    sns: &Inner,
    _ctx: &RequestContext,
    input: ConfirmSubscriptionInput,
) -> Result<SubscriptionArn, SnsError> {
    // Confirmation links are opened by anyone (unsigned), so the topic ARN, not the caller's
    // credentials, says where the topic is.
    if arn::parse(&input.topic_arn).is_none_or(|a| a.service != "sns") {
        return Err(SnsError::invalid("Topic"));
    }
    let mut state = sns.store.state.write();
    let Some(subscription_arn) = state
        .subscription_by_token(&input.token)
        .map(|s| s.arn.clone())
    else {
        return Err(SnsError::invalid("Token"));
    };
    let topic = state
        .topic(&input.topic_arn)
        .ok_or_else(SnsError::topic_not_found)?;
    let Some(current) = topic.subscription(&subscription_arn) else {
        return Err(SnsError::invalid("Token"));
    };
    if current.pending {
        let mut confirmed = Subscription::clone(current);
        confirmed.pending = false;
        confirmed.confirmation_authenticated = input
            .authenticate_on_unsubscribe
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        state.put_subscription(Arc::new(confirmed));
    }
    Ok(SubscriptionArn { subscription_arn })
}

/// A subscription of ListSubscriptions and ListSubscriptionsByTopic.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Summary {
    subscription_arn: String,
    owner: String,
    protocol: String,
    endpoint: String,
    topic_arn: String,
}

fn summary(s: &Subscription) -> Summary {
    Summary {
        subscription_arn: if s.pending {
            "PendingConfirmation".to_string()
        } else {
            s.arn.clone()
        },
        owner: s.owner.clone(),
        protocol: s.protocol.clone(),
        endpoint: s.endpoint.clone(),
        topic_arn: s.topic_arn.clone(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListSubscriptionsInput {
    topic_arn: Option<String>,
    next_token: Option<String>,
}

fn listed(items: Vec<(String, Summary)>, token: Option<&str>) -> Result<Listed<Summary>, SnsError> {
    pagination::page_of(items, token, "Subscriptions")
}

pub fn list_subscriptions(
    sns: &Inner,
    ctx: &RequestContext,
    input: ListSubscriptionsInput,
) -> Result<Listed<Summary>, SnsError> {
    let prefix = arn::region_prefix(ctx);
    let state = sns.store.state.read();
    let items = state
        .topics_with_prefix(&prefix)
        .flat_map(|t| t.subscriptions())
        .map(|s| (s.arn.clone(), summary(s)))
        .collect();
    listed(items, input.next_token.as_deref())
}

pub fn list_subscriptions_by_topic(
    sns: &Inner,
    ctx: &RequestContext,
    input: ListSubscriptionsInput,
) -> Result<Listed<Summary>, SnsError> {
    let topic_arn = input.topic_arn.unwrap_or_default();
    let state = sns.store.state.read();
    let topic = sns.topic(&state, ctx, &topic_arn)?;
    let items = topic
        .subscriptions()
        .map(|s| (s.arn.clone(), summary(s)))
        .collect();
    listed(items, input.next_token.as_deref())
}

pub fn get_subscription_attributes(
    sns: &Inner,
    _ctx: &RequestContext,
    input: SubscriptionArnInput,
) -> Result<Attributes<BTreeMap<String, String>>, SnsError> {
    arn::check_elements(&input.subscription_arn, "SubscriptionArn")?;
    let state = sns.store.state.read();
    let subscription = state
        .subscription(&input.subscription_arn)
        .ok_or_else(SnsError::subscription_not_found)?;
    Ok(Attributes {
        attributes: subscription_attributes::all(subscription),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SetSubscriptionAttributesInput {
    subscription_arn: String,
    attribute_name: String,
    attribute_value: Option<String>,
}

pub fn set_subscription_attributes(
    sns: &Inner,
    _ctx: &RequestContext,
    input: SetSubscriptionAttributesInput,
) -> Result<Empty, SnsError> {
    arn::check_elements(&input.subscription_arn, "SubscriptionArn")?;
    let mut state = sns.store.state.write();
    let current = state
        .subscription(&input.subscription_arn)
        .ok_or_else(SnsError::subscription_not_found)?;
    let value = input.attribute_value.unwrap_or_default();
    let stored = subscription_attributes::validate(
        Api::SetSubscriptionAttributes,
        &input.attribute_name,
        &value,
        &current.topic_arn,
        &current.protocol,
        &current.endpoint,
    )?;
    let mut updated = Subscription::clone(current);
    if stored.is_empty() {
        updated.attributes.remove(&input.attribute_name);
    } else {
        updated
            .attributes
            .insert(input.attribute_name.clone(), stored);
    }
    if matches!(
        input.attribute_name.as_str(),
        "FilterPolicy" | "FilterPolicyScope"
    ) {
        updated.filter = subscription_attributes::compile_filter(
            Api::SetSubscriptionAttributes,
            &updated.attributes,
        )?;
    }
    state.put_subscription(Arc::new(updated));
    Ok(empty())
}

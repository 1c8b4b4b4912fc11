//! AddPermission / RemovePermission: statements added to and removed from the topic's Policy
//! attribute (which starts as the default owner-only policy).

use super::errors::SnsError;
use super::topic_attributes::default_policy;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::policy::allow_statement;
use serde::Deserialize;
use serde_json::{json, Value};

/// The actions a topic policy statement may grant.
const ACTIONS: &[&str] = &[
    "AddPermission",
    "DeleteTopic",
    "GetDataProtectionPolicy",
    "GetTopicAttributes",
    "ListSubscriptionsByTopic",
    "ListTagsForResource",
    "Publish",
    "PutDataProtectionPolicy",
    "RemovePermission",
    "SetTopicAttributes",
    "Subscribe",
];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AddPermissionInput {
    topic_arn: String,
    label: String,
    #[serde(rename = "AWSAccountId", default)]
    aws_account_id: Vec<String>,
    #[serde(default)]
    action_name: Vec<String>,
}

fn policy_of(topic: &super::store::Topic) -> Value {
    topic
        .attribute("Policy")
        .filter(|p| !p.is_empty())
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_else(|| {
            serde_json::from_str(&default_policy(&topic.arn, &topic.owner))
                .unwrap_or_else(|_| json!({"Statement": []}))
        })
}

/// One value, or a list when there are several (how IAM writes principals and actions).
pub fn add_permission(
    sns: &Inner,
    ctx: &RequestContext,
    input: AddPermissionInput,
) -> Result<Empty, SnsError> {
    if input.aws_account_id.is_empty() {
        return Err(SnsError::invalid("AWSAccountId"));
    }
    if input.action_name.is_empty() {
        return Err(SnsError::invalid("ActionName"));
    }
    if input
        .action_name
        .iter()
        .any(|a| !ACTIONS.contains(&a.as_str()))
    {
        return Err(SnsError::invalid(
            "Policy statement action out of service scope!",
        ));
    }
    let mut state = sns.store.state.write();
    let topic = sns.topic_mut(&mut state, ctx, &input.topic_arn)?;
    let mut policy = policy_of(topic);
    let statements = policy
        .get_mut("Statement")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| SnsError::invalid("Policy"))?;
    if statements
        .iter()
        .any(|s| s.get("Sid").and_then(Value::as_str) == Some(input.label.as_str()))
    {
        return Err(SnsError::invalid("Statement already exists"));
    }
    statements.push(allow_statement(
        &input.label,
        &ctx.region,
        &input.aws_account_id,
        "SNS",
        &input.action_name,
        &topic.arn,
    ));
    topic.set_attribute("Policy".into(), policy.to_string());
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RemovePermissionInput {
    topic_arn: String,
    label: String,
}

pub fn remove_permission(
    sns: &Inner,
    ctx: &RequestContext,
    input: RemovePermissionInput,
) -> Result<Empty, SnsError> {
    let mut state = sns.store.state.write();
    let topic = sns.topic_mut(&mut state, ctx, &input.topic_arn)?;
    let mut policy = policy_of(topic);
    if let Some(statements) = policy.get_mut("Statement").and_then(Value::as_array_mut) {
        statements.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(input.label.as_str()));
    }
    topic.set_attribute("Policy".into(), policy.to_string());
    Ok(empty())
}

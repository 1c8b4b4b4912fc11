//! AddPermission / RemovePermission edit the queue's Policy document the way AWS does: one
//! statement per label (`Sid`), principals `arn:<partition>:iam::<account>:root`, actions `SQS:<name>`
//! (a single principal or action is a string, several are a list). Removing the last statement
//! removes the Policy attribute.

use super::errors::SqsError;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::policy::allow_statement;
use serde::Deserialize;
use serde_json::{json, Value};

/// What AddPermission accepts (the `*Batch` variants are implied by their singular forms).
const ACTIONS: &[&str] = &[
    "*",
    "ChangeMessageVisibility",
    "DeleteMessage",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "SendMessage",
];

/// Actions AWS knows but lets only the queue owner perform, so they cannot be granted.
const OWNER_ONLY_ACTIONS: &[&str] = &[
    "AddPermission",
    "CreateQueue",
    "DeleteQueue",
    "ListQueues",
    "RemovePermission",
    "SetQueueAttributes",
];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AddPermissionInput {
    queue_url: String,
    label: String,
    #[serde(rename = "AWSAccountIds", default)]
    account_ids: Vec<String>,
    #[serde(default)]
    actions: Vec<String>,
}

fn label_error(label: &str, reason: &str) -> SqsError {
    SqsError::invalid_parameter(label, "Label", reason)
}

pub fn add_permission(
    sqs: &Inner,
    ctx: &RequestContext,
    input: AddPermissionInput,
) -> Result<Empty, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    if input.account_ids.is_empty() {
        return Err(SqsError::MissingParameter("AWSAccountIds".into()));
    }
    if input.actions.is_empty() {
        return Err(SqsError::MissingParameter("Actions".into()));
    }
    if let Some(bad) = input
        .actions
        .iter()
        .find(|a| !ACTIONS.contains(&a.as_str()))
    {
        let reason = if OWNER_ONLY_ACTIONS.contains(&bad.as_str()) {
            "Only the queue owner is allowed to invoke this action."
        } else {
            "Please refer to the appropriate WSDL for a list of valid actions. "
        };
        return Err(SqsError::invalid_parameter(
            format!("SQS:{bad}"),
            "ActionName",
            reason,
        ));
    }
    if input.label.is_empty()
        || input.label.len() > 80
        || !input
            .label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(label_error(
            &input.label,
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        ));
    }
    let statement = allow_statement(
        &input.label,
        &queue.location.region,
        &input.account_ids,
        "SQS",
        &input.actions,
        &queue.arn,
    );
    let mut state = queue.state.lock();
    let mut policy = match state
        .attrs()
        .policy
        .as_deref()
        .map(serde_json::from_str::<Value>)
    {
        Some(Ok(Value::Object(doc))) => Value::Object(doc),
        _ => {
            json!({"Version": "2008-10-17", "Id": format!("{}/SQSDefaultPolicy", queue.arn), "Statement": []})
        }
    };
    if !policy["Statement"].is_array() {
        policy["Statement"] = json!([]);
    }
    let statements = policy["Statement"]
        .as_array_mut()
        .ok_or_else(|| SqsError::invalid_value("Invalid policy"))?;
    if statements.iter().any(|s| s["Sid"] == input.label.as_str()) {
        return Err(label_error(&input.label, "Already exists."));
    }
    statements.push(statement);
    state.set_policy(Some(policy.to_string()));
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RemovePermissionInput {
    queue_url: String,
    label: String,
}

pub fn remove_permission(
    sqs: &Inner,
    ctx: &RequestContext,
    input: RemovePermissionInput,
) -> Result<Empty, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let mut state = queue.state.lock();
    let mut policy = match state
        .attrs()
        .policy
        .as_deref()
        .map(serde_json::from_str::<Value>)
    {
        Some(Ok(doc @ Value::Object(_))) => doc,
        _ => return Err(label_error(&input.label, "can't find label.")),
    };
    let Some(statements) = policy.get_mut("Statement").and_then(Value::as_array_mut) else {
        return Err(label_error(&input.label, "can't find label."));
    };
    let before = statements.len();
    statements.retain(|s| s["Sid"] != input.label.as_str());
    if statements.len() == before {
        return Err(label_error(&input.label, "can't find label."));
    }
    state.set_policy((!statements.is_empty()).then(|| policy.to_string()));
    Ok(empty())
}

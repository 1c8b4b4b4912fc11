//! GetDataProtectionPolicy / PutDataProtectionPolicy: the policy is stored on the topic as
//! given (stepyard does not audit or mask messages with it).

use super::errors::SnsError;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use serde::Deserialize;
use serde_json::Value;

/// A data protection policy must be a JSON object.
pub fn validate(policy: &str) -> Result<(), SnsError> {
    match serde_json::from_str::<Value>(policy) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(SnsError::invalid(
            "DataProtectionPolicy Reason: Failed to parse policy",
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PolicyInput {
    resource_arn: String,
    data_protection_policy: Option<String>,
}

pub fn get_data_protection_policy(
    sns: &Inner,
    ctx: &RequestContext,
    input: PolicyInput,
) -> Result<PolicyOutput, SnsError> {
    let state = sns.store.state.read();
    let topic = sns.topic(&state, ctx, &input.resource_arn)?;
    Ok(PolicyOutput {
        data_protection_policy: topic
            .data_protection_policy()
            .unwrap_or_default()
            .to_string(),
    })
}

/// The policy, or an empty string for a topic without one.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PolicyOutput {
    data_protection_policy: String,
}

pub fn put_data_protection_policy(
    sns: &Inner,
    ctx: &RequestContext,
    input: PolicyInput,
) -> Result<Empty, SnsError> {
    let policy = input.data_protection_policy.unwrap_or_default();
    validate(&policy)?;
    let mut state = sns.store.state.write();
    let topic = sns.topic_mut(&mut state, ctx, &input.resource_arn)?;
    topic.set_data_protection_policy(policy);
    Ok(empty())
}

//! SMS: account SMS attributes, opted-out numbers, the SMS sandbox (destination numbers that
//! must be verified with a one-time password), origination numbers, and Publish to a phone
//! number. Nothing is really sent: messages (including the sandbox's one-time passwords) are
//! recorded (see `delivery::recorded`). A new account is in the sandbox and has no
//! origination numbers, as on AWS.

use super::delivery::recorded::RecordedDelivery;
use super::errors::SnsError;
use super::outputs::Published;
use super::pagination::{listed, PAGE_SIZE};
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

const ATTRIBUTES: &[&str] = &[
    "MonthlySpendLimit",
    "DeliveryStatusIAMRole",
    "DeliveryStatusSuccessSamplingRate",
    "DefaultSenderID",
    "DefaultSMSType",
    "UsageReportS3Bucket",
];

#[derive(Default)]
pub struct SmsState {
    pub attributes: BTreeMap<String, String>,
    pub opted_out: BTreeSet<String>,
    /// Sandbox destination number -> (verified, one-time password).
    pub sandbox: BTreeMap<String, (bool, String)>,
}

/// `+` and 2 to 15 digits, the first not 0 (E.164).
pub fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

#[derive(Deserialize)]
pub(super) struct SetSmsAttributesInput {
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

pub fn set_sms_attributes(
    sns: &Inner,
    ctx: &RequestContext,
    input: SetSmsAttributesInput,
) -> Result<Empty, SnsError> {
    for (name, value) in &input.attributes {
        if !ATTRIBUTES.contains(&name.as_str()) {
            return Err(SnsError::InvalidParameterRaw(format!(
                "{name} is not a valid attribute"
            )));
        }
        if name == "DefaultSMSType" && !matches!(value.as_str(), "Promotional" | "Transactional") {
            return Err(SnsError::InvalidParameterRaw(
                "DefaultSMSType is invalid".into(),
            ));
        }
    }
    let mut sms = sns.store.sms(ctx);
    sms.attributes.extend(input.attributes);
    Ok(empty())
}

#[derive(Deserialize)]
pub(super) struct GetSmsAttributesInput {
    #[serde(default)]
    attributes: Vec<String>,
}

pub fn get_sms_attributes(
    sns: &Inner,
    ctx: &RequestContext,
    input: GetSmsAttributesInput,
) -> Result<SmsAttributes<BTreeMap<String, String>>, SnsError> {
    let sms = sns.store.sms(ctx);
    let stored = &sms.attributes;
    let selected: BTreeMap<String, String> = stored
        .iter()
        .filter(|(k, _)| input.attributes.is_empty() || input.attributes.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(SmsAttributes {
        attributes: selected,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PhoneNumberInput {
    phone_number: String,
}

pub fn check_if_phone_number_is_opted_out(
    sns: &Inner,
    ctx: &RequestContext,
    input: PhoneNumberInput,
) -> Result<OptedOut, SnsError> {
    if !is_e164(&input.phone_number) {
        return Err(SnsError::invalid(
            "PhoneNumber Reason: input incorrectly formatted",
        ));
    }
    let sms = sns.store.sms(ctx);
    let opted_out = sms.opted_out.contains(&input.phone_number);
    Ok(OptedOut {
        is_opted_out: opted_out,
    })
}

pub fn opt_in_phone_number(
    sns: &Inner,
    ctx: &RequestContext,
    input: PhoneNumberInput,
) -> Result<Empty, SnsError> {
    if !is_e164(&input.phone_number) {
        return Err(SnsError::invalid(
            "PhoneNumber Reason: input incorrectly formatted",
        ));
    }
    let mut sms = sns.store.sms(ctx);
    sms.opted_out.remove(&input.phone_number);
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LowerNextToken {
    next_token: Option<String>,
}

pub fn list_phone_numbers_opted_out(
    sns: &Inner,
    ctx: &RequestContext,
    input: LowerNextToken,
) -> Result<Listed<String>, SnsError> {
    let sms = sns.store.sms(ctx);
    let numbers = sms
        .opted_out
        .iter()
        .map(|n| (n.clone(), n.clone()))
        .collect();
    listed(
        numbers,
        input.next_token.as_deref(),
        PAGE_SIZE,
        "phoneNumbers",
        "nextToken",
    )
}

pub fn get_sms_sandbox_account_status(
    _sns: &Inner,
    _ctx: &RequestContext,
    _input: Empty,
) -> Result<Sandbox, SnsError> {
    Ok(Sandbox {
        is_in_sandbox: true,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SandboxNumberInput {
    phone_number: String,
    one_time_password: Option<String>,
}

fn sandbox_not_found() -> SnsError {
    SnsError::ResourceNotFound("Phone number does not exist.".into())
}

pub fn create_sms_sandbox_phone_number(
    sns: &Inner,
    ctx: &RequestContext,
    input: SandboxNumberInput,
) -> Result<Empty, SnsError> {
    if !is_e164(&input.phone_number) {
        return Err(SnsError::invalid(
            "PhoneNumber Reason: input incorrectly formatted",
        ));
    }
    let otp = format!("{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000);
    let mut sms = sns.store.sms(ctx);
    sms.sandbox
        .insert(input.phone_number.clone(), (false, otp.clone()));
    drop(sms);
    record_sms(
        sns,
        &input.phone_number,
        format!("Your verification code is {otp}"),
        None,
    );
    Ok(empty())
}

pub fn verify_sms_sandbox_phone_number(
    sns: &Inner,
    ctx: &RequestContext,
    input: SandboxNumberInput,
) -> Result<Empty, SnsError> {
    let mut sms = sns.store.sms(ctx);
    let entry = sms
        .sandbox
        .get_mut(&input.phone_number)
        .ok_or_else(sandbox_not_found)?;
    if input.one_time_password.as_deref() != Some(entry.1.as_str()) {
        return Err(SnsError::Verification {
            message: "Invalid one-time password".into(),
        });
    }
    entry.0 = true;
    Ok(empty())
}

pub fn delete_sms_sandbox_phone_number(
    sns: &Inner,
    ctx: &RequestContext,
    input: SandboxNumberInput,
) -> Result<Empty, SnsError> {
    let mut sms = sns.store.sms(ctx);
    sms.sandbox
        .remove(&input.phone_number)
        .ok_or_else(sandbox_not_found)?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpperNextToken {
    next_token: Option<String>,
    max_results: Option<usize>,
}

pub fn list_sms_sandbox_phone_numbers(
    sns: &Inner,
    ctx: &RequestContext,
    input: UpperNextToken,
) -> Result<Listed<SandboxNumber>, SnsError> {
    let sms = sns.store.sms(ctx);
    let numbers = sms
        .sandbox
        .iter()
        .map(|(number, (verified, _))| {
            let status = if *verified { "Verified" } else { "Pending" };
            (
                number.clone(),
                SandboxNumber {
                    phone_number: number.clone(),
                    status,
                },
            )
        })
        .collect();
    let size = input.max_results.unwrap_or(PAGE_SIZE).clamp(1, PAGE_SIZE);
    listed(
        numbers,
        input.next_token.as_deref(),
        size,
        "PhoneNumbers",
        "NextToken",
    )
}

/// A new account owns no origination numbers.
pub fn list_origination_numbers(
    _sns: &Inner,
    _ctx: &RequestContext,
    input: UpperNextToken,
) -> Result<Listed<Empty>, SnsError> {
    if input.next_token.as_deref().is_some_and(|t| !t.is_empty()) {
        return Err(SnsError::invalid("NextToken"));
    }
    Ok(Listed::<Empty>::new("PhoneNumbers", Vec::new(), None))
}

fn record_sms(sns: &Inner, number: &str, body: String, message_id: Option<String>) {
    sns.deliverer.recorded.push(RecordedDelivery {
        kind: "Notification".into(),
        protocol: "sms".into(),
        endpoint: number.to_string(),
        subscription_arn: String::new(),
        topic_arn: String::new(),
        message_id,
        subject: None,
        body,
        token: None,
        timestamp_ms: sns.clock.now_millis(),
        attempts: None,
        delivered: true,
    });
}

/// Publish with `PhoneNumber`: one SMS, recorded.
pub fn publish_to_phone(
    sns: &Inner,
    ctx: &RequestContext,
    number: &str,
    message: &str,
    per_protocol: Option<BTreeMap<String, String>>,
) -> Result<Published, SnsError> {
    if !is_e164(number) {
        return Err(SnsError::invalid(format!(
            "PhoneNumber Reason: {number} is not valid to publish to"
        )));
    }
    let opted_out = sns
        .store
        .state
        .write()
        .account(&ctx.account_id, &ctx.region)
        .sms
        .opted_out
        .contains(number);
    if opted_out {
        return Err(SnsError::invalid(format!(
            "PhoneNumber Reason: {number} has opted out"
        )));
    }
    let text = per_protocol
        .as_ref()
        .and_then(|m| m.get("sms").or_else(|| m.get("default")))
        .cloned()
        .unwrap_or_else(|| message.to_string());
    let message_id = uuid::Uuid::new_v4().to_string();
    record_sms(sns, number, text, Some(message_id.clone()));
    Ok(Published::direct(message_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_numbers() {
        assert!(is_e164("+15555550100"));
        assert!(!is_e164("15555550100"));
        assert!(!is_e164("+0123"));
        assert!(!is_e164("+1234567890123456"));
    }
}

/// GetSMSAttributes' output (camel case in AWS's model).
#[derive(Serialize)]
pub(super) struct SmsAttributes<A> {
    attributes: A,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OptedOut {
    is_opted_out: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Sandbox {
    is_in_sandbox: bool,
}

/// A number of ListSMSSandboxPhoneNumbers.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SandboxNumber {
    phone_number: String,
    status: &'static str,
}

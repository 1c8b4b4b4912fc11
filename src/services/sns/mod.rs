//! Amazon SNS: all 42 operations over the query protocol, in memory. Topics (standard and
//! FIFO), subscriptions with filter policies, and fan-out to SQS (in process), HTTP/S
//! endpoints (real POSTs with retries), and recorded email/SMS/Lambda/Firehose/mobile
//! deliveries. This file is the operation table; each concern has its file.

mod arn;
mod data_protection;
mod delivery;
mod envelope;
mod errors;
mod filter;
mod message;
mod pagination;
mod permissions;
mod platform;
mod publish;
mod records;
mod signing;
mod sms;
mod store;
mod subscription;
mod subscription_attributes;
mod subscriptions;
mod tags;
mod topic_attributes;
mod topics;

pub use delivery::recorded::RecordedDelivery;
pub use errors::SnsError;
pub use signing::CERTIFICATE_PEM;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::invoke::Invoker;
use crate::model::{Violation, ViolationKind};
use crate::persist::{Durable, Loaded, WholeRecord};
use crate::request::{RequestContext, ServiceId};
use crate::services::handlers::{op, typed, InvalidInput, Operations};
use crate::services::validation::lower_camel_path as lower_camel;
use delivery::Deliverer;
use serde_json::Value;
use std::sync::Arc;
use store::{State, Store, Topic};

/// A checked `sns` section of a state document, ready to replace the current state.
pub struct SnsState(State);

pub struct Sns {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    store: Store,
    deliverer: Arc<Deliverer>,
    /// `--data-dir`: topics and subscriptions as one record (`records.rs`).
    durable: Option<WholeRecord>,
}

impl Sns {
    /// `invoker` is how deliveries reach SQS (bound to the server state after start).
    pub fn new(clock: Clock, invoker: Invoker, durable: Option<Arc<Durable>>) -> Self {
        Sns {
            inner: Arc::new(Inner {
                deliverer: Deliverer::new(invoker, clock.clone(), durable.clone()),
                clock,
                store: Store::default(),
                durable: durable.map(|d| WholeRecord::new(d, "sns/topics")),
            }),
        }
    }

    /// Calls `operation`'s handler with an input already checked against the model. With a
    /// data directory, an operation that may change topics or subscriptions rewrites their
    /// record, and the answer waits for the commit (no lock is held here).
    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ApiError> {
        let result = OPERATIONS.call(&self.inner, ctx, operation, input).await;
        if let Some(record) = &self.inner.durable {
            let reads = ["Get", "List", "Check"]
                .iter()
                .any(|p| operation.starts_with(p))
                || operation.starts_with("Publish");
            if !reads && result.is_ok() {
                self.write_record(record);
            }
            record.durable().wait_committed().await;
        }
        result
    }

    fn write_record(&self, record: &WholeRecord) {
        record.write(|| {
            let topics = records::export(&self.inner.store.state.read());
            serde_json::to_vec(&topics).unwrap_or_default()
        });
    }

    /// The operations this build handles.
    pub fn operations() -> impl Iterator<Item = &'static str> {
        OPERATIONS.names()
    }

    /// Wipes every topic, subscription and SMS/platform setting (`POST /_stepyard/reset`).
    /// Queued deliveries of deleted topics still drain.
    pub fn reset(&self) {
        self.inner.store.clear();
        self.inner.deliverer.recorded.clear();
        self.inner.deliverer.forget_retries();
        if let Some(record) = &self.inner.durable {
            self.write_record(record);
        }
    }

    /// Every topic with its subscriptions, for the state document.
    pub fn export_state(&self) -> Value {
        let topics = records::export(&self.inner.store.state.read());
        serde_json::json!({ "topics": topics })
    }

    /// Checks a state document's `sns` section and builds the state it describes.
    pub fn parse_state(&self, section: &Value) -> Result<SnsState, String> {
        let topics = section
            .get("topics")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        let records: Vec<records::TopicRecord> =
            serde_json::from_value(topics).map_err(|e| format!("sns.topics: {e}"))?;
        let deliverer = self.inner.deliverer.clone();
        records::import(records, || deliverer.topic_queue()).map(SnsState)
    }

    /// Replaces topics and subscriptions (SMS and platform settings are cleared).
    pub fn import_state(&self, state: SnsState) {
        *self.inner.store.state.write() = state.0;
        if let Some(record) = &self.inner.durable {
            self.write_record(record);
        }
    }

    /// Rebuilds topics and subscriptions from the data directory (at start).
    pub fn restore(&self, loaded: &Loaded) -> Result<usize, String> {
        let Some(bytes) = self.inner.durable.as_ref().and_then(|r| r.loaded(loaded)) else {
            return Ok(0);
        };
        let section = serde_json::json!({
            "topics": serde_json::from_slice::<Value>(bytes)
                .map_err(|e| format!("the SNS record does not parse: {e}"))?
        });
        let state = self.parse_state(&section)?;
        let count = state.0.topics.len();
        *self.inner.store.state.write() = state.0;
        self.inner.deliverer.restore_retries(loaded)?;
        Ok(count)
    }

    /// Every (account, region) holding a topic, read from the topics' ARNs.
    pub fn occupied_regions(&self) -> Vec<(String, String)> {
        let state = self.inner.store.state.read();
        let mut found: Vec<(String, String)> = state
            .topics
            .keys()
            .filter_map(|topic| arn::parse(topic))
            .map(|a| (a.account.to_string(), a.region.to_string()))
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// Deliveries stepyard records instead of sending (email, SMS, Lambda, mobile push) and
    /// the outcome of HTTP/S deliveries, oldest first.
    pub fn deliveries(&self) -> Vec<RecordedDelivery> {
        self.inner.deliverer.recorded.snapshot()
    }

    /// SNS's front end reports a failed generic validation as `ValidationError` with the
    /// coral wording ("1 validation error detected: Value null at 'message' ...").
    pub fn validation_error(v: &Violation) -> ApiError {
        // The query protocol cannot send an empty list, so an empty batch arrives as a
        // missing one; AWS answers it as an empty batch.
        if v.path == "PublishBatchRequestEntries" && matches!(v.kind, ViolationKind::Missing) {
            return SnsError::EmptyBatchRequest.into();
        }
        if v.path == "SubscriptionArn" && matches!(v.kind, ViolationKind::Missing) {
            return SnsError::invalid("SubscriptionArn Reason: no value for required parameter")
                .into();
        }
        let mut coral = crate::services::validation::coral_validation_error(v);
        if let Some(path) = attribute_member_path(&v.path) {
            // The generic renderer lower-cases every segment, the attribute's name included,
            // and knows no `.member` after a map key; SNS's front end writes both as shown.
            let generic = format!("'{}'", lower_camel(&v.path));
            coral.message = coral.message.replacen(&generic, &format!("'{path}'"), 1);
        }
        let message = match &v.kind {
            ViolationKind::WrongType { .. } => format!(
                "Invalid parameter: {} Reason: could not be parsed",
                v.member
            ),
            _ => coral.message,
        };
        if matches!(v.kind, ViolationKind::WrongType { .. }) {
            SnsError::InvalidParameterRaw(message).into()
        } else {
            SnsError::ValidationError(message).into()
        }
    }
}

/// `[PublishBatchRequestEntries.N.member.]MessageAttributes.<name>.<Field>` as SNS's front
/// end names it: `...messageAttributes.<name>.member.<field>`, the name kept as sent.
fn attribute_member_path(path: &str) -> Option<String> {
    let at = path.find("MessageAttributes.")?;
    let (prefix, rest) = path.split_at(at);
    let rest = &rest["MessageAttributes.".len()..];
    // Attribute names may contain dots; the field is the last segment.
    let (name, field) = rest.rsplit_once('.')?;
    Some(format!(
        "{}messageAttributes.{name}.member.{}",
        lower_camel(prefix),
        lower_camel(field)
    ))
}

/// The operation table, sorted by name.
static OPERATIONS: Operations<Inner, SnsError> = Operations {
    service: ServiceId::Sns,
    operations: &[
        op("AddPermission", typed!(permissions::add_permission)),
        op(
            "CheckIfPhoneNumberIsOptedOut",
            typed!(sms::check_if_phone_number_is_opted_out),
        ),
        op(
            "ConfirmSubscription",
            typed!(subscriptions::confirm_subscription),
        ),
        op(
            "CreatePlatformApplication",
            typed!(platform::create_platform_application),
        ),
        op(
            "CreatePlatformEndpoint",
            typed!(platform::create_platform_endpoint),
        ),
        op(
            "CreateSMSSandboxPhoneNumber",
            typed!(sms::create_sms_sandbox_phone_number),
        ),
        op("CreateTopic", typed!(topics::create_topic)),
        op("DeleteEndpoint", typed!(platform::delete_endpoint)),
        op(
            "DeletePlatformApplication",
            typed!(platform::delete_platform_application),
        ),
        op(
            "DeleteSMSSandboxPhoneNumber",
            typed!(sms::delete_sms_sandbox_phone_number),
        ),
        op("DeleteTopic", typed!(topics::delete_topic)),
        op(
            "GetDataProtectionPolicy",
            typed!(data_protection::get_data_protection_policy),
        ),
        op(
            "GetEndpointAttributes",
            typed!(platform::get_endpoint_attributes),
        ),
        op(
            "GetPlatformApplicationAttributes",
            typed!(platform::get_platform_application_attributes),
        ),
        op("GetSMSAttributes", typed!(sms::get_sms_attributes)),
        op(
            "GetSMSSandboxAccountStatus",
            sms::get_sms_sandbox_account_status,
        ),
        op(
            "GetSubscriptionAttributes",
            typed!(subscriptions::get_subscription_attributes),
        ),
        op("GetTopicAttributes", typed!(topics::get_topic_attributes)),
        op(
            "ListEndpointsByPlatformApplication",
            typed!(platform::list_endpoints_by_platform_application),
        ),
        op(
            "ListOriginationNumbers",
            typed!(sms::list_origination_numbers),
        ),
        op(
            "ListPhoneNumbersOptedOut",
            typed!(sms::list_phone_numbers_opted_out),
        ),
        op(
            "ListPlatformApplications",
            typed!(platform::list_platform_applications),
        ),
        op(
            "ListSMSSandboxPhoneNumbers",
            typed!(sms::list_sms_sandbox_phone_numbers),
        ),
        op(
            "ListSubscriptions",
            typed!(subscriptions::list_subscriptions),
        ),
        op(
            "ListSubscriptionsByTopic",
            typed!(subscriptions::list_subscriptions_by_topic),
        ),
        op("ListTagsForResource", typed!(tags::list_tags_for_resource)),
        op("ListTopics", typed!(topics::list_topics)),
        op("OptInPhoneNumber", typed!(sms::opt_in_phone_number)),
        op("Publish", typed!(publish::publish)),
        op("PublishBatch", typed!(publish::publish_batch)),
        op(
            "PutDataProtectionPolicy",
            typed!(data_protection::put_data_protection_policy),
        ),
        op("RemovePermission", typed!(permissions::remove_permission)),
        op(
            "SetEndpointAttributes",
            typed!(platform::set_endpoint_attributes),
        ),
        op(
            "SetPlatformApplicationAttributes",
            typed!(platform::set_platform_application_attributes),
        ),
        op("SetSMSAttributes", typed!(sms::set_sms_attributes)),
        op(
            "SetSubscriptionAttributes",
            typed!(subscriptions::set_subscription_attributes),
        ),
        op("SetTopicAttributes", typed!(topics::set_topic_attributes)),
        op("Subscribe", typed!(subscriptions::subscribe)),
        op("TagResource", typed!(tags::tag_resource)),
        op("Unsubscribe", typed!(subscriptions::unsubscribe)),
        op("UntagResource", typed!(tags::untag_resource)),
        op(
            "VerifySMSSandboxPhoneNumber",
            typed!(sms::verify_sms_sandbox_phone_number),
        ),
    ],
};

impl Inner {
    /// The topic an ARN names: "Invalid parameter: TopicArn" for a malformed ARN or another
    /// region, NotFound for one that does not exist.
    fn topic<'a>(
        &self,
        state: &'a State,
        ctx: &RequestContext,
        topic_arn: &str,
    ) -> Result<&'a Topic, SnsError> {
        arn::check_topic_arn(ctx, topic_arn, "TopicArn")?;
        state
            .topics
            .get(topic_arn)
            .ok_or_else(SnsError::topic_not_found)
    }

    fn topic_mut<'a>(
        &self,
        state: &'a mut State,
        ctx: &RequestContext,
        topic_arn: &str,
    ) -> Result<&'a mut Topic, SnsError> {
        arn::check_topic_arn(ctx, topic_arn, "TopicArn")?;
        state
            .topics
            .get_mut(topic_arn)
            .ok_or_else(SnsError::topic_not_found)
    }
}

/// An input the generic validator let through that does not deserialise into the handler's
/// input struct.
impl InvalidInput for SnsError {
    fn invalid_input(error: serde_json::Error) -> Self {
        SnsError::invalid(format!("Request: {error}"))
    }
}

/// An empty JSON result.
fn empty() -> Value {
    Value::Object(Default::default())
}

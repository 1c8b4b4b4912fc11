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
mod outputs;
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
use crate::persist::{Durable, Kept, Loaded, RowMap, Rows};
use crate::request::{RequestContext, ServiceId};
use crate::services::handlers::InvalidInput;
use crate::services::validation::lower_camel_path as lower_camel;
use delivery::Deliverer;
use serde_json::Value;
use std::sync::Arc;
use store::{State, Store, Topic};

/// A checked `sns` section of a state document, ready to replace the current state.
pub struct SnsState(State, Vec<delivery::DocumentRetry>);

pub struct Sns {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    store: Store,
    deliverer: Arc<Deliverer>,
    /// `--data-dir`: topics and subscriptions, one row each (`records::rows_of`).
    durable: Option<Rows>,
}

impl Sns {
    /// `invoker` is how deliveries reach SQS (bound to the server state after start).
    pub fn new(clock: Clock, invoker: Invoker, durable: Option<Arc<Durable>>) -> Self {
        Sns {
            inner: Arc::new(Inner {
                deliverer: Deliverer::new(invoker, clock.clone(), durable.clone()),
                clock,
                store: Store::default(),
                durable: durable.map(|d| Rows::new(d, records::ROW_PREFIX, records::WHOLE_KEY)),
            }),
        }
    }

    /// Calls `operation`'s handler with an input already checked against the model. With a
    /// data directory, an operation that may change topics or subscriptions writes the rows
    /// it changed, and the answer waits for the commit (no lock is held here).
    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<crate::protocol::Output, ApiError> {
        let result = OPERATIONS.call(&self.inner, ctx, operation, input).await;
        if let Some(record) = &self.inner.durable {
            let reads = ["Get", "List", "Check"]
                .iter()
                .any(|p| operation.starts_with(p))
                || operation.starts_with("Publish");
            let export = || self.export_record();
            record.after_call(!reads && result.is_ok(), export).await;
        }
        result
    }

    /// What `records.rs` keeps of SNS, as the data directory's rows.
    fn export_record(&self) -> Result<RowMap, serde_json::Error> {
        records::rows_of(records::export(&self.inner.store.state.read()))
    }

    /// Writes the data directory's rows that changed, if there is one.
    fn write_record(&self) {
        if let Some(record) = &self.inner.durable {
            record.write(|| self.export_record());
        }
    }

    /// Wipes every topic, subscription and SMS/platform setting (`POST /_stepyard/reset`).
    /// Queued deliveries of deleted topics still drain.
    pub fn reset(&self) {
        self.inner.store.clear();
        self.inner.deliverer.recorded.clear();
        self.inner.deliverer.forget_retries();
        self.write_record();
    }

    /// Every topic with its subscriptions, for the state document.
    pub fn export_state(&self) -> Value {
        let topics = records::export(&self.inner.store.state.read());
        let retries = self.inner.deliverer.export_retries();
        let mut section = serde_json::json!({ "topics": topics });
        if !retries.is_empty() {
            section["retries"] = serde_json::to_value(retries).unwrap_or_default();
        }
        section
    }

    /// Checks a state document's `sns` section and builds the state it describes.
    pub fn parse_state(&self, section: &Value) -> Result<SnsState, String> {
        let topics = section
            .get("topics")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        let records: Vec<records::TopicRecord> =
            serde_json::from_value(topics).map_err(|e| format!("sns.topics: {e}"))?;
        let retries = match section.get("retries") {
            Some(list) => {
                serde_json::from_value(list.clone()).map_err(|e| format!("sns.retries: {e}"))?
            }
            None => Vec::new(),
        };
        let deliverer = self.inner.deliverer.clone();
        records::import(records, || deliverer.topic_queue()).map(|s| SnsState(s, retries))
    }

    /// Replaces topics and subscriptions (SMS and platform settings are cleared).
    pub fn import_state(&self, state: SnsState) {
        *self.inner.store.state.write() = state.0;
        self.write_record();
        self.inner.deliverer.import_retries(state.1);
    }

    /// Rebuilds topics and subscriptions from the data directory (at start). A whole record
    /// of an older data directory becomes rows here, in one commit.
    pub fn restore(&self, loaded: &Loaded) -> Result<usize, String> {
        let Some(rows) = &self.inner.durable else {
            return Ok(0);
        };
        let topics = match rows.loaded(loaded) {
            None => return Ok(0),
            Some(Kept::Whole(bytes)) => serde_json::from_slice(bytes)
                .map_err(|e| format!("the SNS record does not parse: {e}"))?,
            Some(Kept::Rows(rows)) => records::from_rows(rows)?,
        };
        let deliverer = self.inner.deliverer.clone();
        let state = records::import(topics, || deliverer.topic_queue())?;
        let count = state.topic_count();
        *self.inner.store.state.write() = state;
        self.write_record();
        self.inner.deliverer.restore_retries(loaded)?;
        Ok(count)
    }

    /// Every (account, region) holding a topic, read from the topics' ARNs.
    pub fn occupied_regions(&self) -> Vec<(String, String)> {
        let state = self.inner.store.state.read();
        let mut found: Vec<(String, String)> = state
            .topics()
            .filter_map(|topic| arn::parse(&topic.arn))
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
    /// coral wording ("1 validation error detected: Value null at 'message' ...", every
    /// violation named), except where the first violation has an answer of its own.
    pub fn validation_error(violations: &[Violation]) -> ApiError {
        use crate::services::validation::{coral_message, coral_violation_text};
        let v = &violations[0];
        // The query protocol cannot send an empty list, so an empty batch arrives as a
        // missing one; AWS answers it as an empty batch.
        if v.path == "PublishBatchRequestEntries" && matches!(v.kind, ViolationKind::Missing) {
            return SnsError::EmptyBatchRequest.into();
        }
        if v.path == "SubscriptionArn" && matches!(v.kind, ViolationKind::Missing) {
            return SnsError::invalid("SubscriptionArn Reason: no value for required parameter")
                .into();
        }
        if matches!(v.kind, ViolationKind::WrongType { .. }) {
            let message = format!(
                "Invalid parameter: {} Reason: could not be parsed",
                v.member
            );
            return SnsError::InvalidParameterRaw(message).into();
        }
        let texts: Vec<String> = violations
            .iter()
            .map(|v| {
                let text = coral_violation_text(None, v);
                match attribute_member_path(&v.path) {
                    // The generic renderer lower-cases every segment, the attribute's name
                    // included, and knows no `.member` after a map key; SNS's front end
                    // writes both as shown.
                    Some(path) => {
                        let generic = format!("'{}'", lower_camel(&v.path));
                        text.replacen(&generic, &format!("'{path}'"), 1)
                    }
                    None => text,
                }
            })
            .collect();
        SnsError::ValidationError(coral_message(&texts)).into()
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

crate::services::handlers::operations! {
    /// The operation table: each file with the operations it answers.
    static OPERATIONS: Operations<Inner, SnsError> = ServiceId::Sns;
    data_protection: GetDataProtectionPolicy = get_data_protection_policy,
        PutDataProtectionPolicy = put_data_protection_policy;
    permissions: AddPermission = add_permission, RemovePermission = remove_permission;
    platform: CreatePlatformApplication = create_platform_application,
        CreatePlatformEndpoint = create_platform_endpoint, DeleteEndpoint = delete_endpoint,
        DeletePlatformApplication = delete_platform_application,
        GetEndpointAttributes = get_endpoint_attributes,
        GetPlatformApplicationAttributes = get_platform_application_attributes,
        ListEndpointsByPlatformApplication = list_endpoints_by_platform_application,
        ListPlatformApplications = list_platform_applications,
        SetEndpointAttributes = set_endpoint_attributes,
        SetPlatformApplicationAttributes = set_platform_application_attributes;
    publish: Publish = publish, PublishBatch = publish_batch;
    sms: CheckIfPhoneNumberIsOptedOut = check_if_phone_number_is_opted_out,
        CreateSMSSandboxPhoneNumber = create_sms_sandbox_phone_number,
        DeleteSMSSandboxPhoneNumber = delete_sms_sandbox_phone_number,
        GetSMSAttributes = get_sms_attributes,
        GetSMSSandboxAccountStatus = get_sms_sandbox_account_status,
        ListOriginationNumbers = list_origination_numbers,
        ListPhoneNumbersOptedOut = list_phone_numbers_opted_out,
        ListSMSSandboxPhoneNumbers = list_sms_sandbox_phone_numbers,
        OptInPhoneNumber = opt_in_phone_number, SetSMSAttributes = set_sms_attributes,
        VerifySMSSandboxPhoneNumber = verify_sms_sandbox_phone_number;
    subscriptions: ConfirmSubscription = confirm_subscription,
        GetSubscriptionAttributes = get_subscription_attributes,
        ListSubscriptions = list_subscriptions,
        ListSubscriptionsByTopic = list_subscriptions_by_topic,
        SetSubscriptionAttributes = set_subscription_attributes, Subscribe = subscribe,
        Unsubscribe = unsubscribe;
    tags: ListTagsForResource = list_tags_for_resource, TagResource = tag_resource,
        UntagResource = untag_resource;
    topics: CreateTopic = create_topic, DeleteTopic = delete_topic,
        GetTopicAttributes = get_topic_attributes, ListTopics = list_topics,
        SetTopicAttributes = set_topic_attributes;
}

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
        state.topic(topic_arn).ok_or_else(SnsError::topic_not_found)
    }

    fn topic_mut<'a>(
        &self,
        state: &'a mut State,
        ctx: &RequestContext,
        topic_arn: &str,
    ) -> Result<&'a mut Topic, SnsError> {
        arn::check_topic_arn(ctx, topic_arn, "TopicArn")?;
        state
            .topic_mut(topic_arn)
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

/// The output of an operation that answers nothing.
fn empty() -> crate::protocol::Empty {
    crate::protocol::Empty {}
}

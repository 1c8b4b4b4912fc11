//! A subscription as the store keeps it and as deliveries read it (a snapshot shared by
//! `Arc`, so a delivery in flight keeps the attributes it started with).

use super::filter::CompiledFilter;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One subscription of a topic.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub arn: String,
    pub topic_arn: String,
    pub owner: String,
    pub protocol: String,
    pub endpoint: String,
    /// Caller-set attributes (DeliveryPolicy, FilterPolicy, FilterPolicyScope,
    /// RawMessageDelivery, RedrivePolicy, SubscriptionRoleArn, ReplayPolicy).
    pub attributes: BTreeMap<String, String>,
    pub pending: bool,
    pub confirmation_authenticated: bool,
    /// What ConfirmSubscription must be given (sent in the SubscriptionConfirmation).
    pub token: String,
    pub filter: Option<Arc<CompiledFilter>>,
}

impl Subscription {
    pub fn raw(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

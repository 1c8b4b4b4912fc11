//! Output shapes that several SNS operations answer alike.

use serde::Serialize;

/// CreateTopic's output, and a topic of ListTopics'.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicArn {
    pub topic_arn: String,
}

/// Subscribe's and ConfirmSubscription's output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscriptionArn {
    pub subscription_arn: String,
}

/// CreatePlatformEndpoint's output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointArn {
    pub endpoint_arn: String,
}

/// The Get*Attributes outputs: the attribute map, in name order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attributes<A> {
    pub attributes: A,
}

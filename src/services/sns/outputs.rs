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

/// Publish's output: the message id and, on a FIFO topic, its sequence number.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Published {
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

impl Published {
    /// A message published to one endpoint or phone number (no sequence).
    pub fn direct(message_id: String) -> Self {
        Published {
            message_id,
            sequence_number: None,
        }
    }
}

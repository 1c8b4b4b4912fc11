//! SNS through the real `aws-sdk-sns` (and `aws-sdk-sqs` to observe deliveries), over HTTP,
//! against an in-process stepyard server. One test target; one module per concern.

#[path = "../common/mod.rs"]
mod common;

mod support;

mod envelopes;
mod fanout;
mod filter_matching;
mod filter_validation;
mod filtering;
mod http_endpoints;
mod publish;
mod sms_platform;
mod subscriptions;
mod topics;
mod xml_output;

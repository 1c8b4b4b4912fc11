//! EventBridge through the real `aws-sdk-eventbridge`, over HTTP, against an in-process
//! stepyard server. One test target; one module per concern. Deliveries are observed through
//! the target service's own API (SQS ReceiveMessage, Step Functions ListExecutions, an HTTP
//! listener for API destinations).

#[path = "../common/mod.rs"]
mod common;

mod archives;
mod buses;
mod client;
mod conformance;
mod connections;
mod delivery;
mod endpoints_partners;
mod loops;
mod put_events;
mod rules;
mod schedules;
mod targets;
mod validation_messages;

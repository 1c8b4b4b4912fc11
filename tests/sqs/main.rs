//! SQS through the real `aws-sdk-sqs`, over HTTP, against an in-process stepyard server.
//! One test target (each target links the whole SDK); one module per concern. Tests move the
//! server's clock instead of sleeping, except long polling's "returns as soon as" checks.

#[path = "../common/mod.rs"]
mod common;

mod attributes;
mod counts;
mod dead_letter;
mod delay_and_retention;
mod errors_conformance;
mod fifo;
mod long_polling;
mod md5;
mod message_attributes;
mod messages;
mod move_tasks;
mod permissions;
mod purge;
mod queues;
mod tags;
mod visibility;

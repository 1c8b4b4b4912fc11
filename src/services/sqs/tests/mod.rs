//! Behaviour tests through `Sqs::call`, the way the gateway calls it, one file per concern.
//! Time is moved with `Clock::advance`, never slept through.

mod dead_letter;
mod fifo;
mod long_poll;
mod messages;
mod queues;

use super::Sqs;
use crate::clock::Clock;
use crate::error::ApiError;
use crate::request::{Protocol, RequestContext};
use serde_json::{json, Value};
use std::time::Duration;

pub struct Harness {
    pub sqs: Sqs,
    pub ctx: RequestContext,
}

impl Harness {
    pub fn new() -> Self {
        let clock = Clock::new();
        Harness {
            sqs: Sqs::new(clock.clone(), None),
            ctx: RequestContext {
                trace: crate::request::TraceContext::NONE,
                tracer: crate::trace::Tracer::off(),
                aws_service: false,
                account_id: "000000000000".into(),
                region: "us-east-1".into(),
                request_id: "req".into(),
                host: "localhost:4566".into(),
                protocol: Protocol::AwsJson10,
                clock,
                session: None,
                trace_header: None,
            },
        }
    }

    pub async fn call(&self, op: &str, input: Value) -> Result<Value, ApiError> {
        self.sqs
            .call(&self.ctx, op, input)
            .await
            .map(|output| output.to_value())
    }

    pub async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op} failed: {e}"),
        }
    }

    pub async fn err(&self, op: &str, input: Value) -> ApiError {
        match self.call(op, input).await {
            Ok(v) => panic!("{op} succeeded unexpectedly: {v}"),
            Err(e) => e,
        }
    }

    pub async fn create(&self, name: &str, attributes: Value) -> String {
        let out = self
            .ok(
                "CreateQueue",
                json!({"QueueName": name, "Attributes": attributes}),
            )
            .await;
        out["QueueUrl"].as_str().expect("QueueUrl").to_string()
    }

    pub async fn send(&self, url: &str, body: &str) -> Value {
        self.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": body}))
            .await
    }

    pub async fn receive(&self, url: &str, extra: Value) -> Vec<Value> {
        let mut input = json!({"QueueUrl": url});
        if let (Some(i), Some(e)) = (input.as_object_mut(), extra.as_object()) {
            i.extend(e.clone());
        }
        let out = self.ok("ReceiveMessage", input).await;
        out.get("Messages")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    pub async fn attribute(&self, url: &str, name: &str) -> String {
        let out = self
            .ok(
                "GetQueueAttributes",
                json!({"QueueUrl": url, "AttributeNames": [name]}),
            )
            .await;
        out["Attributes"][name]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn advance(&self, secs: u64) {
        self.ctx.clock.advance(Duration::from_secs(secs));
    }
}

pub fn bodies(messages: &[Value]) -> Vec<&str> {
    messages.iter().filter_map(|m| m["Body"].as_str()).collect()
}

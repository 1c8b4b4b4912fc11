//! Fan-out: every published message goes to each confirmed subscription of its topic whose
//! filter policy matches, in the subscription's protocol.
//!
//! Each topic has one worker task fed by an unbounded channel, started on the first publish.
//! Publish only enqueues (the caller gets its MessageId at once); the worker delivers the
//! topic's messages in publish order, which keeps FIFO topics in order into FIFO queues. SQS
//! deliveries are in-process calls and finish before the next message; HTTP/S deliveries run
//! as their own tasks because their retries wait on the clock for seconds or more.
//!
//! The worker holds the `Deliverer` (an `Invoker`, the clock and the delivery record), not
//! the SNS store, so a topic's worker ends when the topic is deleted (its sender dropped)
//! after draining what was already queued.

mod dead_letter;
mod http;
pub use http::DocumentRetry;
mod queue_message;
pub mod recorded;
mod retry;
mod sqs;

use super::message::Notification;
use super::subscription::Subscription;
use crate::clock::Clock;
use crate::invoke::Invoker;
use recorded::{Recorded, RecordedDelivery};
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;

struct Job {
    notification: Arc<Notification>,
    subscriptions: Vec<Arc<Subscription>>,
    /// Counts the message as in flight for `settle` from Publish until it is delivered.
    work: crate::settle::Work,
}

/// The sending side of a topic's worker; the worker starts with the first message.
#[derive(Default)]
pub struct TopicQueue {
    sender: OnceLock<mpsc::UnboundedSender<Job>>,
}

impl TopicQueue {
    pub fn push(
        &self,
        deliverer: &Arc<Deliverer>,
        notification: Arc<Notification>,
        subscriptions: Vec<Arc<Subscription>>,
    ) {
        if subscriptions.is_empty() {
            return;
        }
        let sender = self.sender.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(deliverer.clone(), rx));
            tx
        });
        // The worker only stops when every sender is gone, so this cannot fail while we hold
        // one; ignoring the result is safe.
        let work = deliverer.clock.work(
            crate::settle::Kind::SnsDelivery,
            notification.topic_arn.as_str(),
        );
        let _ = sender.send(Job {
            notification,
            subscriptions,
            work,
        });
    }
}

async fn run(deliverer: Arc<Deliverer>, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = jobs.recv().await {
        let Job {
            notification,
            subscriptions,
            work,
        } = job;
        work.run(async {
            for subscription in &subscriptions {
                deliverer.deliver(&notification, subscription).await;
            }
        })
        .await;
    }
}

/// What deliveries need from the rest of the server.
pub struct Deliverer {
    invoker: Invoker,
    clock: Clock,
    pub recorded: Recorded,
    /// `--data-dir`: where pending HTTP/S retries are kept (`http.rs`); `None` in memory.
    durable: Option<Arc<crate::persist::Durable>>,
    /// The HTTP/S deliveries waiting for a retry now, by id (`http.rs`), for the state
    /// document. Filled only when an attempt fails; the lock is held to insert, remove or copy,
    /// never across an await or another lock.
    pending: parking_lot::Mutex<std::collections::HashMap<String, http::PendingRetry>>,
}

impl Deliverer {
    pub fn new(
        invoker: Invoker,
        clock: Clock,
        durable: Option<Arc<crate::persist::Durable>>,
    ) -> Arc<Self> {
        Arc::new(Deliverer {
            invoker,
            clock,
            recorded: Recorded::default(),
            durable,
            pending: Default::default(),
        })
    }

    /// Starts again the HTTP/S retries the data directory holds (at start).
    pub fn restore_retries(
        self: &Arc<Self>,
        loaded: &crate::persist::Loaded,
    ) -> Result<usize, String> {
        http::restore(self, loaded)
    }

    /// Forgets every pending HTTP/S retry record (reset).
    pub fn forget_retries(&self) {
        http::forget_all(self);
    }

    /// The pending HTTP/S retries, for the state document.
    pub fn export_retries(&self) -> Vec<DocumentRetry> {
        http::export(self)
    }

    /// Replaces the pending HTTP/S retries with a state document's and continues them.
    pub fn import_retries(self: &Arc<Self>, retries: Vec<DocumentRetry>) {
        http::import(self, retries)
    }

    pub fn topic_queue(&self) -> TopicQueue {
        TopicQueue::default()
    }

    async fn deliver(self: &Arc<Self>, n: &Arc<Notification>, subscription: &Arc<Subscription>) {
        if subscription.pending {
            return;
        }
        let message = n.message_for(&subscription.protocol);
        // The delivery's span: the Publish's child, the parent of the SQS call it makes.
        let trace = n.trace.child();
        let tracer = self.invoker.tracer();
        let start_us = tracer.now_us();
        let span = |name: &'static str, now_us: u64| {
            crate::trace::Span::new(&trace, "sns", name, now_us)
                .resource(subscription.arn.as_str())
                .attr("topicArn", n.topic_arn.as_str())
                .attr("protocol", subscription.protocol.as_str())
                .attr("endpoint", subscription.endpoint.as_str())
                .attr("messageId", n.message_id.as_str())
        };
        if let Some(filter) = &subscription.filter {
            if !filter.matches(n, message) {
                tracer.record_with(|now| {
                    span("FilterPolicy", now)
                        .attr("delivered", false)
                        .attr(
                            "filterPolicy",
                            subscription
                                .attributes
                                .get("FilterPolicy")
                                .map_or("", String::as_str),
                        )
                        .attr(
                            "filterPolicyScope",
                            subscription
                                .attributes
                                .get("FilterPolicyScope")
                                .map_or("MessageAttributes", String::as_str),
                        )
                        // Which key failed and why, worked out only when the trace is read
                        // (from the message it holds on to, weighed as its text).
                        .deferred(message.len(), {
                            let (n, subscription) = (n.clone(), subscription.clone());
                            move || {
                                let message = n.message_for(&subscription.protocol);
                                let why = subscription
                                    .filter
                                    .as_ref()
                                    .and_then(|f| f.explain(&n, message));
                                let (field, reason) = why.unwrap_or_else(|| {
                                    (
                                        String::new(),
                                        "the message does not match the subscription's filter policy"
                                            .into(),
                                    )
                                });
                                vec![
                                    ("failedField", Value::from(field)),
                                    ("reason", Value::from(reason)),
                                ]
                            }
                        })
                });
                return;
            }
        }
        match subscription.protocol.as_str() {
            "sqs" => {
                let outcome = sqs::deliver(self, n, subscription, message, trace).await;
                tracer.record_with(|now| {
                    span("Deliver", now)
                        .started(start_us)
                        .error(outcome != sqs::Outcome::Delivered)
                        .attr("result", outcome.as_str())
                });
            }
            "http" | "https" => {
                let (deliverer, n, subscription) = (self.clone(), n.clone(), subscription.clone());
                let work = self
                    .clock
                    .work(crate::settle::Kind::SnsDelivery, subscription.arn.as_str());
                tokio::spawn(
                    work.run(async move { http::notify(&deliverer, &n, &subscription).await }),
                );
                tracer.record_with(|now| span("Deliver", now).attr("result", "sent over HTTP"));
            }
            protocol => {
                let body = match protocol {
                    // These receive the JSON envelope; email and SMS the text.
                    "email-json" | "lambda" | "firehose" | "application" => {
                        queue_message::envelope_for(n, subscription, message)
                    }
                    _ => message.to_string(),
                };
                self.recorded.push(RecordedDelivery::notification(
                    subscription,
                    n,
                    body,
                    self.clock.now_millis(),
                ));
                tracer.record_with(|now| span("Deliver", now).attr("result", "recorded"));
            }
        }
    }

    /// HTTP/S: POSTs the SubscriptionConfirmation; email: records it (with the token).
    pub fn send_subscription_confirmation(
        self: &Arc<Self>,
        subscription: &Arc<Subscription>,
        host: &str,
        now_ms: u64,
    ) {
        self.confirmation("SubscriptionConfirmation", subscription, host, now_ms);
    }

    pub fn send_unsubscribe_confirmation(
        self: &Arc<Self>,
        subscription: &Arc<Subscription>,
        host: &str,
        now_ms: u64,
    ) {
        self.confirmation("UnsubscribeConfirmation", subscription, host, now_ms);
    }

    fn confirmation(
        self: &Arc<Self>,
        kind: &'static str,
        subscription: &Arc<Subscription>,
        host: &str,
        now_ms: u64,
    ) {
        let message = if kind == "SubscriptionConfirmation" {
            format!(
                "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
                subscription.topic_arn
            )
        } else {
            format!(
                "You have chosen to deactivate subscription {}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
                subscription.arn
            )
        };
        let body = super::envelope::confirmation(
            kind,
            &uuid::Uuid::new_v4().to_string(),
            &subscription.topic_arn,
            &subscription.token,
            &message,
            now_ms,
            host,
        );
        match subscription.protocol.as_str() {
            "http" | "https" => {
                let (deliverer, subscription) = (self.clone(), subscription.clone());
                let work = self
                    .clock
                    .work(crate::settle::Kind::SnsDelivery, subscription.arn.as_str());
                tokio::spawn(work.run(async move {
                    http::confirm(&deliverer, &subscription, kind, body).await
                }));
            }
            _ => self.recorded.push(RecordedDelivery::confirmation(
                subscription,
                kind,
                body,
                now_ms,
            )),
        }
    }
}

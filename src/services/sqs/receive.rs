//! ReceiveMessage, including long polling, dead-letter moves and FIFO receive-attempt replays.
//!
//! Long polling without lost wakeups: each round first registers interest in the queue's
//! `Notify` (`notified()` + `enable()`), then locks the state and checks for messages. A sender
//! enqueues under the same lock and then calls `notify_waiters`, which wakes every waiter
//! registered before it: either the poller's check saw the message, or the poller was already
//! registered and is woken. Messages that become visible on their own (a delay or visibility
//! timeout ending) need no notification: the poller sleeps until the earliest such deadline
//! (or its own), whichever comes first, through the clock. The poll also ends once its
//! WaitTimeSeconds have passed in real time, so a frozen clock still answers a client.

use super::dead_letter::{move_to_dead_letter_queue, redrive_target};
use super::errors::SqsError;
use super::fifo::ReceiveAttempt;
use super::message::Received;
use super::message_attributes::NameFilter;
use super::queue::QueueState;
use super::receipt;
use super::store::Queue;
use super::{not_found, Inner};
use crate::request::RequestContext;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReceiveMessageInput {
    queue_url: String,
    #[serde(default)]
    attribute_names: Vec<String>,
    #[serde(default)]
    message_system_attribute_names: Vec<String>,
    #[serde(default)]
    message_attribute_names: Vec<String>,
    max_number_of_messages: Option<i64>,
    visibility_timeout: Option<i64>,
    wait_time_seconds: Option<i64>,
    receive_request_attempt_id: Option<String>,
}

/// Counts this request in `QueueState::pollers()` while it waits, so senders know to wake it.
/// Dropping it (the request finished or its connection went away) takes the count back.
struct PollerRegistration<'a> {
    queue: &'a Queue,
    active: bool,
}

impl PollerRegistration<'_> {
    fn join(&mut self, state: &mut QueueState) {
        if !self.active {
            state.poller_joined();
            self.active = true;
        }
    }

    fn leave(&mut self, state: &mut QueueState) {
        if self.active {
            state.poller_left();
            self.active = false;
        }
    }
}

impl Drop for PollerRegistration<'_> {
    fn drop(&mut self) {
        if self.active {
            // Still active only when the request is dropped (or unwinds) between a round's
            // `join` and the next round's `leave`: after the round's state guard has gone,
            // as it is declared after this registration in `receive_message` and so always
            // dropped first, and the caller holds no queue lock while it polls the request.
            // So this thread does not hold `queue.state` here (parking_lot's mutex is not
            // reentrant), and `poller_left` only decrements a count, taking no other lock:
            // it cannot deadlock. No wakeup is lost: a sender that saw the count still
            // raised notifies a waiter that is no longer there, which costs nothing.
            self.queue.state.lock().poller_left();
        }
    }
}

enum Round {
    Done(Vec<Received>),
    Wait(Option<u64>),
}

pub async fn receive_message(
    sqs: &Inner,
    ctx: &RequestContext,
    input: ReceiveMessageInput,
) -> Result<ReceiveMessageOutput, SqsError> {
    let max = match input.max_number_of_messages {
        None => 1,
        Some(n) if (1..=10).contains(&n) => n as usize,
        Some(n) => {
            return Err(SqsError::invalid_parameter(
                n,
                "MaxNumberOfMessages",
                "Must be between 1 and 10, if provided.",
            ))
        }
    };
    if let Some(w) = input.wait_time_seconds.filter(|w| !(0..=20).contains(w)) {
        return Err(SqsError::invalid_parameter(
            w,
            "WaitTimeSeconds",
            "Must be >= 0 and <= 20, if provided.",
        ));
    }
    if let Some(v) = input
        .visibility_timeout
        .filter(|v| !(0..=43_200).contains(v))
    {
        return Err(SqsError::invalid_parameter(
            v,
            "VisibilityTimeout",
            "Must be >= 0 and <= 43200, if provided.",
        ));
    }
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let mut system_names = input.message_system_attribute_names;
    system_names.extend(input.attribute_names);
    let filter = NameFilter::new(&input.message_attribute_names);
    let dead_letter = redrive_target(sqs, &queue);
    let max_receive_count = dead_letter.as_ref().map(|(_, max)| *max);

    let start = sqs.now();
    let (wait_s, visibility_s) = {
        let state = queue.state.lock();
        (
            input
                .wait_time_seconds
                .unwrap_or(i64::from(state.attrs().receive_message_wait_time_seconds)),
            input
                .visibility_timeout
                .unwrap_or(i64::from(state.attrs().visibility_timeout)),
        )
    };
    let poll_deadline = start + wait_s as u64 * 1000;
    // A long poll also ends after its real duration, so a frozen clock never hangs a client.
    let real_deadline = sqs
        .clock
        .real_deadline(std::time::Duration::from_secs(wait_s as u64));
    let visibility_ms = visibility_s as u64 * 1000;
    let attempt_id = input.receive_request_attempt_id.filter(|id| !id.is_empty());

    let mut registration = PollerRegistration {
        queue: &queue,
        active: false,
    };
    let mut received: Vec<(crate::request::TraceContext, uuid::Uuid, u32)> = Vec::new();
    loop {
        let notified = queue.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();

        let now = sqs.now();
        let (round, dead_lettered) = {
            let mut state = queue.state.lock();
            registration.leave(&mut state);
            if state.is_deleted() {
                return Err(not_found(ctx));
            }
            state.tick(now);
            let fifo_attempt = attempt_id.as_deref().filter(|_| state.is_fifo());
            if let Some(previous) = fifo_attempt.and_then(|id| replay(&state, id, now)) {
                return Ok(messages_output(previous));
            }
            let taken = state.receive(max, visibility_ms, now, max_receive_count);
            // The received messages' traces, recorded once the lock is let go.
            if ctx.tracer.enabled() {
                received.clear();
                received.extend(taken.delivered.iter().filter_map(|&(id, _)| {
                    let m = state.message(id)?;
                    Some((m.trace(), m.message_id, m.receive_count))
                }));
            }
            let rendered: Vec<Received> = taken
                .delivered
                .iter()
                .filter_map(|&(id, seq)| {
                    let message = state.message(id)?;
                    Some(message.render(
                        receipt::encode(&queue.arn, id, seq),
                        &system_names,
                        &filter,
                    ))
                })
                .collect();
            if let (Some(attempt), false) = (fifo_attempt, rendered.is_empty()) {
                let record = ReceiveAttempt {
                    deliveries: taken.delivered.clone(),
                    rendered: rendered.clone(),
                };
                state.remember_attempt(attempt.to_string(), record, now);
            }
            let round = if !rendered.is_empty() || now >= poll_deadline || real_deadline.passed() {
                Round::Done(rendered)
            } else {
                registration.join(&mut state);
                Round::Wait(state.next_deadline())
            };
            let carried = state.carry_dead_lettered();
            (round, (taken.dead_lettered, carried))
        };
        if !received.is_empty() {
            trace_receives(ctx, &queue.arn, &received);
            received.clear();
        }
        if let Some((dlq, _)) = &dead_letter {
            let (dead_lettered, carried) = dead_lettered;
            move_to_dead_letter_queue(sqs, &ctx.tracer, &queue, dlq, dead_lettered, carried);
        }
        match round {
            Round::Done(messages) => return Ok(messages_output(messages)),
            Round::Wait(next) => {
                let wake_at = next.map_or(poll_deadline, |n| n.min(poll_deadline));
                tokio::select! {
                    _ = &mut notified => {}
                    _ = sqs.clock.sleep_until_millis(wake_at) => {}
                    _ = real_deadline.sleep() => {}
                }
            }
        }
    }
}

/// A FIFO receive retried with the same ReceiveRequestAttemptId within 5 minutes gets the same
/// messages and receipt handles, as long as all of them are still in that receive's flight.
/// A span in each received message's trace (child of the span that sent it) naming the
/// ReceiveMessage call's own trace: the link from a consumer back to the producer's flow.
fn trace_receives(
    ctx: &RequestContext,
    queue_arn: &str,
    received: &[(crate::request::TraceContext, uuid::Uuid, u32)],
) {
    use crate::trace::Attr;
    let now = ctx.tracer.now_us();
    // Ids kept as their bytes and the queue's ARN shared: nothing is copied per span.
    let queue = crate::trace::calls::shared_name(queue_arn);
    for (trace, id, count) in received {
        if trace.is_none() {
            continue;
        }
        ctx.tracer.record(
            crate::trace::Span::new(&trace.child(), "sqs", "ReceiveMessage", now)
                .resource(queue.clone())
                .attr_as("messageId", Attr::Uuid(*id))
                .attr_as("receiveCount", Attr::Count(u64::from(*count)))
                .attr_as("receiveRequestTraceId", Attr::trace_id(ctx.trace.id))
                .attr_as("receiveRequestId", Attr::id(&ctx.request_id)),
        );
    }
}

fn replay(state: &QueueState, attempt_id: &str, now: u64) -> Option<Vec<Received>> {
    let attempt = state.receive_attempt(attempt_id, now)?;
    attempt
        .deliveries
        .iter()
        .all(|&(id, seq)| state.is_current_delivery(id, seq))
        .then(|| attempt.rendered.clone())
}

fn messages_output(messages: Vec<Received>) -> ReceiveMessageOutput {
    ReceiveMessageOutput { messages }
}

/// No messages is `{}`: AWS leaves `Messages` out rather than sending an empty list.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReceiveMessageOutput {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<Received>,
}

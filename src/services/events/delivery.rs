//! From an accepted event to its targets. `publish` matches the event against the bus's
//! enabled rules and archives under the store lock, copies out the matched targets, and
//! spawns one task per (rule, target): delivery is asynchronous, as in AWS, but starts at
//! once. Each task renders the target's input, calls the target service through the
//! in-process invoker, retries retryable failures on the shared clock within the target's
//! RetryPolicy, and sends what cannot be delivered to the target's dead-letter queue with
//! AWS's error attributes.

use super::event::Envelope;
use super::input::{InputSpec, MatchContext};
use super::store::Rule;
use super::targets::Target;
use super::{destinations, Inner};
use crate::arn::Arn;
use crate::error::ApiError;
use crate::request::ServiceId;
use crate::request::{Caller, TraceContext};
use crate::services::sqs::queue_url::QueueLocation;
use crate::trace::{
    Attr, Evaluations, EventText, Marks, RuleCheck, RuleEntry, RuleSet, Span, Verdict,
};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// One rule's claim on an event.
pub struct Matched {
    pub rule_arn: String,
    pub rule_name: String,
    pub targets: Vec<Arc<Target>>,
    /// The span of the rule's evaluation, the parent of its deliveries.
    pub trace: TraceContext,
}

/// Matches `envelope` on the bus `bus` of (account, region) and starts its deliveries.
///
/// With tracing on, the rules evaluated are kept as one record per event: the envelope and the
/// bus's [`RuleSet`] (two `Arc` clones) and a verdict byte per rule. Readers of the trace see
/// an `EvaluateRule` span per rule, matched or not, and for a rule that did not match, which
/// field of its pattern failed and why ("why didn't my rule fire?" answered from the
/// PutEvents' trace), worked out only then. Nothing is formatted or copied per rule here.
pub fn publish(ev: &Arc<Inner>, account: &str, region: &str, bus: &str, envelope: Envelope) {
    let envelope = Arc::new(envelope);
    let event = &envelope.event;
    let now = ev.now();
    let tracer = ev.invoker.tracer();
    // The record's own span: the parent of nothing, its rules' spans derive their ids from it.
    let record = tracer.enabled().then(|| envelope.trace.child());
    let now_us = tracer.now_us();
    let mut evaluations: Option<(Arc<RuleSet>, Marks)> = None;
    let matched: Vec<Matched> = ev.store.with(account, region, now, |r| {
        let Some((bus, archives)) = r.bus_and_archives_mut(bus) else {
            return Vec::new();
        };
        let mut archived: Option<Arc<Value>> = None;
        let mut matched = Vec::new();
        // The rules that did not simply refuse the event, marked only with tracing on (a
        // rule that refuses it, the usual case, costs the trace nothing).
        let traced = record.is_some();
        let mut marks = Marks::None;
        let mut mark = |index: usize, v: Verdict| {
            if traced {
                marks.mark(index, v);
            }
        };
        // Whether the bus's RuleSet still describes its rules: every change to them drops it
        // (`Bus::rules_changed`), so nothing is checked per rule (debug builds check anyway).
        let current = record.is_some()
            && bus
                .trace_rules
                .as_ref()
                .is_some_and(|set| set.rules.len() == bus.rules().len());

        for (index, rule) in bus.rules().values().enumerate() {
            debug_assert!(
                !current
                    || bus
                        .trace_rules
                        .as_ref()
                        .is_some_and(|set| describes(&set.rules[index], rule)),
                "a change to the rules of bus {} did not call Bus::rules_changed",
                bus.name
            );
            let skipped = match &envelope.replay {
                Some((_, only)) => !only.is_empty() && !only.contains(&rule.arn),
                None => false,
            };
            if skipped {
                mark(index, Verdict::Skipped);
                continue;
            }
            // An archive's managed rule stores the event (one copy for all archives).
            if let Some(name) = &rule.archive {
                let hit = rule.enabled()
                    && !rule.targets.is_empty()
                    && rule.matcher.as_ref().is_some_and(|m| m.matches(event));
                if hit {
                    if let Some(archive) = archives.get_mut(name) {
                        let shared = archived.get_or_insert_with(|| Arc::new(event.clone()));
                        let max = ev.max_archive_events.load(Ordering::Relaxed);
                        let max_bytes = ev.max_archive_bytes.load(Ordering::Relaxed);
                        if archive.keep(now, shared.clone(), max, max_bytes) {
                            tracing::warn!(
                                "events: archive {} holds its maximum of {max} events or \
                                 {max_bytes} bytes (--max-archive-events, --max-archive-bytes): \
                                 the oldest are dropped as new ones arrive",
                                archive.arn
                            );
                        }
                    }
                }
                mark(index, Verdict::Skipped);
                continue;
            }
            let hit = rule.enabled() && rule.matcher.as_ref().is_some_and(|m| m.matches(event));
            if !hit {
                continue;
            }
            mark(index, Verdict::Matched);
            // The rule's span (read from the record) is the parent of its deliveries.
            let trace = match &record {
                Some(record) => TraceContext {
                    span: crate::trace::evaluation_span_id(record.span, index),
                    parent: Some(envelope.trace.span),
                    ..envelope.trace
                },
                None => envelope.trace,
            };
            if !rule.targets.is_empty() {
                matched.push(Matched {
                    rule_arn: rule.arn.clone(),
                    rule_name: rule.name.clone(),
                    targets: rule.targets.clone(),
                    trace,
                });
            }
        }
        if record.is_some() && !bus.rules().is_empty() {
            if !current {
                bus.trace_rules = Some(Arc::new(rule_set(bus.rules())));
            }
            if let Some(set) = &bus.trace_rules {
                evaluations = Some((set.clone(), marks));
            }
        }
        matched
    });
    let mut text = None;
    if let (Some(record), Some((rules, marks))) = (record, evaluations) {
        let mut span = Span::new(&record, "events", "EvaluateRule", now_us);
        // The event as its text rather than the envelope: see `EventText`. The deliveries
        // that send the whole event send this text (not the event written again).
        let event = EventText::of(&envelope.event);
        text = Some(event.0.clone());
        span.evaluations = Some(Evaluations {
            event,
            rules,
            marks,
        });
        tracer.record(span);
    }
    start(ev, envelope, matched, text);
}

/// How `rule` decides on an event, for a trace.
fn check_of(rule: &Rule) -> RuleCheck {
    match &rule.matcher {
        _ if !rule.enabled() => RuleCheck::Disabled,
        None => RuleCheck::NoPattern,
        Some(m) => RuleCheck::Pattern(m.clone()),
    }
}

/// Whether `entry` (of the bus's RuleSet) is still `rule` as it stands.
fn describes(entry: &RuleEntry, rule: &Rule) -> bool {
    let same_check = match (&entry.check, &rule.matcher) {
        (RuleCheck::Disabled, _) => !rule.enabled(),
        (RuleCheck::NoPattern, None) => rule.enabled(),
        (RuleCheck::Pattern(p), Some(m)) => {
            rule.enabled() && std::ptr::addr_eq(Arc::as_ptr(p), Arc::as_ptr(m))
        }
        _ => false,
    };
    same_check && Arc::ptr_eq(&entry.arn, &rule.shared_arn) && entry.targets == rule.targets.len()
}

/// The bus's rules as its events' traces see them.
fn rule_set(rules: &std::collections::BTreeMap<String, Rule>) -> RuleSet {
    RuleSet {
        rules: rules
            .values()
            .map(|rule| RuleEntry {
                arn: rule.shared_arn.clone(),
                check: check_of(rule),
                targets: rule.targets.len(),
            })
            .collect(),
    }
}

/// Spawns the deliveries of one event to the targets of the rules it matched; `text` is the
/// event's JSON text when it was written already.
pub fn start(
    ev: &Arc<Inner>,
    envelope: Arc<Envelope>,
    matched: Vec<Matched>,
    text: Option<Arc<str>>,
) {
    if matched.is_empty() {
        return;
    }
    for rule in matched {
        let rule_arn: Arc<str> = rule.rule_arn.into();
        let rule_name: Arc<str> = rule.rule_name.into();
        for target in rule.targets {
            let job = Job {
                ev: ev.clone(),
                envelope: envelope.clone(),
                rule_arn: rule_arn.clone(),
                rule_name: rule_name.clone(),
                target,
                trace: rule.trace,
                text: text.clone(),
            };
            let work = ev
                .clock
                .work(crate::settle::Kind::EventDelivery, rule_arn.clone());
            tokio::spawn(work.run(job.run()));
        }
    }
}

/// One event on its way to one target.
struct Job {
    ev: Arc<Inner>,
    envelope: Arc<Envelope>,
    rule_arn: Arc<str>,
    rule_name: Arc<str>,
    target: Arc<Target>,
    /// The rule's span: each attempt and the dead letter are its children.
    trace: TraceContext,
    /// The event's JSON text, when the trace's record of its rules wrote it (tracing on).
    text: Option<Arc<str>>,
}

/// Why a call to a target failed, in the dead-letter queue's terms.
struct Failure {
    code: &'static str,
    message: String,
    retryable: bool,
}

impl Failure {
    fn from_api(error: &ApiError) -> Self {
        let not_found = error.code.contains("NotFound")
            || error.code.contains("NonExistent")
            || error.code.contains("DoesNotExist");
        let (code, retryable) = if not_found {
            ("RESOURCE_NOT_FOUND", false)
        } else if error.status >= 500 {
            ("SDK_CLIENT_ERROR", true)
        } else {
            ("SDK_CLIENT_ERROR", false)
        };
        Failure {
            code,
            message: error.message.clone(),
            retryable,
        }
    }
}

impl Job {
    async fn run(self) {
        let ingestion = crate::time::format_seconds(self.envelope.ingestion_ms);
        let ctx = MatchContext {
            rule_arn: &self.rule_arn,
            rule_name: &self.rule_name,
            ingestion_time: &ingestion,
        };
        // A template whose result is not valid JSON drops the event for this target (AWS).
        let tracer = self.ev.invoker.tracer();
        // The whole event as the trace's record wrote it (the same text), when it did.
        let rendered = match (&self.target.input, &self.text) {
            (InputSpec::WholeEvent, Some(text)) => Some(Cow::Borrowed(&**text)),
            (input, _) => input.render(&self.envelope.event, &ctx).map(Cow::Owned),
        };
        let Some(body) = rendered else {
            tracing::debug!(target = %self.target.arn, "input transformer produced invalid JSON; dropped");
            tracer.record_with(|now| {
                Span::new(&self.trace.child(), "events", "Deliver", now)
                    .resource(&self.target.shared_arn)
                    .error(true)
                    .attr(
                        "result",
                        "dropped: the input transformer produced invalid JSON",
                    )
            });
            return;
        };
        let retry = self.target.retry;
        let deadline = self.envelope.ingestion_ms + retry.max_age_secs * 1000;
        let mut attempts: u32 = 0;
        loop {
            // Each attempt is a span of its own, the parent of the call it makes.
            let attempt = if tracer.enabled() {
                self.trace.child()
            } else {
                self.trace
            };
            let start_us = tracer.now_us();
            let failure = self.call(&body, attempt).await.err();
            let next = match &failure {
                None => "delivered",
                Some(f) if !f.retryable => "dead-letter (not retryable)",
                Some(_) if attempts >= retry.max_attempts => {
                    "dead-letter (MaximumRetryAttempts reached)"
                }
                Some(_) => "retry",
            };
            tracer.record_with(|now| {
                // Shared names and constants: nothing is copied for the span.
                let mut span = Span::new(&attempt, "events", "Deliver", now)
                    .started(start_us)
                    .resource(&self.target.shared_arn)
                    .attr_as("rule", Attr::Shared(self.rule_name.clone()))
                    .attr_as("targetId", Attr::Shared(self.target.shared_id.clone()))
                    .attr("attempt", attempts + 1)
                    .attr_as("result", Attr::Static(next));
                if let Some(f) = &failure {
                    span = span
                        .error(true)
                        .attr("errorCode", f.code)
                        .attr("errorMessage", f.message.as_str())
                        .attr("retryable", f.retryable);
                }
                span
            });
            let Some(failure) = failure else {
                return;
            };
            if !failure.retryable {
                self.dead_letter(&failure, None, attempts).await;
                return;
            }
            if attempts >= retry.max_attempts {
                self.dead_letter(&failure, Some("MaximumRetryAttempts"), attempts)
                    .await;
                return;
            }
            let wait = backoff(attempts);
            if self.ev.now() + wait.as_millis() as u64 > deadline {
                self.dead_letter(&failure, Some("MaximumEventAgeInSeconds"), attempts)
                    .await;
                return;
            }
            self.ev.clock.sleep(wait).await;
            attempts += 1;
        }
    }

    /// One delivery attempt to the target's service; `attempt` is its span.
    async fn call(&self, body: &str, attempt: TraceContext) -> Result<(), Failure> {
        let arn = self.target.arn.as_str();
        let Some(
            parsed @ Arn {
                account,
                region,
                resource,
                ..
            },
        ) = Arn::parse(arn)
        else {
            return Err(Failure {
                code: "SDK_CLIENT_ERROR",
                message: format!("Invalid target ARN {arn}"),
                retryable: false,
            });
        };
        let caller = Caller::caused_by(account, region, attempt);
        let invoker = &self.ev.invoker;
        let result = match parsed.service {
            "sqs" => {
                let mut input = json!({
                    "QueueUrl": QueueLocation::of(&parsed).aws_url(),
                    "MessageBody": body,
                });
                // AWS passes the group and no deduplication id: a FIFO queue without
                // content-based deduplication refuses the message (a failed invocation).
                if let Some(group) = &self.target.message_group_id {
                    input["MessageGroupId"] = json!(group);
                }
                if let Some(trace) = &self.envelope.trace_header {
                    input["MessageSystemAttributes"] = json!({
                        "AWSTraceHeader": {"DataType": "String", "StringValue": trace}
                    });
                }
                invoker
                    .call(ServiceId::Sqs, &caller, "SendMessage", input)
                    .await
            }
            "states" => {
                let input = json!({"stateMachineArn": arn, "input": body});
                invoker
                    .call(ServiceId::StepFunctions, &caller, "StartExecution", input)
                    .await
            }
            "sns" => {
                let input = json!({"TopicArn": arn, "Message": body});
                invoker
                    .call(ServiceId::Sns, &caller, "Publish", input)
                    .await
            }
            "events" if resource.starts_with("event-bus/") => {
                self.forward_to_bus(
                    account,
                    region,
                    &resource["event-bus/".len()..],
                    body,
                    attempt,
                );
                Ok(Value::Null)
            }
            "events" if resource.starts_with("api-destination/") => {
                return destinations::invoke(
                    &self.ev,
                    account,
                    region,
                    resource,
                    &self.target,
                    body,
                )
                .await
                .map_err(|(message, retryable)| Failure {
                    code: "SDK_CLIENT_ERROR",
                    message,
                    retryable,
                });
            }
            other => Err(ApiError::new(
                "NotImplemented",
                format!("stepyard does not deliver to {other} targets"),
                501,
            )),
        };
        result.map(|_| ()).map_err(|e| {
            let mut failure = Failure::from_api(&e);
            if e.code == "NotImplemented" {
                failure.retryable = false;
            }
            failure
        })
    }

    /// Another bus receives the event as it is (same id), or the transformed input as detail.
    ///
    /// AWS routes an event across one bus-to-bus hop only: an event a bus received from
    /// another bus is not sent on to a further bus, in one account, across accounts or across
    /// Regions (the EventBridge user guide on bus-to-bus and cross-account delivery). That
    /// also ends the loops a bus targeting itself, or two buses targeting each other, would
    /// otherwise run forever; the event still reaches the receiving bus's other targets.
    fn forward_to_bus(
        &self,
        account: &str,
        region: &str,
        bus: &str,
        body: &str,
        attempt: TraceContext,
    ) {
        if self.envelope.from_bus {
            tracing::debug!(
                rule = %self.rule_arn,
                target = %self.target.arn,
                "not forwarded: an event received from another bus goes no further"
            );
            return;
        }
        let mut event = self.envelope.event.clone();
        if !matches!(self.target.input, super::input::InputSpec::WholeEvent) {
            if let Ok(detail) = serde_json::from_str::<Value>(body) {
                event["detail"] = detail;
            }
        }
        let envelope = Envelope {
            event,
            trace_header: self.envelope.trace_header.clone(),
            ingestion_ms: self.ev.now(),
            replay: None,
            trace: attempt.next_hop(),
            from_bus: true,
        };
        publish(&self.ev, account, region, bus, envelope);
        // With a data directory, what the target bus archived is kept now rather than with
        // the next EventBridge write (nobody waits: this delivery answers no client). Only the
        // archive rows: a delivery changes no configuration row, so exporting it to compare
        // every row would be work for nothing on each event.
        if self.ev.durable.is_some() && self.ev.store.has_archives() {
            self.ev.sync_archives();
        }
    }

    /// Sends the undeliverable event to the target's DLQ, if it has one, with the attributes
    /// AWS puts on it; without one the event is dropped, as in AWS.
    async fn dead_letter(&self, failure: &Failure, exhausted: Option<&str>, attempts: u32) {
        let tracer = self.ev.invoker.tracer();
        let trace = if tracer.enabled() {
            self.trace.child()
        } else {
            self.trace
        };
        let span = |now: u64| {
            Span::new(&trace, "events", "DeadLetter", now)
                .error(true)
                .attr("rule", &*self.rule_name)
                .attr("targetArn", self.target.arn.as_str())
                .attr("errorCode", failure.code)
                .attr("errorMessage", failure.message.as_str())
                .attr("retryAttempts", attempts)
                .attr("exhaustedRetryCondition", exhausted.unwrap_or(""))
        };
        let Some(dlq) = &self.target.dead_letter_arn else {
            tracing::debug!(target = %self.target.arn, error = %failure.message, "undeliverable event dropped");
            tracer.record_with(|now| {
                span(now).attr("result", "dropped: the target has no dead-letter queue")
            });
            return;
        };
        let Some(queue) = Arn::parse(dlq)
            .filter(|a| a.is("sqs"))
            .map(|a| QueueLocation::of(&a))
        else {
            return;
        };
        let attr = |v: &str| json!({"DataType": "String", "StringValue": v});
        let mut attributes = json!({
            "ERROR_CODE": attr(failure.code),
            "ERROR_MESSAGE": attr(&failure.message),
            "RULE_ARN": attr(&self.rule_arn),
            "TARGET_ARN": attr(&self.target.arn),
            "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": attempts.to_string()},
        });
        if let Some(condition) = exhausted {
            attributes["EXHAUSTED_RETRY_CONDITION"] = attr(condition);
        }
        let input = json!({
            "QueueUrl": queue.aws_url(),
            "MessageBody": self.envelope.event.to_string(),
            "MessageAttributes": attributes,
        });
        // The dead letter replaces the refused delivery; it does not extend the chain.
        let caller = Caller::new(queue.account.as_str(), queue.region.as_str()).in_trace(trace);
        let start_us = tracer.now_us();
        let sent = self
            .ev
            .invoker
            .call(ServiceId::Sqs, &caller, "SendMessage", input)
            .await;
        if let Err(e) = &sent {
            tracing::warn!(dlq = %dlq, error = %e, "dead-letter queue refused the event");
        }
        tracer.record_with(|now| {
            span(now).started(start_us).resource(dlq.as_str()).attr(
                "result",
                if sent.is_ok() {
                    "sent to the dead-letter queue"
                } else {
                    "the dead-letter queue refused the event"
                },
            )
        });
    }
}

/// Exponential backoff between attempts: 1 s, 2 s, 4 s ... capped at 5 minutes.
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs((1u64 << attempts.min(16)).min(300))
}

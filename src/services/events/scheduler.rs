//! Fires scheduled rules. One task per service sleeps on the shared clock until the earliest
//! planned firing (the store keeps them ordered), fires every firing that is due, in order,
//! plans each rule's next one, and sleeps again. A rule added or changed wakes it through
//! `schedule_changed`; `Notify` keeps a permit when nobody waits, so a change between the
//! check and the sleep is not lost. Advancing the clock wakes the sleep too, so a test that
//! advances an hour sees sixty `rate(1 minute)` firings at once.

use super::delivery::{self, Matched};
use super::event::{Envelope, NewEvent};
use super::store::{RuleKey, DEFAULT_BUS};
use super::Inner;
use crate::request::RequestContext;
use serde_json::json;
use std::sync::Arc;

pub fn key(ctx: &RequestContext, rule: &str) -> RuleKey {
    RuleKey {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        rule: rule.to_string(),
    }
}

/// Where a scheduled rule's next firing is kept (`--data-dir`): `events/next/<account>/<region>/<rule>`.
pub fn next_key(key: &RuleKey) -> String {
    format!("{NEXT_PREFIX}{}/{}/{}", key.account, key.region, key.rule)
}

pub const NEXT_PREFIX: &str = "events/next/";

/// Starts the scheduler if there is a runtime to run it (unit tests build services without).
pub fn start(inner: &Arc<Inner>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let weak = Arc::downgrade(inner);
    // A work for `settle`: busy while it fires, parked while it sleeps, so an advance waits
    // for a due firing's deliveries to be started before it moves on.
    let work = inner
        .clock
        .work(crate::settle::Kind::Schedule, "eventbridge scheduler");
    runtime.spawn(work.run(async move {
        loop {
            let Some(ev) = weak.upgrade() else { return };
            // Busy (for `settle`) from a schedule change until the new plan's timer exists.
            let replanning = ev.replan.lock().take();
            let now = ev.now();
            while let Some((at, key)) = ev.store.take_due(now) {
                fire(&ev, at, &key);
            }
            let changed = ev.schedule_changed.notified();
            match ev.store.next_due() {
                Some((at, _)) => {
                    let sleep = ev.clock.sleep_until_millis(at);
                    drop(replanning);
                    tokio::select! {
                        _ = sleep => {}
                        _ = changed => {}
                    }
                }
                None => {
                    drop(replanning);
                    crate::settle::parked(changed).await
                }
            }
        }
    }));
}

/// Sends one "Scheduled Event" for the firing at `at` and plans the next.
fn fire(ev: &Arc<Inner>, at: u64, key: &RuleKey) {
    let found = ev.store.with(&key.account, &key.region, at, |region| {
        let rule = region.find_bus(DEFAULT_BUS)?.rule(&key.rule)?;
        let schedule = rule.schedule.clone()?;
        rule.enabled().then(|| {
            (
                schedule,
                Matched {
                    rule_arn: rule.arn.clone(),
                    rule_name: rule.name.clone(),
                    targets: rule.targets.clone(),
                    // Each firing is the root of a trace of its own.
                    trace: crate::request::TraceContext::root(at / 1000),
                },
            )
        })
    });
    let Some((schedule, matched)) = found else {
        return;
    };
    let next = schedule.next_after(at);
    ev.store.schedule(key.clone(), next);
    if let (Some(record), Some(next)) = (&ev.durable, next) {
        // With a data directory: when the rule fires next, so a restart after that time
        // knows it missed a firing (fired once at start, see `Events::restore`). Nobody waits
        // for this commit: no client asked for it.
        record
            .durable()
            .submit(vec![crate::persist::Op::PutResource(
                next_key(key),
                next.to_string().into_bytes(),
            )]);
    }
    let id = uuid::Uuid::new_v4().to_string();
    let event = NewEvent {
        account: &key.account,
        region: &key.region,
        source: "aws.events",
        detail_type: "Scheduled Event",
        detail: json!({}),
        resources: vec![matched.rule_arn.clone()],
        time_ms: at,
    }
    .into_json(&id);
    let trace = matched.trace;
    ev.invoker.tracer().record_with(|now| {
        crate::trace::Span::new(&trace, "events", "Schedule", now)
            .resource(matched.rule_arn.as_str())
            .attr("rule", matched.rule_name.as_str())
            .attr("eventId", id.as_str())
            .attr("matched", true)
            .attr("targets", matched.targets.len())
    });
    let envelope = Envelope {
        event,
        trace_header: None,
        ingestion_ms: at,
        replay: None,
        trace,
        from_bus: false,
    };
    delivery::start(ev, std::sync::Arc::new(envelope), vec![matched], None);
}

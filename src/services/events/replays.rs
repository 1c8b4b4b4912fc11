//! StartReplay, DescribeReplay, ListReplays, CancelReplay. A replay re-sends the archived
//! events of its time window to the archive's bus, each with `replay-name` added, to the
//! rules `FilterArns` names (all rules when absent). It runs as a task that stays `STARTING`
//! for a second of the shared clock after StartReplay answers, then `RUNNING` while it sends,
//! and ends `COMPLETED` (or `CANCELLING` -> `CANCELLED`).
//!
//! With a data directory a running replay's progress (the archive position of the last event
//! it sent) is written after each event under `PROGRESS_PREFIX`, apart from EventBridge's one
//! record, and a replay that was running at a restart goes on after that event. The write is
//! not waited for, so the events sent just before a crash may be sent again (EventBridge
//! delivers at least once); none is skipped.

use super::archives::{apply_retention, check_one_filter};
use super::delivery;
use super::errors::EventsError;
use super::event::Envelope;
use super::pagination::page;
use super::store::{Replay, ReplayDestination};
use super::{arn, seconds, Answer, Inner};
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StartInput {
    replay_name: String,
    description: Option<String>,
    event_source_arn: String,
    event_start_time: f64,
    event_end_time: f64,
    destination: ReplayDestination,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameInput {
    replay_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
    name_prefix: Option<String>,
    state: Option<String>,
    event_source_arn: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

/// How long a replay stays STARTING before it sends its first event.
const STARTING_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// `events/replay-progress/<account>/<region>/<name>` -> `{"sent": [archive ms, count]}`.
pub(super) const PROGRESS_PREFIX: &str = "events/replay-progress/";

fn progress_key(account: &str, region: &str, name: &str) -> String {
    format!("{PROGRESS_PREFIX}{account}/{region}/{name}")
}

#[derive(serde::Serialize, Deserialize)]
pub(super) struct Progress {
    pub sent: (u64, u64),
    pub last_replayed_ms: Option<u64>,
}

/// A kept progress row's (account, region, name) and what it says.
pub(super) fn parse_progress(
    key: &str,
    bytes: &[u8],
) -> Option<(String, String, String, Progress)> {
    let mut parts = key.splitn(3, '/');
    let (account, region, name) = (parts.next()?, parts.next()?, parts.next()?);
    let progress = serde_json::from_slice(bytes).ok()?;
    Some((account.into(), region.into(), name.into(), progress))
}

/// The archived events of the window `[start_ms, end_ms]` after position `sent`, with their
/// archive times, in archive order.
fn window_after(
    archive: &super::store::Archive,
    start_ms: u64,
    end_ms: u64,
    sent: Option<(u64, u64)>,
) -> Vec<(u64, Value)> {
    let mut skip_at_last = sent.map_or(0, |(_, n)| n);
    archive
        .events
        .iter()
        .filter(|(at, _)| (start_ms..=end_ms).contains(at))
        .filter(|(at, _)| match sent {
            None => true,
            Some((last, _)) if *at < last => false,
            Some((last, _)) if *at == last && skip_at_last > 0 => {
                skip_at_last -= 1;
                false
            }
            Some(_) => true,
        })
        .map(|(at, e)| (*at, (**e).clone()))
        .collect()
}

/// Starts again every replay the installed state holds as STARTING or RUNNING (read back
/// from the data directory or a state document), after the last event it had sent.
pub(super) fn resume_running(ev: &Arc<Inner>) {
    let mut jobs = Vec::new();
    ev.store.read_all(|regions| {
        for ((account, region), r) in regions {
            for replay in r.replays().values() {
                if !matches!(replay.state.as_str(), "STARTING" | "RUNNING") {
                    continue;
                }
                let archive = replay
                    .source_arn
                    .rsplit_once(":archive/")
                    .and_then(|(_, name)| r.archives().get(name));
                let events = archive.map_or_else(Vec::new, |a| {
                    window_after(a, replay.event_start_ms, replay.event_end_ms, replay.sent)
                });
                let bus = arn::bus_name(Some(&replay.destination.arn));
                let filter = replay.destination.filter_arns.clone().unwrap_or_default();
                jobs.push(Job {
                    account: account.clone(),
                    region: region.clone(),
                    name: replay.name.clone(),
                    bus,
                    filter,
                    events,
                    starting: replay.state == "STARTING",
                    sent: replay.sent,
                    arn: replay.arn.clone(),
                });
            }
        }
    });
    for job in jobs {
        spawn(ev, job);
    }
}

/// One replay's sending, as its task runs it.
struct Job {
    account: String,
    region: String,
    name: String,
    arn: String,
    bus: String,
    filter: Vec<String>,
    events: Vec<(u64, Value)>,
    /// Still STARTING: it waits its starting second first.
    starting: bool,
    /// Where it was (a resumed replay).
    sent: Option<(u64, u64)>,
}

fn spawn(ev: &Arc<Inner>, job: Job) {
    let work = ev.clock.work(crate::settle::Kind::Replay, job.arn.as_str());
    tokio::spawn(work.run(run(ev.clone(), job)));
}

fn millis(secs: f64) -> u64 {
    if secs.is_finite() && secs > 0.0 {
        (secs * 1000.0) as u64
    } else {
        0
    }
}

pub fn start(
    ev: &Arc<Inner>,
    ctx: &RequestContext,
    input: StartInput,
) -> Result<ReplayState, EventsError> {
    let (start_ms, end_ms) = (millis(input.event_start_time), millis(input.event_end_time));
    let now = ev.now();
    // AWS names EventEndTime here; an end time in the future is allowed (the replay covers
    // what the archive holds up to now).
    if start_ms >= end_ms {
        return Err(EventsError::validation(
            "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.",
        ));
    }
    let replay_arn = arn::resource_arn(ctx, "replay", &input.replay_name);
    let archive_name = input
        .event_source_arn
        .rsplit_once(":archive/")
        .map(|(_, name)| name.to_string())
        .unwrap_or_else(|| input.event_source_arn.clone());
    let filter = input.destination.filter_arns.clone().unwrap_or_default();
    let (bus, events) = ev.region(ctx, |region| {
        if region.replays().contains(&input.replay_name) {
            return Err(EventsError::exists("Replay", &input.replay_name));
        }
        // Looked up first (it borrows the region only to read), checked in AWS's order below.
        let destination_bus = arn::bus_name(Some(&input.destination.arn));
        let bus_exists = region
            .find_bus(&destination_bus)
            .is_some_and(|b| b.arn == input.destination.arn);
        let archive = region
            .archives_mut()
            .get_mut(&archive_name)
            .filter(|a| a.arn == input.event_source_arn)
            .ok_or_else(|| {
                EventsError::validation(format!(
                    "Parameter EventSourceArn is not valid. Reason: Archive {archive_name} does not exist."
                ))
            })?;
        if !bus_exists {
            return Err(EventsError::no_bus(&destination_bus));
        }
        if archive.source_arn != input.destination.arn {
            return Err(EventsError::validation(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
            ));
        }
        apply_retention(archive, now);
        let events = window_after(archive, start_ms, end_ms, None);
        let bus = arn::bus_name(Some(&archive.source_arn));
        region.replays_mut().put(Replay {
                name: input.replay_name.clone(),
                arn: replay_arn.clone(),
                description: input.description,
                source_arn: input.event_source_arn,
                destination: input.destination,
                state: "STARTING".into(),
                state_reason: None,
                event_start_ms: start_ms,
                event_end_ms: end_ms,
                last_replayed_ms: None,
                start_ms: now,
                end_ms: None,
                sent: None,
            },
        );
        Ok((bus, events))
    })?;
    spawn(
        ev,
        Job {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            name: input.replay_name,
            arn: replay_arn.clone(),
            bus,
            filter,
            events,
            starting: true,
            sent: None,
        },
    );
    Ok(ReplayState {
        replay_arn,
        state: "STARTING",
        replay_start_time: Some(seconds(now)),
    })
}

/// StartReplay's and CancelReplay's output (the latter without a start time).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReplayState {
    replay_arn: String,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    replay_start_time: Option<f64>,
}

/// Re-sends the events in order, stopping early when the replay is cancelled.
async fn run(ev: Arc<Inner>, job: Job) {
    let Job {
        account,
        region,
        name,
        bus,
        filter,
        events,
        starting,
        sent,
        ..
    } = job;
    let set_state = |state: &str, last: Option<u64>, sent: Option<(u64, u64)>| {
        ev.store.with(&account, &region, ev.now(), |r| {
            let Some(replay) = r.replays_mut().get_mut(&name) else {
                return false;
            };
            if replay.state == "CANCELLING" {
                replay.state = "CANCELLED".into();
                replay.end_ms = Some(ev.now());
                return false;
            }
            replay.state = state.to_string();
            if last.is_some() {
                replay.last_replayed_ms = last;
            }
            if sent.is_some() {
                replay.sent = sent;
                // Under the store lock: progress rows reach the log in the order sent.
                if let Some(record) = &ev.durable {
                    let progress = Progress {
                        sent: sent.unwrap_or_default(),
                        last_replayed_ms: replay.last_replayed_ms,
                    };
                    if let Some(bytes) = crate::persist::row("a replay's progress", &progress) {
                        record
                            .durable()
                            .submit(vec![crate::persist::Op::PutResource(
                                progress_key(&account, &region, &name),
                                bytes,
                            )]);
                    }
                }
            }
            if state == "COMPLETED" {
                replay.end_ms = Some(ev.now());
            }
            true
        })
    };
    // Its end is kept (`--data-dir`) in EventBridge's record, so a restart shows it as it
    // ended; its progress row goes.
    let ended = || {
        ev.persist_background();
        if let Some(record) = &ev.durable {
            record
                .durable()
                .submit(vec![crate::persist::Op::DeleteResource(progress_key(
                    &account, &region, &name,
                ))]);
        }
    };
    if starting {
        // AWS takes a while to start a replay; staying STARTING for a moment of the shared
        // clock lets an immediate CancelReplay find it cancellable, as it would on AWS. The
        // task holds no lock while it sleeps; a cancel meanwhile is seen by `set_state` below.
        ev.clock.sleep(STARTING_FOR).await;
        if !set_state("RUNNING", None, None) {
            ended();
            return;
        }
    }
    let mut position = sent.unwrap_or((0, 0));
    for (archived_ms, mut event) in events {
        event["replay-name"] = json!(name);
        let at = event["time"]
            .as_str()
            .and_then(crate::time::parse_rfc3339_nanos)
            .map(|n| (n / 1_000_000) as u64);
        delivery::publish(
            &ev,
            &account,
            &region,
            &bus,
            Envelope {
                event,
                trace_header: None,
                ingestion_ms: ev.now(),
                replay: Some((name.clone(), filter.clone())),
                // Each replayed event starts a trace of its own.
                trace: crate::request::TraceContext::root(ev.now() / 1000),
                from_bus: false,
            },
        );
        position = if position.0 == archived_ms && position.1 > 0 {
            (archived_ms, position.1 + 1)
        } else {
            (archived_ms, 1)
        };
        if !set_state("RUNNING", at, Some(position)) {
            // Cancelled: CANCELLED is kept (`--data-dir`).
            ended();
            return;
        }
        tokio::task::yield_now().await;
    }
    set_state("COMPLETED", None, None);
    ended();
}

/// A replay of ListReplays; DescribeReplay adds its details.
#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReplayOutput {
    replay_name: String,
    event_source_arn: String,
    state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_reason: Option<String>,
    event_start_time: f64,
    event_end_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_last_replayed_time: Option<f64>,
    replay_start_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    replay_end_time: Option<f64>,
    #[serde(flatten)]
    details: Option<ReplayDetails>,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReplayDetails {
    replay_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    destination: ReplayDestination,
}

fn describe_replay(replay: &Replay, full: bool) -> ReplayOutput {
    ReplayOutput {
        replay_name: replay.name.clone(),
        event_source_arn: replay.source_arn.clone(),
        state: replay.state.clone(),
        state_reason: replay.state_reason.clone(),
        event_start_time: seconds(replay.event_start_ms),
        event_end_time: seconds(replay.event_end_ms),
        event_last_replayed_time: replay.last_replayed_ms.map(seconds),
        replay_start_time: seconds(replay.start_ms),
        replay_end_time: replay.end_ms.map(seconds),
        details: full.then(|| ReplayDetails {
            replay_arn: replay.arn.clone(),
            description: replay.description.clone(),
            destination: replay.destination.clone(),
        }),
    }
}

pub fn describe(
    ev: &Inner,
    ctx: &RequestContext,
    input: NameInput,
) -> Result<ReplayOutput, EventsError> {
    ev.region(ctx, |region| {
        let replay = region
            .replays()
            .get(&input.replay_name)
            .ok_or_else(|| EventsError::not_found("Replay", &input.replay_name))?;
        Ok(describe_replay(replay, true))
    })
}

pub fn list(ev: &Inner, ctx: &RequestContext, input: ListInput) -> Answer<Listed<ReplayOutput>> {
    check_one_filter(
        "ListReplays",
        &[
            input.name_prefix.is_some(),
            input.event_source_arn.is_some(),
            input.state.is_some(),
        ],
    )?;
    let prefix = input.name_prefix.unwrap_or_default();
    ev.region(ctx, |region| {
        let all: Vec<ReplayOutput> = region
            .replays()
            .values()
            .filter(|r| r.name.starts_with(&prefix))
            .filter(|r| input.state.as_ref().is_none_or(|s| *s == r.state))
            .filter(|r| {
                input
                    .event_source_arn
                    .as_ref()
                    .is_none_or(|s| *s == r.source_arn)
            })
            .map(|r| describe_replay(r, false))
            .collect();
        let (items, next) = page(&all, input.limit, input.next_token.as_deref(), "replays")?;
        Ok(Listed::new("Replays", items, next))
    })
}

pub fn cancel(
    ev: &Inner,
    ctx: &RequestContext,
    input: NameInput,
) -> Result<ReplayState, EventsError> {
    ev.region(ctx, |region| {
        let replay = region
            .replays_mut()
            .get_mut(&input.replay_name)
            .ok_or_else(|| EventsError::not_found("Replay", &input.replay_name))?;
        if !matches!(replay.state.as_str(), "STARTING" | "RUNNING") {
            return Err(EventsError::IllegalStatus(format!(
                "Replay {} is not in a valid state for this operation.",
                replay.name
            )));
        }
        replay.state = "CANCELLING".into();
        Ok(ReplayState {
            replay_arn: replay.arn.clone(),
            state: "CANCELLING",
            replay_start_time: None,
        })
    })
}

//! Archives keep the events that match their pattern; replays re-send a time window of them
//! with `replay-name`.

use crate::client::{bus_arn, eb, entry, failed, json_body, put_events, queue_rule, receive_n};
use crate::common;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::{ReplayDestination, ReplayState};
use std::time::Duration;

/// An archive of every event on the default bus; its ARN.
async fn create_default_archive(client: &aws_sdk_eventbridge::Client, name: &str) -> String {
    client
        .create_archive()
        .archive_name(name)
        .event_source_arn(bus_arn("default"))
        .send()
        .await
        .expect("create")
        .archive_arn
        .expect("arn")
}

#[tokio::test]
async fn archives_are_created_described_listed_updated_and_deleted() {
    let server = common::start().await;
    let client = eb(&server);
    let created = client
        .create_archive()
        .archive_name("all")
        .event_source_arn(bus_arn("default"))
        .retention_days(7)
        .send()
        .await
        .expect("create");
    assert_eq!(
        created.archive_arn(),
        Some(
            format!(
                "arn:aws:events:{}:{}:archive/all",
                common::REGION,
                common::ACCOUNT
            )
            .as_str()
        )
    );
    let e = failed(
        client
            .create_archive()
            .archive_name("all")
            .event_source_arn(bus_arn("default"))
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceAlreadyExistsException");
    assert_eq!(e.message, "Archive all already exists.");
    let e = failed(
        client
            .create_archive()
            .archive_name("x")
            .event_source_arn(bus_arn("missing"))
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Event bus missing does not exist.");

    client
        .update_archive()
        .archive_name("all")
        .description("d")
        .send()
        .await
        .expect("update");
    let d = client
        .describe_archive()
        .archive_name("all")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.description(), Some("d"));
    assert_eq!(d.retention_days(), Some(7));
    assert_eq!(d.event_count(), 0);
    let listed = client.list_archives().send().await.expect("list");
    assert_eq!(listed.archives().len(), 1);
    client
        .delete_archive()
        .archive_name("all")
        .send()
        .await
        .expect("delete");
    let e = failed(client.describe_archive().archive_name("all").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Archive all does not exist.");
}

#[tokio::test]
async fn matching_events_are_archived_and_replayed_with_replay_name() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let archive_arn = client
        .create_archive()
        .archive_name("orders")
        .event_source_arn(bus_arn("default"))
        .event_pattern(r#"{"detail": {"kind": ["order"]}}"#)
        .send()
        .await
        .expect("create")
        .archive_arn
        .expect("arn");
    let start = DateTime::from_millis(server.clock().now_millis() as i64 - 1000);
    put_events(
        &client,
        vec![entry(r#"{"kind": "order"}"#), entry(r#"{"kind": "other"}"#)],
    )
    .await;
    let d = client
        .describe_archive()
        .archive_name("orders")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.event_count(), 1, "only the matching event is archived");
    assert!(d.size_bytes() > 0);

    // A rule created afterwards sees the replayed event.
    let (queue, _) = queue_rule(&server, "later", r#"{"source": ["app"]}"#).await;
    server.clock().advance(Duration::from_secs(2));
    let end = DateTime::from_millis(server.clock().now_millis() as i64 - 500);
    let started = client
        .start_replay()
        .replay_name("again")
        .event_source_arn(&archive_arn)
        .event_start_time(start)
        .event_end_time(end)
        .destination(
            ReplayDestination::builder()
                .arn(bus_arn("default"))
                .build()
                .expect("destination"),
        )
        .send()
        .await
        .expect("start replay");
    assert_eq!(started.state(), Some(&ReplayState::Starting));
    server.clock().advance(Duration::from_secs(1));
    let got = receive_n(&sqs, &queue, 1).await;
    assert_eq!(got.len(), 1);
    let event = json_body(&got[0]);
    assert_eq!(event["replay-name"], "again");
    assert_eq!(event["detail"]["kind"], "order");

    let mut state = None;
    for _ in 0..100 {
        let d = client
            .describe_replay()
            .replay_name("again")
            .send()
            .await
            .expect("describe");
        state = d.state().cloned();
        if state == Some(ReplayState::Completed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state, Some(ReplayState::Completed));
    let listed = client.list_replays().send().await.expect("list replays");
    assert_eq!(listed.replays().len(), 1);
    let e = failed(client.cancel_replay().replay_name("again").send().await);
    assert_eq!(e.code, "IllegalStatusException");
    // The replayed event was not archived again.
    let d = client
        .describe_archive()
        .archive_name("orders")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.event_count(), 1);
}

#[tokio::test]
async fn replays_check_their_window_archive_and_destination() {
    let server = common::start().await;
    let client = eb(&server);
    client
        .create_event_bus()
        .name("other")
        .send()
        .await
        .expect("bus");
    let archive_arn = create_default_archive(&client, "a").await;
    let now = server.clock().now_millis() as i64;
    let replay = |name: &str, start: i64, end: i64, archive: &str, bus: &str| {
        client
            .start_replay()
            .replay_name(name)
            .event_source_arn(archive)
            .event_start_time(DateTime::from_millis(start))
            .event_end_time(DateTime::from_millis(end))
            .destination(
                ReplayDestination::builder()
                    .arn(bus_arn(bus))
                    .build()
                    .expect("d"),
            )
            .send()
    };
    let e = failed(replay("r", now - 1000, now - 2000, &archive_arn, "default").await);
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
    );
    let e = failed(replay("r", now - 1000, now - 1000, &archive_arn, "default").await);
    assert_eq!(e.code, "ValidationException");
    let e = failed(replay("r", now - 2000, now - 1000, &archive_arn, "other").await);
    assert_eq!(e.code, "ValidationException");
    let missing = archive_arn.replace(":archive/a", ":archive/zz");
    let e = failed(replay("r", now - 2000, now - 1000, &missing, "default").await);
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "Parameter EventSourceArn is not valid. Reason: Archive zz does not exist."
    );
    let e = failed(replay("r", now - 2000, now - 1000, &archive_arn, "nowhere").await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Event bus nowhere does not exist.");
    let e = failed(client.describe_replay().replay_name("r").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Replay r does not exist.");
}

#[tokio::test]
async fn a_replay_may_end_in_the_future() {
    let server = common::start().await;
    let client = eb(&server);
    let archive_arn = create_default_archive(&client, "a").await;
    let now = server.clock().now_millis() as i64;
    let started = client
        .start_replay()
        .replay_name("ahead")
        .event_source_arn(&archive_arn)
        .event_start_time(DateTime::from_millis(now - 60_000))
        .event_end_time(DateTime::from_millis(now + 3_600_000))
        .destination(
            ReplayDestination::builder()
                .arn(bus_arn("default"))
                .build()
                .expect("destination"),
        )
        .send()
        .await
        .expect("an end time in the future is accepted");
    assert_eq!(started.state(), Some(&ReplayState::Starting));
}

#[tokio::test]
async fn list_archives_and_list_replays_take_at_most_one_filter() {
    let server = common::start().await;
    let client = eb(&server);
    let e = failed(
        client
            .list_archives()
            .name_prefix("a")
            .event_source_arn(bus_arn("default"))
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "At most one filter is allowed for ListArchives. Use either : State, EventSourceArn, or NamePrefix."
    );
    let e = failed(
        client
            .list_archives()
            .name_prefix("a")
            .state(aws_sdk_eventbridge::types::ArchiveState::Enabled)
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    let e = failed(
        client
            .list_replays()
            .state(ReplayState::Completed)
            .event_source_arn(bus_arn("default"))
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "At most one filter is allowed for ListReplays. Use either : State, EventSourceArn, or NamePrefix."
    );
    client
        .list_archives()
        .name_prefix("a")
        .send()
        .await
        .expect("one filter is fine");
    client
        .list_replays()
        .state(ReplayState::Completed)
        .send()
        .await
        .expect("one filter is fine");
}

#[tokio::test]
async fn an_immediate_cancel_replay_finds_the_replay_cancellable() {
    let server = common::start().await;
    let client = eb(&server);
    let archive_arn = create_default_archive(&client, "a").await;
    put_events(&client, vec![entry(r#"{"n": 1}"#)]).await;
    let now = server.clock().now_millis() as i64;
    client
        .start_replay()
        .replay_name("r")
        .event_source_arn(&archive_arn)
        .event_start_time(DateTime::from_millis(now - 60_000))
        .event_end_time(DateTime::from_millis(now + 1000))
        .destination(
            ReplayDestination::builder()
                .arn(bus_arn("default"))
                .build()
                .expect("destination"),
        )
        .send()
        .await
        .expect("start");
    let cancelled = client
        .cancel_replay()
        .replay_name("r")
        .send()
        .await
        .expect("an immediate cancel succeeds");
    assert_eq!(cancelled.state(), Some(&ReplayState::Cancelling));
    let d = client
        .describe_replay()
        .replay_name("r")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.state(), Some(&ReplayState::Cancelling));
    let e = failed(client.cancel_replay().replay_name("r").send().await);
    assert_eq!(e.code, "IllegalStatusException");
    assert_eq!(
        e.message,
        "Replay r is not in a valid state for this operation."
    );
    server.clock().advance(Duration::from_secs(1));
    let mut state = None;
    for _ in 0..100 {
        state = client
            .describe_replay()
            .replay_name("r")
            .send()
            .await
            .expect("describe")
            .state()
            .cloned();
        if state == Some(ReplayState::Cancelled) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state, Some(ReplayState::Cancelled));
    let e = failed(client.cancel_replay().replay_name("r").send().await);
    assert_eq!(e.code, "IllegalStatusException");
    assert_eq!(
        e.message,
        "Replay r is not in a valid state for this operation."
    );
}

#[tokio::test]
async fn an_archive_creates_its_managed_rule_and_archives_through_it() {
    let server = common::start().await;
    let client = eb(&server);
    let archive_arn = client
        .create_archive()
        .archive_name("orders")
        .event_source_arn(bus_arn("default"))
        .event_pattern(r#"{"detail": {"kind": ["order"]}}"#)
        .send()
        .await
        .expect("create")
        .archive_arn
        .expect("arn");
    let rule = client
        .describe_rule()
        .name("Events-Archive-orders")
        .send()
        .await
        .expect("the managed rule exists");
    assert_eq!(rule.managed_by(), Some("prod.vhs.events.aws.internal"));
    assert_eq!(rule.created_by(), Some(common::ACCOUNT));
    assert_eq!(
        rule.state(),
        Some(&aws_sdk_eventbridge::types::RuleState::Enabled)
    );
    assert_eq!(rule.event_bus_name(), Some("default"));
    let pattern: serde_json::Value =
        serde_json::from_str(rule.event_pattern().expect("pattern")).expect("JSON");
    assert_eq!(
        pattern,
        serde_json::json!({"detail": {"kind": ["order"]}, "replay-name": [{"exists": false}]})
    );
    let listed = client
        .list_rules()
        .name_prefix("Events-Archive-")
        .send()
        .await
        .expect("list rules");
    assert_eq!(listed.rules().len(), 1);
    assert_eq!(
        listed.rules()[0].managed_by(),
        Some("prod.vhs.events.aws.internal")
    );
    let targets = client
        .list_targets_by_rule()
        .rule("Events-Archive-orders")
        .send()
        .await
        .expect("targets");
    assert_eq!(targets.targets().len(), 1);
    let target = &targets.targets()[0];
    assert_eq!(
        target.arn(),
        format!("arn:aws:events:{}:::", common::REGION)
    );
    let transformer = target.input_transformer().expect("an input transformer");
    assert!(transformer.input_paths_map().is_some_and(|m| m.is_empty()));
    let template = transformer.input_template();
    assert!(
        template.starts_with(&format!(r#"{{"archive-arn": "{archive_arn}:"#)),
        "{template}"
    );
    assert!(
        template.ends_with(
            r#""event": <aws.events.event.json>, "ingestion-time": <aws.events.event.ingestion-time>}"#
        ),
        "{template}"
    );

    put_events(
        &client,
        vec![entry(r#"{"kind": "order"}"#), entry(r#"{"kind": "other"}"#)],
    )
    .await;
    let d = client
        .describe_archive()
        .archive_name("orders")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.event_count(), 1, "only what the managed rule matches");

    // Disabling the managed rule stops the archiving: the rule is the way in.
    client
        .disable_rule()
        .name("Events-Archive-orders")
        .send()
        .await
        .expect("disable");
    put_events(&client, vec![entry(r#"{"kind": "order"}"#)]).await;
    let d = client
        .describe_archive()
        .archive_name("orders")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.event_count(), 1);

    client
        .delete_archive()
        .archive_name("orders")
        .send()
        .await
        .expect("delete");
    let e = failed(
        client
            .describe_rule()
            .name("Events-Archive-orders")
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn an_archive_without_a_pattern_has_only_the_replay_name_check() {
    let server = common::start().await;
    let client = eb(&server);
    client
        .create_archive()
        .archive_name("all")
        .event_source_arn(bus_arn("default"))
        .send()
        .await
        .expect("create");
    let rule = client
        .describe_rule()
        .name("Events-Archive-all")
        .send()
        .await
        .expect("the managed rule exists");
    let pattern: serde_json::Value =
        serde_json::from_str(rule.event_pattern().expect("pattern")).expect("JSON");
    assert_eq!(
        pattern,
        serde_json::json!({"replay-name": [{"exists": false}]})
    );
}

#[tokio::test]
async fn past_max_archive_events_the_oldest_archived_events_are_dropped() {
    let server = stepyard::Server::start(stepyard::Config {
        max_archive_events: 3,
        ..stepyard::Config::ephemeral()
    })
    .await
    .expect("server");
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let archive_arn = create_default_archive(&client, "bounded").await;
    let start = DateTime::from_millis(server.clock().now_millis() as i64 - 1000);
    let size_of_three = {
        for n in 0..3 {
            put_events(&client, vec![entry(&format!(r#"{{"n": {n}}}"#))]).await;
        }
        let d = client
            .describe_archive()
            .archive_name("bounded")
            .send()
            .await
            .expect("describe");
        assert_eq!(d.event_count(), 3);
        d.size_bytes()
    };
    // Five more: N = 3 kept, k = 5 dropped, the oldest first.
    for n in 3..8 {
        put_events(&client, vec![entry(&format!(r#"{{"n": {n}}}"#))]).await;
    }
    let d = client
        .describe_archive()
        .archive_name("bounded")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.event_count(), 3, "only the newest 3 are kept");
    assert_eq!(
        d.size_bytes(),
        size_of_three,
        "the size counts the kept events only (same-length events)"
    );

    let (queue, replayed) = replay_kept(&server, &client, &archive_arn, start, "newest", 3).await;
    assert_eq!(
        replayed,
        vec![5, 6, 7],
        "a replay sends only the kept events"
    );
    // Nothing more arrives: the dropped five are gone.
    let more = sqs
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(10)
        .wait_time_seconds(0)
        .send()
        .await
        .expect("receive");
    assert!(more.messages().is_empty());
}

/// `--max-archive-bytes`: the event count alone would let big events hold gigabytes, so past
/// the byte bound the oldest are dropped too, `SizeBytes` stays within it, and a replay sends
/// exactly the events kept.
#[tokio::test]
async fn past_max_archive_bytes_the_oldest_archived_events_are_dropped() {
    const MAX_BYTES: u64 = 5_000;
    let server = stepyard::Server::start(stepyard::Config {
        max_archive_bytes: MAX_BYTES,
        ..stepyard::Config::ephemeral()
    })
    .await
    .expect("server");
    let client = eb(&server);
    let archive_arn = create_default_archive(&client, "by-bytes").await;
    let start = DateTime::from_millis(server.clock().now_millis() as i64 - 1000);
    // Same-length events of about 1.3 KB each.
    let pad = "x".repeat(1_000);
    let detail = |n: usize| format!(r#"{{"n": {n}, "pad": "{pad}"}}"#);
    put_events(&client, vec![entry(&detail(0))]).await;
    let describe = || async {
        client
            .describe_archive()
            .archive_name("by-bytes")
            .send()
            .await
            .expect("describe")
    };
    let one = describe().await.size_bytes();
    assert!(one > 1_000, "one event's text is counted: {one}");
    let fit = (MAX_BYTES / one as u64) as usize;
    assert!(fit >= 2, "the bound holds several events");
    for n in 1..10 {
        put_events(&client, vec![entry(&detail(n))]).await;
    }
    let d = describe().await;
    assert_eq!(
        d.event_count() as usize,
        fit,
        "as many of the newest as fit are kept"
    );
    assert_eq!(
        d.size_bytes(),
        one * fit as i64,
        "SizeBytes counts the kept events"
    );
    assert!(d.size_bytes() as u64 <= MAX_BYTES);

    let (_, replayed) = replay_kept(
        &server,
        &client,
        &archive_arn,
        start,
        "newest-by-bytes",
        fit,
    )
    .await;
    let replayed: Vec<usize> = replayed.into_iter().map(|n| n as usize).collect();
    assert_eq!(
        replayed,
        ((10 - fit)..10).collect::<Vec<_>>(),
        "a replay sends only the kept events"
    );
}

/// Replays the whole of `archive_arn` (from `start` to just before now) onto the default bus,
/// where a rule sends `app` events to a new queue, and returns that queue with the `detail.n`
/// of the `count` events it received, sorted.
async fn replay_kept(
    server: &stepyard::RunningServer,
    client: &aws_sdk_eventbridge::Client,
    archive_arn: &str,
    start: DateTime,
    replay_name: &str,
    count: usize,
) -> (String, Vec<i64>) {
    let sqs = common::sqs(server);
    let (queue, _) = queue_rule(server, "replayed", r#"{"source": ["app"]}"#).await;
    server.clock().advance(Duration::from_secs(2));
    let end = DateTime::from_millis(server.clock().now_millis() as i64 - 500);
    client
        .start_replay()
        .replay_name(replay_name)
        .event_source_arn(archive_arn)
        .event_start_time(start)
        .event_end_time(end)
        .destination(
            ReplayDestination::builder()
                .arn(bus_arn("default"))
                .build()
                .expect("destination"),
        )
        .send()
        .await
        .expect("start replay");
    server.clock().advance(Duration::from_secs(1));
    let got = receive_n(&sqs, &queue, count).await;
    let mut replayed: Vec<i64> = got
        .iter()
        .map(|m| json_body(m)["detail"]["n"].as_i64().expect("n"))
        .collect();
    replayed.sort();
    (queue, replayed)
}

//! Archives keep the events that match their pattern; replays re-send a time window of them
//! with `replay-name`.

use crate::client::{bus_arn, eb, entry, failed, json_body, put_events, queue_rule, receive_n};
use crate::common;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::{ReplayDestination, ReplayState};
use std::time::Duration;

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
    let archive_arn = client
        .create_archive()
        .archive_name("a")
        .event_source_arn(bus_arn("default"))
        .send()
        .await
        .expect("create")
        .archive_arn
        .expect("arn");
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
    let e = failed(replay("r", now - 1000, now + 60_000, &archive_arn, "default").await);
    assert_eq!(e.code, "ValidationException");
    let e = failed(replay("r", now - 2000, now - 1000, &archive_arn, "other").await);
    assert_eq!(e.code, "ValidationException");
    let missing = archive_arn.replace(":archive/a", ":archive/zz");
    let e = failed(replay("r", now - 2000, now - 1000, &missing, "default").await);
    assert_eq!(e.code, "ResourceNotFoundException");
    let e = failed(client.describe_replay().replay_name("r").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Replay r does not exist.");
}

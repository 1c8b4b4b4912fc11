//! Scheduled rules fire "Scheduled Event" events on the server's clock; the tests advance
//! the clock instead of waiting.

use crate::client::{eb, json_body, put_targets, receive_n, rule_arn, target};
use crate::common;
use std::time::Duration;

async fn scheduled_rule(server: &stepyard::RunningServer, name: &str, expression: &str) -> String {
    let client = eb(server);
    let sqs = common::sqs(server);
    let queue = common::create_queue(&sqs, name).await;
    client
        .put_rule()
        .name(name)
        .schedule_expression(expression)
        .send()
        .await
        .expect("scheduled rule");
    put_targets(&client, name, vec![target("q", &common::queue_arn(name))]).await;
    queue
}

#[tokio::test]
async fn a_rate_rule_fires_once_per_period_as_the_clock_advances() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let queue = scheduled_rule(&server, "every-minute", "rate(1 minute)").await;
    crate::client::assert_nothing_arrives(&sqs, &queue).await;
    server.clock().advance(Duration::from_secs(61));
    let got = receive_n(&sqs, &queue, 1).await;
    assert_eq!(got.len(), 1);
    let event = json_body(&got[0]);
    assert_eq!(event["source"], "aws.events");
    assert_eq!(event["detail-type"], "Scheduled Event");
    assert_eq!(
        event["resources"],
        serde_json::json!([rule_arn("every-minute")])
    );
    assert_eq!(event["detail"], serde_json::json!({}));
    assert_eq!(event["account"], common::ACCOUNT);
    server.clock().advance(Duration::from_secs(120));
    assert_eq!(receive_n(&sqs, &queue, 2).await.len(), 2);
    crate::client::assert_nothing_arrives(&sqs, &queue).await;
}

#[tokio::test]
async fn a_cron_rule_fires_on_matching_minutes_and_a_disabled_one_does_not() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let queue = scheduled_rule(&server, "every-5", "cron(0/5 * * * ? *)").await;
    server.clock().advance(Duration::from_secs(600));
    let got = receive_n(&sqs, &queue, 2).await;
    assert_eq!(got.len(), 2);
    for m in &got {
        let time = json_body(m)["time"].as_str().expect("time").to_string();
        let minute: u32 = time[14..16].parse().expect("minute");
        assert_eq!(minute % 5, 0, "{time} is on a 5-minute boundary");
        assert!(time.ends_with(":00Z"), "{time}");
    }
    client
        .disable_rule()
        .name("every-5")
        .send()
        .await
        .expect("disable");
    server.clock().advance(Duration::from_secs(600));
    crate::client::assert_nothing_arrives(&sqs, &queue).await;
    client
        .enable_rule()
        .name("every-5")
        .send()
        .await
        .expect("enable");
    server.clock().advance(Duration::from_secs(300));
    assert_eq!(receive_n(&sqs, &queue, 1).await.len(), 1);
}

#[tokio::test]
async fn describe_rule_shows_the_schedule_expression() {
    let server = common::start().await;
    let client = eb(&server);
    client
        .put_rule()
        .name("s")
        .schedule_expression("cron(0 12 ? * MON-FRI *)")
        .send()
        .await
        .expect("put");
    let d = client
        .describe_rule()
        .name("s")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.schedule_expression(), Some("cron(0 12 ? * MON-FRI *)"));
    assert!(d.event_pattern().is_none());
}

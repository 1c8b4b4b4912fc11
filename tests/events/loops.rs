//! Event loops are bounded as AWS bounds them. EventBridge routes an event across at most one
//! bus-to-bus hop: an event a bus received from another bus is delivered to that bus's other
//! targets but not sent on to a further bus (the EventBridge user guide, "Sending and receiving
//! events between event buses", in one account, across accounts and across Regions). So a rule
//! whose target is its own bus, or buses that forward to each other, deliver each event a
//! bounded number of times instead of forever.

use crate::client::{entry, failed, put_events, receive_n, target};
use crate::common;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use std::time::Duration;
use stepyard::RunningServer;

const PATTERN: &str = r#"{"source": ["app"]}"#;

/// Clients of one account (an access key of 12 digits selects it) in one Region.
struct Account {
    id: String,
    region: String,
    eb: aws_sdk_eventbridge::Client,
    sqs: aws_sdk_sqs::Client,
}

impl Account {
    fn new(server: &RunningServer, id: &str, region: &str) -> Self {
        let credentials =
            aws_credential_types::Credentials::new(id, "test", None, None, "stepyard-tests");
        let eb = aws_sdk_eventbridge::Config::builder()
            .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
            .region(aws_sdk_eventbridge::config::Region::new(region.to_string()))
            .endpoint_url(server.endpoint())
            .credentials_provider(credentials.clone())
            .retry_config(aws_sdk_eventbridge::config::retry::RetryConfig::disabled())
            .build();
        let sqs = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new(region.to_string()))
            .endpoint_url(server.endpoint())
            .credentials_provider(credentials)
            .retry_config(aws_sdk_sqs::config::retry::RetryConfig::disabled())
            .build();
        Account {
            id: id.into(),
            region: region.into(),
            eb: aws_sdk_eventbridge::Client::from_conf(eb),
            sqs: aws_sdk_sqs::Client::from_conf(sqs),
        }
    }

    fn bus_arn(&self, bus: &str) -> String {
        format!("arn:aws:events:{}:{}:event-bus/{bus}", self.region, self.id)
    }

    async fn create_bus(&self, bus: &str) {
        self.eb
            .create_event_bus()
            .name(bus)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateEventBus {bus}: {}", common::describe(&e)));
    }

    /// A queue `name` and its ARN.
    async fn queue(&self, name: &str) -> (String, String) {
        let url = common::create_queue(&self.sqs, name).await;
        let arn = format!("arn:aws:sqs:{}:{}:{name}", self.region, self.id);
        (url, arn)
    }

    /// A rule `name` on `bus` matching [`PATTERN`] with one target per ARN.
    async fn rule_to(&self, bus: &str, name: &str, targets: &[&str]) {
        self.eb
            .put_rule()
            .name(name)
            .event_bus_name(bus)
            .event_pattern(PATTERN)
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutRule {name}: {}", common::describe(&e)));
        let targets = targets
            .iter()
            .enumerate()
            .map(|(i, arn)| target(&format!("t{i}"), arn))
            .collect();
        let out = self
            .eb
            .put_targets()
            .rule(name)
            .event_bus_name(bus)
            .set_targets(Some(targets))
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutTargets {name}: {}", common::describe(&e)));
        assert_eq!(out.failed_entry_count, 0, "{out:?}");
    }

    async fn put_event(&self, bus: &str) {
        let out = self
            .eb
            .put_events()
            .entries(
                PutEventsRequestEntry::builder()
                    .source("app")
                    .detail_type("thing")
                    .detail(r#"{"n": 1}"#)
                    .event_bus_name(bus)
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutEvents: {}", common::describe(&e)));
        assert_eq!(out.failed_entry_count, 0, "{out:?}");
    }

    /// How many messages `queue` received in all (see [`drain`]).
    async fn drain(&self, queue: &str) -> usize {
        drain(&self.sqs, queue).await
    }
}

/// Counts messages until none has arrived for half a second (a loop delivers every few
/// microseconds, so a half-second silence means it has stopped), giving up at 5 s.
async fn drain(sqs: &aws_sdk_sqs::Client, queue: &str) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut count = 0;
    let mut quiet_since = std::time::Instant::now();
    while std::time::Instant::now() < deadline {
        let got = common::receive(sqs, queue, 10).await;
        if got.is_empty() {
            if quiet_since.elapsed() >= Duration::from_millis(500) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        quiet_since = std::time::Instant::now();
        for m in &got {
            common::delete(sqs, queue, m.receipt_handle().unwrap_or_default()).await;
        }
        count += got.len();
    }
    count
}

#[tokio::test]
async fn a_rule_targeting_its_own_bus_delivers_the_event_twice_not_forever() {
    let server = common::start().await;
    let a = Account::new(&server, common::ACCOUNT, common::REGION);
    a.create_bus("orders").await;
    let (queue, queue_arn) = a.queue("seen").await;
    let own = a.bus_arn("orders");
    a.rule_to("orders", "echo", &[&own, &queue_arn]).await;
    a.put_event("orders").await;
    // Once as put, once as received from the bus (its one hop); never forwarded again.
    assert_eq!(a.drain(&queue).await, 2);
}

#[tokio::test]
async fn events_received_from_another_bus_are_not_sent_on_to_a_third_bus() {
    let server = common::start().await;
    let a = Account::new(&server, common::ACCOUNT, common::REGION);
    for bus in ["first", "second", "third"] {
        a.create_bus(bus).await;
    }
    let (q2, q2_arn) = a.queue("at-second").await;
    let (q3, q3_arn) = a.queue("at-third").await;
    a.rule_to("first", "to-second", &[&a.bus_arn("second")])
        .await;
    a.rule_to("second", "to-third", &[&a.bus_arn("third"), &q2_arn])
        .await;
    a.rule_to("third", "watch", &[&q3_arn]).await;
    a.put_event("first").await;
    assert_eq!(a.drain(&q2).await, 1, "the second bus's own targets get it");
    assert_eq!(a.drain(&q3).await, 0, "a second hop is not taken");
    // The third bus still receives what is put on the second bus directly (one hop).
    a.put_event("second").await;
    assert_eq!(a.drain(&q3).await, 1);
}

#[tokio::test]
async fn two_buses_forwarding_to_each_other_do_not_loop() {
    let server = common::start().await;
    let a = Account::new(&server, common::ACCOUNT, common::REGION);
    a.create_bus("ping").await;
    a.create_bus("pong").await;
    let (q_ping, ping_q) = a.queue("ping-q").await;
    let (q_pong, pong_q) = a.queue("pong-q").await;
    a.rule_to("ping", "to-pong", &[&a.bus_arn("pong"), &ping_q])
        .await;
    a.rule_to("pong", "to-ping", &[&a.bus_arn("ping"), &pong_q])
        .await;
    a.put_event("ping").await;
    assert_eq!(a.drain(&q_ping).await, 1);
    assert_eq!(a.drain(&q_pong).await, 1);
}

#[tokio::test]
async fn buses_forwarding_across_accounts_take_one_hop() {
    let server = common::start().await;
    let one = Account::new(&server, "111111111111", common::REGION);
    let two = Account::new(&server, "222222222222", common::REGION);
    let three = Account::new(&server, "333333333333", common::REGION);
    one.create_bus("hub").await;
    two.create_bus("hub").await;
    three.create_bus("hub").await;
    let (q1, q1_arn) = one.queue("one").await;
    let (q2, q2_arn) = two.queue("two").await;
    let (q3, q3_arn) = three.queue("three").await;
    // one -> two -> (back to one, and on to three): only the first hop is taken.
    one.rule_to("hub", "out", &[&two.bus_arn("hub"), &q1_arn])
        .await;
    two.rule_to(
        "hub",
        "onwards",
        &[&one.bus_arn("hub"), &three.bus_arn("hub"), &q2_arn],
    )
    .await;
    three.rule_to("hub", "watch", &[&q3_arn]).await;
    one.put_event("hub").await;
    assert_eq!(one.drain(&q1).await, 1);
    assert_eq!(two.drain(&q2).await, 1);
    assert_eq!(three.drain(&q3).await, 0);
}

#[tokio::test]
async fn buses_forwarding_across_regions_take_one_hop() {
    let server = common::start().await;
    let east = Account::new(&server, common::ACCOUNT, "us-east-1");
    let west = Account::new(&server, common::ACCOUNT, "eu-west-1");
    east.create_bus("relay").await;
    west.create_bus("relay").await;
    let (q_east, east_q) = east.queue("east").await;
    let (q_west, west_q) = west.queue("west").await;
    east.rule_to("relay", "to-west", &[&west.bus_arn("relay"), &east_q])
        .await;
    west.rule_to("relay", "to-east", &[&east.bus_arn("relay"), &west_q])
        .await;
    east.put_event("relay").await;
    assert_eq!(east.drain(&q_east).await, 1);
    assert_eq!(west.drain(&q_west).await, 1);
}

#[tokio::test]
async fn the_default_bus_forwarding_to_itself_stays_responsive() {
    let server = common::start().await;
    let client = common::eb(&server);
    let sqs = common::sqs(&server);
    let queue = common::create_queue(&sqs, "default-echo").await;
    crate::client::put_rule(&client, "echo", PATTERN).await;
    crate::client::put_targets(
        &client,
        "echo",
        vec![
            target("bus", &crate::client::bus_arn("default")),
            target("q", &common::queue_arn("default-echo")),
        ],
    )
    .await;
    for n in 0..20 {
        put_events(&client, vec![entry(&format!(r#"{{"n": {n}}}"#))]).await;
    }
    assert_eq!(receive_n(&sqs, &queue, 40).await.len(), 40);
    assert_eq!(drain(&sqs, &queue).await, 0);
    // A request that must fail still answers at once: the server is not busy looping.
    let missing = client.describe_event_bus().name("nope").send().await;
    assert_eq!(failed(missing).code, "ResourceNotFoundException");
}

/// Executions of `machine` once none has been added for half a second (at most 10 s).
async fn settled_executions(sfn: &aws_sdk_sfn::Client, machine: &str) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut last = usize::MAX;
    let mut quiet_since = std::time::Instant::now();
    loop {
        let out = sfn
            .list_executions()
            .state_machine_arn(machine)
            .send()
            .await
            .expect("ListExecutions");
        let n = out.executions.len();
        if n != last {
            last = n;
            quiet_since = std::time::Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_millis(500)
            || std::time::Instant::now() > deadline
        {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_execution_whose_status_event_starts_it_again_stops_at_the_hop_limit() {
    let server = common::start().await;
    let client = common::eb(&server);
    let sqs = common::sqs(&server);
    let sfn = crate::client::sfn(&server);
    let machine = sfn
        .create_state_machine()
        .name("again")
        .definition(r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#)
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .expect("create machine")
        .state_machine_arn;
    let dlq = common::create_queue(&sqs, "stopped").await;
    let pattern = serde_json::json!({
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["SUCCEEDED"], "stateMachineArn": [machine]},
    });
    crate::client::put_rule(&client, "restart", &pattern.to_string()).await;
    crate::client::put_targets(
        &client,
        "restart",
        vec![aws_sdk_eventbridge::types::Target::builder()
            .id("sm")
            .arn(&machine)
            // A constant input: the whole event would nest each status event's input in the
            // next, and the chain would end at PutEvents' size limit instead.
            .input("{}")
            .dead_letter_config(
                aws_sdk_eventbridge::types::DeadLetterConfig::builder()
                    .arn(common::queue_arn("stopped"))
                    .build(),
            )
            .build()
            .expect("target")],
    )
    .await;
    sfn.start_execution()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("StartExecution");
    // Each lap is two hops (status event -> rule, rule -> StartExecution): the client's
    // execution and seven more, then the eighth restart is refused at hop 16.
    assert_eq!(settled_executions(&sfn, &machine).await, 8);
    let stopped = receive_n(&sqs, &dlq, 1).await;
    assert_eq!(
        stopped.len(),
        1,
        "the refused start goes to the target's DLQ"
    );
    let attrs = stopped[0].message_attributes().expect("DLQ attributes");
    let message = attrs["ERROR_MESSAGE"].string_value().unwrap_or_default();
    assert!(message.contains("in-process hops"), "{message}");
    assert_eq!(drain(&sqs, &dlq).await, 0);
}

//! A loop that fans out is bounded by the chain budget, not only by the hop limit: a rule on a
//! state machine's status-change events with four targets starting the same machine starts
//! four executions per execution, about 4^8 = 65,000 before the 16-hop limit (two hops a
//! lap). With `--chain-budget` the client's one StartExecution may cause at
//! most that many in-process calls in all; then the chain is refused, logged and marked in
//! its trace, the server settles, memory stays bounded, and other requests are unaffected.

use crate::process::Process;
use serde_json::{json, Value};
use std::time::Duration;

const BUDGET: u64 = 1_000;

fn eventbridge(server: &Process) -> aws_sdk_eventbridge::Client {
    let config = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(aws_sdk_eventbridge::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .retry_config(aws_sdk_eventbridge::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_eventbridge::Client::from_conf(config)
}

/// Every execution of `machine` (all pages).
async fn executions(sfn: &aws_sdk_sfn::Client, machine: &str) -> usize {
    let mut total = 0;
    let mut token = None;
    loop {
        let out = sfn
            .list_executions()
            .state_machine_arn(machine)
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .expect("ListExecutions");
        total += out.executions.len();
        token = out.next_token;
        if token.is_none() {
            return total;
        }
    }
}

async fn admin(http: &reqwest::Client, server: &Process, path: &str) -> Value {
    http.get(format!("{}/_stepyard/{path}", server.endpoint))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn a_status_change_loop_starting_four_executions_per_event_stops_at_the_chain_budget() {
    let budget = BUDGET.to_string();
    let server = Process::start(&["--chain-budget", &budget]);
    let sfn = server.sfn();
    let eb = eventbridge(&server);
    let http = reqwest::Client::new();
    let machine = sfn
        .create_state_machine()
        .name("fanout")
        .definition(r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#)
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .expect("CreateStateMachine")
        .state_machine_arn;
    let pattern = json!({
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"stateMachineArn": [machine]},
    });
    eb.put_rule()
        .name("restart-four-times")
        .event_pattern(pattern.to_string())
        .send()
        .await
        .expect("PutRule");
    let targets = ["a", "b", "c", "d"].map(|id| {
        aws_sdk_eventbridge::types::Target::builder()
            .id(id)
            .arn(&machine)
            .input("{}")
            .build()
            .expect("target")
    });
    let out = eb
        .put_targets()
        .rule("restart-four-times")
        .set_targets(Some(targets.to_vec()))
        .send()
        .await
        .expect("PutTargets");
    assert_eq!(out.failed_entry_count, 0);
    let before_rss = server.rss_mb();

    sfn.start_execution()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("StartExecution");
    let settle = http
        .post(format!("{}/_stepyard/settle", server.endpoint))
        .body(r#"{"timeoutSeconds": 60}"#)
        .send()
        .await
        .expect("settle answers");
    assert_eq!(
        settle.status(),
        200,
        "the loop did not end: {}",
        settle.text().await.unwrap_or_default()
    );

    // Each execution costs its two status-change PutEvents calls and the StartExecution
    // calls it causes: far fewer than the hop limit alone would allow (about 65,000), more
    // than the hop limit of a loop that did not fan out.
    let started = executions(&sfn, &machine).await as u64;
    assert!(
        (100..=BUDGET).contains(&started),
        "{started} executions for a budget of {BUDGET} calls"
    );
    // Settled means settled: nothing more starts, and the server is idle.
    let ticks = crate::random_graphs::cpu_ticks(server.child.id());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_ticks = crate::random_graphs::cpu_ticks(server.child.id()) - ticks;
    assert_eq!(executions(&sfn, &machine).await as u64, started);
    assert!(idle_ticks <= 10, "{idle_ticks} CPU ticks after settling");
    let rss = server.rss_mb();
    eprintln!("{started} executions, RSS {before_rss} -> {rss} MB");
    assert!(rss < before_rss + 150, "RSS {before_rss} -> {rss} MB");

    // The trace says where and why the chain was stopped.
    let listed = admin(&http, &server, "traces?service=stepyard").await;
    let traces = listed["traces"].as_array().expect("traces");
    assert_eq!(traces.len(), 1, "one chain stopped: {listed}");
    let id = traces[0]["traceId"].as_str().expect("traceId");
    let trace = admin(&http, &server, &format!("traces/{id}")).await;
    let stops: Vec<&Value> = trace["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .filter(|s| s["name"] == "ChainBudgetExceeded")
        .collect();
    let ours: Vec<&Value> = trace["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .filter(|s| s["service"] == "stepyard")
        .collect();
    assert_eq!(
        stops.len(),
        1,
        "one stop span per chain: {ours:?} {}",
        traces[0]
    );
    let stop = stops[0];
    assert_eq!(stop["service"], "stepyard");
    assert_eq!(stop["status"], "error");
    assert_eq!(stop["attributes"]["budget"], BUDGET);
    let reason = stop["attributes"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("--chain-budget"), "{reason}");

    // Another client request is a chain of its own, with a budget of its own.
    let other = sfn
        .create_state_machine()
        .name("other")
        .definition(r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#)
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .expect("CreateStateMachine")
        .state_machine_arn;
    let execution = sfn
        .start_execution()
        .state_machine_arn(&other)
        .send()
        .await
        .expect("StartExecution")
        .execution_arn;
    let status = sfn
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("DescribeExecution")
        .status;
    assert_ne!(status, aws_sdk_sfn::types::ExecutionStatus::Failed);
    // One more round of the loop from a new request starts at most one budget's worth again.
    sfn.start_execution()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("StartExecution");
    let settle = http
        .post(format!("{}/_stepyard/settle", server.endpoint))
        .body(r#"{"timeoutSeconds": 60}"#)
        .send()
        .await
        .expect("settle answers");
    assert_eq!(settle.status(), 200);
    let again = executions(&sfn, &machine).await as u64;
    assert!(
        again > started + 100 && again <= started + BUDGET,
        "{started} then {again} executions"
    );
}

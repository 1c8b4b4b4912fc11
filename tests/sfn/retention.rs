//! Finished executions are kept as AWS keeps them, 90 days after they stop on the server's
//! clock, and at most `--max-finished-executions` per account and region, the ones that stopped
//! first forgotten first. Running executions are never forgotten.

use crate::client::{create_machine, failed, sfn, start, wait_until_done, PASS};
use crate::common;
use std::time::Duration;
use stepyard::{Config, Server};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// One Pass state: a history of four events, each holding the input.
const ONE_PASS: &str = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;

/// DescribeExecution of `arn` answers ExecutionDoesNotExist: the execution is forgotten.
async fn assert_forgotten(client: &aws_sdk_sfn::Client, arn: &str) {
    let e = failed(client.describe_execution().execution_arn(arn).send().await);
    assert_eq!(e.code, "ExecutionDoesNotExist", "{arn}");
}

#[tokio::test]
async fn a_finished_execution_is_forgotten_90_days_after_it_stopped() {
    let server = common::start().await;
    let client = sfn(&server);
    let pass = create_machine(&client, "pass", PASS).await;
    let done = start(&client, &pass, "done", "{}").await;
    wait_until_done(&client, &done).await;
    // Moving the clock 91 days ends an hour's Wait too; this one waits a year.
    let year =
        r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 31536000, "End": true}}}"#;
    let long = create_machine(&client, "year", year).await;
    let running = start(&client, &long, "running", "{}").await;

    server.clock().advance(89 * DAY);
    client
        .describe_execution()
        .execution_arn(&done)
        .send()
        .await
        .expect("kept for 89 days");
    server.clock().advance(2 * DAY);
    assert_forgotten(&client, &done).await;
    let listed = client
        .list_executions()
        .state_machine_arn(&pass)
        .send()
        .await
        .expect("list");
    assert!(listed.executions().is_empty(), "{listed:?}");
    let still = client
        .describe_execution()
        .execution_arn(&running)
        .send()
        .await
        .expect("a running execution is never forgotten");
    assert_eq!(still.status.as_str(), "RUNNING");
}

#[tokio::test]
async fn past_the_cap_the_executions_that_stopped_first_are_forgotten_first() {
    let server = Server::start(Config {
        max_finished_executions: 8,
        ..Config::ephemeral()
    })
    .await
    .unwrap();
    let client = sfn(&server);
    let pass = create_machine(&client, "pass", PASS).await;
    let mut arns = Vec::new();
    for i in 0..40 {
        let arn = start(&client, &pass, &format!("e{i:02}"), "{}").await;
        wait_until_done(&client, &arn).await;
        arns.push(arn);
    }
    let listed = client
        .list_executions()
        .state_machine_arn(&pass)
        .send()
        .await
        .expect("list");
    let names: Vec<&str> = listed.executions().iter().map(|e| e.name()).collect();
    // The sweep runs when the region has grown by a sixteenth of the cap (at least one), so at
    // most one more than the cap is seen, and always the newest ones.
    assert!((8..=9).contains(&names.len()), "kept {names:?}");
    let newest: Vec<String> = (40 - names.len()..40)
        .rev()
        .map(|i| format!("e{i:02}"))
        .collect();
    assert_eq!(names, newest);
    assert_forgotten(&client, &arns[0]).await;
}

/// `--max-finished-execution-bytes`: finished executions whose histories are large are
/// forgotten by their bytes too, the ones that stopped first first (a count cap of 10,000
/// would keep GBs of 160 KB histories).
#[tokio::test]
async fn past_the_byte_cap_the_executions_that_stopped_first_are_forgotten_first() {
    let server = Server::start(Config {
        max_finished_execution_bytes: 400_000,
        ..Config::ephemeral()
    })
    .await
    .unwrap();
    let client = sfn(&server);
    let pass = create_machine(&client, "pass", ONE_PASS).await;
    // Each history holds the 40 KB input four times (started, entered, exited, succeeded).
    let input = serde_json::json!({ "pad": "x".repeat(40_000) }).to_string();
    let mut arns = Vec::new();
    for i in 0..6 {
        let arn = start(&client, &pass, &format!("e{i}"), &input).await;
        wait_until_done(&client, &arn).await;
        arns.push(arn);
    }
    let listed = client
        .list_executions()
        .state_machine_arn(&pass)
        .send()
        .await
        .expect("list");
    let names: Vec<&str> = listed.executions().iter().map(|e| e.name()).collect();
    // Two 160 KB histories fit in 400 KB, a third would not.
    assert_eq!(names, ["e5", "e4"]);
    assert_forgotten(&client, &arns[0]).await;
    let history = client
        .get_execution_history()
        .execution_arn(&arns[5])
        .send()
        .await
        .expect("the newest keeps its history");
    assert_eq!(history.events().len(), 4);
}

/// The execution that stopped last is kept whatever its history weighs: a client can always
/// read what it just ran.
#[tokio::test]
async fn an_execution_heavier_than_the_byte_cap_is_kept_until_another_stops() {
    let server = Server::start(Config {
        max_finished_execution_bytes: 10_000,
        ..Config::ephemeral()
    })
    .await
    .unwrap();
    let client = sfn(&server);
    let pass = create_machine(&client, "pass", ONE_PASS).await;
    let input = serde_json::json!({ "pad": "x".repeat(40_000) }).to_string();
    let first = start(&client, &pass, "first", &input).await;
    wait_until_done(&client, &first).await;
    let history = client
        .get_execution_history()
        .execution_arn(&first)
        .send()
        .await
        .expect("the last to stop is kept");
    assert_eq!(history.events().len(), 4);
    let small = serde_json::json!({ "pad": "x".repeat(1_000) }).to_string();
    let second = start(&client, &pass, "second", &small).await;
    wait_until_done(&client, &second).await;
    assert_forgotten(&client, &first).await;
}

#[tokio::test]
async fn a_forgotten_executions_map_runs_are_forgotten_with_it() {
    let server = common::start().await;
    let client = sfn(&server);
    let def = r#"{"StartAt": "Map", "States": {"Map": {"Type": "Map", "Label": "Items",
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
      "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}"#;
    let machine = create_machine(&client, "dmap", def).await;
    let execution = start(&client, &machine, "e1", "[1, 2, 3]").await;
    wait_until_done(&client, &execution).await;
    let runs = client
        .list_map_runs()
        .execution_arn(&execution)
        .send()
        .await
        .expect("list")
        .map_runs;
    assert_eq!(runs.len(), 1);
    let run_arn = runs[0].map_run_arn.clone();
    server.clock().advance(89 * DAY);
    client
        .describe_map_run()
        .map_run_arn(&run_arn)
        .send()
        .await
        .expect("kept while its execution is");

    server.clock().advance(2 * DAY);
    // The first call after the 90 days: the map run is gone as its execution is.
    let e = failed(client.describe_map_run().map_run_arn(&run_arn).send().await);
    assert_eq!(e.code, "ResourceNotFound");
    let e = failed(
        client
            .list_map_runs()
            .execution_arn(&execution)
            .send()
            .await,
    );
    assert_eq!(e.code, "ExecutionDoesNotExist");
}

#[tokio::test]
async fn map_runs_of_executions_evicted_past_the_cap_are_forgotten() {
    let server = Server::start(Config {
        max_finished_executions: 2,
        ..Config::ephemeral()
    })
    .await
    .unwrap();
    let client = sfn(&server);
    let def = r#"{"StartAt": "Map", "States": {"Map": {"Type": "Map",
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
      "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}"#;
    let machine = create_machine(&client, "dmap", def).await;
    let mut run_arns = Vec::new();
    for i in 0..6 {
        let execution = start(&client, &machine, &format!("e{i}"), "[1]").await;
        wait_until_done(&client, &execution).await;
        let runs = client
            .list_map_runs()
            .execution_arn(&execution)
            .send()
            .await
            .expect("list")
            .map_runs;
        run_arns.push(runs[0].map_run_arn.clone());
    }
    // One more call lets the sweep catch up with the last start.
    client.list_state_machines().send().await.expect("list");
    let e = failed(
        client
            .describe_map_run()
            .map_run_arn(&run_arns[0])
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFound", "the oldest execution's map run");
    client
        .describe_map_run()
        .map_run_arn(&run_arns[5])
        .send()
        .await
        .expect("the newest execution's map run is kept");
}

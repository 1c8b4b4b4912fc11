//! A thousand Standard executions waiting in a Wait state cost no threads and no CPU until
//! the clock moves: its own test target, so that no other test runs in the process while it
//! measures the process's CPU time.

#[path = "sfn/client.rs"]
#[allow(dead_code)]
mod client;
#[path = "common/mod.rs"]
mod common;

/// Threads of this (test) process, from /proc.
fn thread_count() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:").map(|n| n.trim().parse().ok()))
                .flatten()
        })
        .unwrap_or(0)
}

/// User + system CPU time of this process in clock ticks, from /proc.
fn cpu_ticks() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.to_string();
            let fields: Vec<&str> = after.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_waiting_executions_use_no_threads_or_cpu_until_their_wait_ends() {
    let server = common::start().await;
    let client = client::sfn(&server);
    let def =
        r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}"#;
    let machine = client::create_machine(&client, "waits", def).await;
    let threads_before = thread_count();
    let mut arns = Vec::new();
    for i in 0..1000 {
        arns.push(client::start(&client, &machine, &format!("e{i}"), "{}").await);
    }
    // Let the executions reach their Wait (slow on a loaded machine in a debug build).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        thread_count() <= threads_before + 2,
        "threads grew from {threads_before} to {}",
        thread_count()
    );
    let ticks = cpu_ticks();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let idle = cpu_ticks() - ticks;
    // Clock ticks are 10 ms: a polling loop would take ~100 in this second; waiting takes ~0
    // (the margin is for the test client and a loaded CI machine).
    assert!(idle <= 20, "{idle} ticks of CPU in a second of waiting");
    server.clock().advance(std::time::Duration::from_secs(3601));
    for arn in &arns {
        let done = client::wait_until_done(&client, arn).await;
        assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Succeeded);
    }
}

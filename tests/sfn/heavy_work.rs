//! CPU-heavy evaluation does not stall the server: a Map whose iterations each sum millions of
//! numbers in JSONata runs while health checks keep answering at once, because an expression
//! that proves heavy is moved off the async workers (src/cpu.rs).

use crate::client::{create_machine, sfn, start, wait_until_done};
use crate::common;
use aws_sdk_sfn::types::ExecutionStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HEAVY_MAP: &str = r#"{
  "QueryLanguage": "JSONata",
  "StartAt": "Sum",
  "States": {
    "Sum": {
      "Type": "Map",
      "Items": "{% [1..6] %}",
      "MaxConcurrency": 0,
      "ItemProcessor": {
        "StartAt": "Add",
        "States": {
          "Add": {"Type": "Pass", "Output": "{% $sum([1..3000000]) + $states.input %}", "End": true}
        }
      },
      "End": true
    }
  }
}"#;

/// Polls `url` from a thread and runtime of its own (so the probe is not stalled with the
/// server it measures) until `stop`; returns (checks, the longest a check took).
fn probe(url: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(usize, Duration)> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("probe runtime");
        runtime.block_on(async move {
            let http = reqwest::Client::new();
            let (mut checks, mut slowest) = (0, Duration::ZERO);
            while !stop.load(Ordering::SeqCst) {
                let asked = Instant::now();
                let answer = http.get(&url).send().await.expect("health");
                assert_eq!(answer.status(), 200);
                slowest = slowest.max(asked.elapsed());
                checks += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (checks, slowest)
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_at_once_while_heavy_jsonata_runs() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "heavy", HEAVY_MAP).await;
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(
        format!("{}/_stepyard/health", server.endpoint()),
        stop.clone(),
    );
    let begun = Instant::now();
    let arn = start(&client, &machine, "sum", "{}").await;
    let done = wait_until_done(&client, &arn).await;
    stop.store(true, Ordering::SeqCst);
    let (checks, slowest) = prober.join().expect("probe thread");
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{:?}", done.cause);
    let sums: Vec<f64> = serde_json::from_str(done.output().expect("output")).expect("JSON");
    let base = 3_000_000f64 * 3_000_001f64 / 2.0;
    assert_eq!(sums, (1..=6).map(|i| base + i as f64).collect::<Vec<_>>());
    println!(
        "{checks} health checks while the Map ran {:?}; slowest {slowest:?}",
        begun.elapsed()
    );
    assert!(
        checks > 5,
        "the Map finished too soon to tell: make it heavier"
    );
    // Without the hand-off, a check waits for whole evaluations (about a second each here).
    assert!(
        slowest < Duration::from_millis(500),
        "a health check waited {slowest:?} behind the heavy evaluation"
    );
}

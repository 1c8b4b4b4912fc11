//! What tracing costs on the hot paths, counted in process: allocations (count and bytes) and
//! CPU time (all of the process's threads, from /proc) per request, tracing on (the default
//! `--trace-buffer 1000`) against off, alternated round by round in one process.
//!
//! Allocation counts do not depend on what else the machine runs, so they are the figure to
//! compare on a busy machine; CPU time per request is noisier, wall time noisier still. The
//! client (reqwest, in the same process) is counted too: it is the same in both modes, so the
//! difference between the modes is the server's.
//!
//! Usage: `cargo bench --bench trace_cost [-- ROUNDS [REQUESTS]]` (default 3 rounds of 3,000).
//! `TRACE_COST_SCENARIOS=0,1` and `TRACE_COST_MODES=on` run a subset (see `main`),
//! `TRACE_COST_BUFFER=N` sets the ring's size with tracing on, `TRACE_COST_SIZES=1` prints
//! the difference in allocations by size; under
//! `valgrind --tool=callgrind` the instructions counted show where the difference goes,
//! where perf cannot sample in a container.
//! Scenarios: PutEvents on a bus with 100 rules (one matches; its target an SQS queue;
//! deliveries waited for), the same on a bus of that one rule alone, PutEvents -> SQS ->
//! ReceiveMessage + DeleteMessage round with one rule, SendMessage, StartSyncExecution of a
//! five-state Express machine. For the A/B against another build over HTTP see `benches/trace-cost.sh`.

use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use stepyard::{Config, RunningServer, Server};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
/// Allocations by size: bucket `b` counts sizes of `b` bits (1, 2-3, 4-7, ... bytes), to see
/// which of tracing's allocations are left (`TRACE_COST_SIZES=1` prints the difference).
static SIZES: [AtomicU64; BUCKETS] = [const { AtomicU64::new(0) }; BUCKETS];
const BUCKETS: usize = 24;

#[inline]
fn count(size: usize) {
    ALLOCS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(size as u64, Ordering::Relaxed);
    let bucket = (usize::BITS - size.leading_zeros()) as usize;
    SIZES[bucket.min(BUCKETS - 1)].fetch_add(1, Ordering::Relaxed);
}

fn sizes() -> [u64; BUCKETS] {
    std::array::from_fn(|b| SIZES[b].load(Ordering::Relaxed))
}

// The binary's allocator, counted: a relaxed add per allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { tikv_jemallocator::Jemalloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { tikv_jemallocator::Jemalloc.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { tikv_jemallocator::Jemalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// CPU time of every thread of this process so far, in nanoseconds.
fn cpu_ns() -> u64 {
    let mut total = 0;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) {
                total += text
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    total
}

struct Client {
    http: reqwest::Client,
    endpoint: String,
}

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0";

impl Client {
    async fn call(&self, service: &str, target: &str, body: Value) -> Value {
        let version = if service == "events" { "1.1" } else { "1.0" };
        let response = self
            .http
            .post(&self.endpoint)
            .header("Content-Type", format!("application/x-amz-json-{version}"))
            .header("X-Amz-Target", target)
            .header("Authorization", AUTH.replace("{}", service))
            .body(body.to_string())
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let text = response.text().await.expect("a body");
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(status.is_success(), "{target}: {status} {text}");
        value
    }

    async fn messages(&self, url: &str) -> u64 {
        let got = self
            .call(
                "sqs",
                "AmazonSQS.GetQueueAttributes",
                json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]}),
            )
            .await;
        got["Attributes"]["ApproximateNumberOfMessages"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

/// Per-request figures of one run.
#[derive(Clone, Copy)]
struct Figures {
    allocs: f64,
    bytes: f64,
    cpu_us: f64,
    wall_us: f64,
    /// Allocations per request by size bucket (see `SIZES`).
    sizes: [f64; BUCKETS],
}

impl Default for Figures {
    fn default() -> Self {
        Figures {
            allocs: 0.0,
            bytes: 0.0,
            cpu_us: 0.0,
            wall_us: 0.0,
            sizes: [0.0; BUCKETS],
        }
    }
}

/// Allocations per request by size bucket since `before`.
fn sizes_since(before: [u64; BUCKETS], n: f64) -> [f64; BUCKETS] {
    let now = sizes();
    std::array::from_fn(|b| (now[b] - before[b]) as f64 / n)
}

async fn measure<F, Fut>(requests: u64, mut run: F) -> Figures
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (a0, b0, c0, t0, s0) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
        cpu_ns(),
        Instant::now(),
        sizes(),
    );
    for i in 0..requests {
        run(i).await;
    }
    let wall = t0.elapsed();
    let n = requests as f64;
    Figures {
        allocs: (ALLOCS.load(Ordering::Relaxed) - a0) as f64 / n,
        bytes: (BYTES.load(Ordering::Relaxed) - b0) as f64 / n,
        cpu_us: (cpu_ns() - c0) as f64 / 1000.0 / n,
        wall_us: wall.as_secs_f64() * 1e6 / n,
        sizes: sizes_since(s0, n),
    }
}

async fn server(trace_buffer: usize) -> (RunningServer, Client) {
    let config = Config {
        trace_buffer,
        ..Config::ephemeral()
    };
    let server = Server::start(config).await.expect("binds 127.0.0.1:0");
    let client = Client {
        http: reqwest::Client::new(),
        endpoint: server.endpoint(),
    };
    (server, client)
}

/// PutEvents of one entry on a bus of `rules` rules, one of which matches (target: a queue),
/// deliveries included (waited for before the figures are read).
async fn put_events(client: &Client, requests: u64, rules: usize) -> Figures {
    let url = client
        .call("sqs", "AmazonSQS.CreateQueue", json!({"QueueName": "sink"}))
        .await["QueueUrl"]
        .as_str()
        .expect("a queue URL")
        .to_string();
    for i in 0..rules {
        let name = format!("rule-{i}");
        client
            .call(
                "events",
                "AWSEvents.PutRule",
                json!({"Name": name, "EventPattern": json!({"source": [format!("app.{i}")], "detail": {"amount": [{"numeric": [">", 100]}]}}).to_string()}),
            )
            .await;
        client
            .call(
                "events",
                "AWSEvents.PutTargets",
                json!({"Rule": name, "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:sink"}]}),
            )
            .await;
    }
    let source = format!("app.{}", 7.min(rules - 1));
    let entry = json!({"Entries": [{"Source": source, "DetailType": "order", "Detail": json!({"amount": 150, "customer": "c-1"}).to_string()}]});
    // Fill the ring first, so that each new trace evicts an old one as in a long run.
    for _ in 0..1200 {
        client
            .call("events", "AWSEvents.PutEvents", entry.clone())
            .await;
    }
    while client.messages(&url).await < 1200 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    client
        .call("sqs", "AmazonSQS.PurgeQueue", json!({"QueueUrl": url}))
        .await;
    let figures = measure(requests, |_| {
        let entry = entry.clone();
        async move {
            client.call("events", "AWSEvents.PutEvents", entry).await;
        }
    })
    .await;
    // The deliveries are asynchronous: wait for them inside the measurement.
    let (a0, b0, c0, s0) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
        cpu_ns(),
        sizes(),
    );
    while client.messages(&url).await < requests {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let n = requests as f64;
    Figures {
        allocs: figures.allocs + (ALLOCS.load(Ordering::Relaxed) - a0) as f64 / n,
        bytes: figures.bytes + (BYTES.load(Ordering::Relaxed) - b0) as f64 / n,
        cpu_us: figures.cpu_us + (cpu_ns() - c0) as f64 / 1000.0 / n,
        wall_us: figures.wall_us,
        sizes: {
            let waited = sizes_since(s0, n);
            std::array::from_fn(|b| figures.sizes[b] + waited[b])
        },
    }
}

/// PutEvents -> rule -> SQS, then ReceiveMessage (long poll) and DeleteMessage: one round
/// per request, as `benches/events-bench.sh` (a) times it.
async fn event_round(client: &Client, requests: u64) -> Figures {
    let url = client
        .call(
            "sqs",
            "AmazonSQS.CreateQueue",
            json!({"QueueName": "latency"}),
        )
        .await["QueueUrl"]
        .as_str()
        .expect("a queue URL")
        .to_string();
    client
        .call(
            "events",
            "AWSEvents.PutRule",
            json!({"Name": "latency", "EventPattern": json!({"source": ["latency"]}).to_string()}),
        )
        .await;
    client
        .call(
            "events",
            "AWSEvents.PutTargets",
            json!({"Rule": "latency", "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:latency"}]}),
        )
        .await;
    let entry =
        json!({"Entries": [{"Source": "latency", "DetailType": "tick", "Detail": "{\"n\":1}"}]});
    let round = |_| {
        let entry = entry.clone();
        let url = url.clone();
        async move {
            client.call("events", "AWSEvents.PutEvents", entry).await;
            let got = client
                .call(
                    "sqs",
                    "AmazonSQS.ReceiveMessage",
                    json!({"QueueUrl": url, "WaitTimeSeconds": 2, "MaxNumberOfMessages": 1}),
                )
                .await;
            let handle = got["Messages"][0]["ReceiptHandle"]
                .as_str()
                .expect("the event arrived within 2 s")
                .to_string();
            client
                .call(
                    "sqs",
                    "AmazonSQS.DeleteMessage",
                    json!({"QueueUrl": url, "ReceiptHandle": handle}),
                )
                .await;
        }
    };
    measure(1200, round).await;
    measure(requests, round).await
}

/// SendMessage of a small body.
async fn send_message(client: &Client, requests: u64) -> Figures {
    let url = client
        .call("sqs", "AmazonSQS.CreateQueue", json!({"QueueName": "send"}))
        .await["QueueUrl"]
        .as_str()
        .expect("a queue URL")
        .to_string();
    let send = |_| {
        let body = json!({"QueueUrl": url, "MessageBody": "hello"});
        async move {
            client.call("sqs", "AmazonSQS.SendMessage", body).await;
        }
    };
    measure(1200, send).await;
    measure(requests, send).await
}

/// StartSyncExecution of the 5-state Express machine `benches/sfn-bench.sh` (a) runs
/// (Pass, Choice, Pass, Pass: five states entered per execution).
async fn express_sync(client: &Client, requests: u64) -> Figures {
    let definition = json!({"StartAt": "Validate", "States": {
        "Validate": {"Type": "Pass", "Parameters": {"id.$": "$.order.id", "total.$": "$.order.total",
            "count.$": "States.ArrayLength($.order.items)"}, "Next": "Route"},
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.total", "NumericGreaterThan": 100,
            "Next": "Large"}], "Default": "Small"},
        "Large": {"Type": "Pass", "Result": "large", "ResultPath": "$.size", "Next": "Tag"},
        "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "Next": "Tag"},
        "Tag": {"Type": "Pass", "Parameters": {"order.$": "$.id", "size.$": "$.size",
            "count.$": "$.count"}, "End": true}}});
    let arn = client
        .call(
            "states",
            "AWSStepFunctions.CreateStateMachine",
            json!({"name": "bench", "type": "EXPRESS", "roleArn": "arn:aws:iam::000000000000:role/r",
                "definition": definition.to_string()}),
        )
        .await["stateMachineArn"]
        .as_str()
        .expect("a state machine ARN")
        .to_string();
    let input = json!({"order": {"id": 42, "total": 120, "items": [1, 2, 3]}}).to_string();
    let run = |_| {
        let body = json!({"stateMachineArn": arn, "input": input});
        async move {
            let out = client
                .call("states", "AWSStepFunctions.StartSyncExecution", body)
                .await;
            assert_eq!(out["status"], "SUCCEEDED", "{out}");
        }
    };
    measure(1200, run).await;
    measure(requests, run).await
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The recording path alone, in a loop: a call's span into a new trace of its own (the ring
/// full, so each evicts the oldest), then a second span into the same trace.
fn record_alone() {
    use stepyard::trace::context::TraceContext;
    use stepyard::trace::{Span, Tracer};
    let tracer = Tracer::new(
        stepyard::Clock::new(),
        1000,
        stepyard::trace::DEFAULT_BUFFER_BYTES,
        None,
    );
    let n = 200_000u64;
    let (a0, t0) = (ALLOCS.load(Ordering::Relaxed), Instant::now());
    for _ in 0..n {
        let ctx = TraceContext::root(1_700_000_000);
        let now = tracer.now_us();
        tracer.record(
            Span::new(&ctx, "sqs", "SendMessage", now)
                .resource("arn:aws:sqs:us-east-1:000000000000:bench")
                .attr("MessageId", "5fea7756-0ea4-451a-a703-a558b933e274"),
        );
        let child = ctx.child();
        tracer.record(Span::new(&child, "sqs", "ReceiveMessage", tracer.now_us()));
    }
    let ns = t0.elapsed().as_nanos() as f64 / n as f64;
    let allocs = (ALLOCS.load(Ordering::Relaxed) - a0) as f64 / n as f64;
    println!("recording alone: {ns:.0} ns and {allocs:.1} allocations per trace of two spans");
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::var_os("TRACE_COST_SCENARIOS").is_none() {
        record_alone();
    }
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rounds = args.first().copied().unwrap_or(3);
    let requests = args.get(1).copied().unwrap_or(3000);
    let scenarios = [
        "PutEvents, 100 rules",
        "PutEvents, 1 rule (matched)",
        "PutEvents->SQS->Receive+Delete",
        "SendMessage",
        "Express StartSyncExecution",
    ];
    // A subset, e.g. to count instructions under `valgrind --tool=callgrind`:
    // TRACE_COST_SCENARIOS=0,2 (indexes into `scenarios`), TRACE_COST_MODES=on|off.
    let only = |var: &str, i: usize, name: &str| {
        std::env::var(var).map_or(true, |v| {
            v.split(',').any(|x| x == name || x.parse() == Ok(i))
        })
    };
    // results[scenario][mode] = figures per round; mode 0 = on, 1 = off.
    let mut results = vec![vec![Vec::<Figures>::new(); 2]; scenarios.len()];
    // The "on" mode's ring size (`TRACE_COST_BUFFER`, default 1000 as the binary's): a small
    // ring tells what keeping a thousand traces costs apart from recording them.
    let on_buffer: usize = std::env::var("TRACE_COST_BUFFER")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(1000);
    for round in 0..rounds {
        for (mode, buffer) in [(0usize, on_buffer), (1, 0)] {
            if !only("TRACE_COST_MODES", mode, ["on", "off"][mode]) {
                continue;
            }
            for (s, _) in scenarios.iter().enumerate() {
                if !only("TRACE_COST_SCENARIOS", s, "") {
                    continue;
                }
                let (server, client) = server(buffer).await;
                let f = match s {
                    0 => put_events(&client, requests, 100).await,
                    1 => put_events(&client, requests, 1).await,
                    2 => event_round(&client, requests).await,
                    3 => send_message(&client, requests).await,
                    _ => express_sync(&client, requests).await,
                };
                results[s][mode].push(f);
                drop(client);
                server.shutdown().await;
            }
        }
        eprintln!("round {} of {rounds} done", round + 1);
    }
    println!(
        "per request, median of {rounds} rounds of {requests} (client in process, counted too):"
    );
    println!(
        "{:<34} {:>5} {:>9} {:>10} {:>9} {:>9}",
        "scenario", "trace", "allocs", "bytes", "cpu us", "wall us"
    );
    for (s, name) in scenarios.iter().enumerate() {
        for (mode, label) in [(0, "on"), (1, "off")] {
            let runs = &results[s][mode];
            if runs.is_empty() {
                continue;
            }
            println!(
                "{:<34} {:>5} {:>9.1} {:>10.0} {:>9.1} {:>9.1}",
                name,
                label,
                median(runs.iter().map(|f| f.allocs).collect()),
                median(runs.iter().map(|f| f.bytes).collect()),
                median(runs.iter().map(|f| f.cpu_us).collect()),
                median(runs.iter().map(|f| f.wall_us).collect()),
            );
        }
    }
    if std::env::var_os("TRACE_COST_SIZES").is_some() {
        // Where tracing's allocations are, by size: on minus off, per request (medians).
        println!("allocations per request by size, tracing on minus off (|difference| >= 0.2):");
        for (s, name) in scenarios.iter().enumerate() {
            let [on, off] = [0, 1].map(|mode| &results[s][mode]);
            if on.is_empty() || off.is_empty() {
                continue;
            }
            let diffs: Vec<String> = (0..BUCKETS)
                .filter_map(|b| {
                    let d = median(on.iter().map(|f| f.sizes[b]).collect())
                        - median(off.iter().map(|f| f.sizes[b]).collect());
                    let low = if b == 0 { 0 } else { 1u64 << (b - 1) };
                    (d.abs() >= 0.2).then(|| format!("{low}-{}B: {d:+.1}", (1u64 << b) - 1))
                })
                .collect();
            println!("{name:<34} {}", diffs.join(", "));
        }
    }
}

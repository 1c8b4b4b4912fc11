//! The `stepyard` binary as a process: SIGTERM while a consumer long-polls, the per-request
//! debug log, and the `health` subcommand the container image uses.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `stepyard` (built by `cargo test` itself) and everything it has logged.
pub(crate) struct Process {
    pub(crate) child: Child,
    pub(crate) endpoint: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Process {
    pub(crate) fn start(args: &[&str]) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stepyard"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the stepyard binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.split("stepyard ready on ").nth(1) {
                    let _ = ready_tx.send(url.trim().to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let endpoint = ready_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("stepyard logs its endpoint within 20 s");
        Process {
            child,
            endpoint,
            log,
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit; returns when it did.
    fn wait_exit(&mut self, limit: Duration) -> Option<Instant> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "exit status {status}");
                return Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn sqs(&self) -> aws_sdk_sqs::Client {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .retry_config(aws_sdk_sqs::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_sqs::Client::from_conf(config)
    }
}

impl Process {
    pub(crate) fn sfn(&self) -> aws_sdk_sfn::Client {
        let config = aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_sfn::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_sfn::Client::from_conf(config)
    }

    /// The process's resident set (VmRSS), in MB.
    pub(crate) fn rss_mb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn sigterm_answers_a_long_poll_at_once_and_exits_within_a_second() {
    let mut server = Process::start(&[]);
    let sqs = server.sqs();
    let url = sqs
        .create_queue()
        .queue_name("jobs")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let poll = tokio::spawn({
        let sqs = sqs.clone();
        async move {
            let answer = sqs
                .receive_message()
                .queue_url(url)
                .wait_time_seconds(20)
                .send()
                .await;
            (answer, Instant::now())
        }
    });
    // Let the receive reach the server and start waiting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let signalled = Instant::now();
    server.signal("TERM");

    let (answer, answered) = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the long poll is answered well before its 20 s")
        .unwrap();
    let answer = answer.expect("the long poll gets a response, not a cut connection");
    assert!(answer.messages().is_empty(), "{answer:?}");
    assert!(
        answered - signalled < Duration::from_secs(1),
        "answered {:?} after SIGTERM",
        answered - signalled
    );
    let exited = tokio::task::spawn_blocking(move || {
        let exited = server.wait_exit(Duration::from_secs(5));
        (exited, server)
    })
    .await
    .unwrap();
    let exited = exited.0.expect("the process exits after SIGTERM");
    assert!(
        exited.saturating_duration_since(answered) < Duration::from_secs(1),
        "exited {:?} after the last response",
        exited.saturating_duration_since(answered)
    );
}

#[tokio::test]
async fn sigint_with_no_open_requests_exits_at_once() {
    let mut server = Process::start(&[]);
    server.sqs().list_queues().send().await.unwrap();
    let signalled = Instant::now();
    server.signal("INT");
    let exited = server
        .wait_exit(Duration::from_secs(5))
        .expect("the process exits after SIGINT");
    assert!(exited - signalled < Duration::from_secs(1));
}

#[tokio::test]
async fn debug_logs_each_request_with_its_error_code_and_duration() {
    let server = Process::start(&["--log-level", "stepyard=debug"]);
    let err = server
        .sqs()
        .get_queue_url()
        .queue_name("missing")
        .send()
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("NonExistentQueue"), "{err:?}");
    // The line is written after the response: give the logger a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    let line = loop {
        let found = server
            .log_lines()
            .into_iter()
            .find(|l| l.contains("operation=GetQueueUrl"));
        match found {
            Some(line) => break line,
            None if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            None => panic!("no request line in {:?}", server.log_lines()),
        }
    };
    for part in [
        "DEBUG",
        "service=\"sqs\"",
        "resource=\"missing\"",
        "status=400",
        "error=\"AWS.SimpleQueueService.NonExistentQueue\"",
        "duration_us=",
    ] {
        assert!(line.contains(part), "{part} missing in {line}");
    }
}

#[tokio::test]
async fn info_logs_nothing_per_request() {
    let server = Process::start(&[]);
    server.sqs().list_queues().send().await.unwrap();
    let _ = server
        .sqs()
        .get_queue_url()
        .queue_name("missing")
        .send()
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let lines = server.log_lines();
    assert!(lines.iter().all(|l| !l.contains("operation=")), "{lines:?}");
}

#[test]
fn health_subcommand_exits_zero_only_while_a_server_answers() {
    let server = Process::start(&[]);
    let port = server
        .endpoint
        .rsplit(':')
        .next()
        .expect("the endpoint has a port")
        .to_string();
    let health = |port: &str| {
        Command::new(env!("CARGO_BIN_EXE_stepyard"))
            .args(["--host", "0.0.0.0", "--port", port, "health"])
            .output()
            .expect("stepyard health runs")
    };
    let up = health(&port);
    assert!(up.status.success(), "{up:?}");
    drop(server);
    let down = health(&port);
    assert_eq!(down.status.code(), Some(1), "{down:?}");
}

/// The same through `RunningServer::shutdown` in process, for Step Functions' long poll.
#[tokio::test]
async fn shutdown_answers_an_activity_worker_long_poll_with_no_task() {
    let server = crate::common::start().await;
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .region(aws_sdk_sfn::config::Region::new("us-east-1"))
        .endpoint_url(server.endpoint())
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
        .build();
    let sfn = aws_sdk_sfn::Client::from_conf(config);
    let activity = sfn
        .create_activity()
        .name("work")
        .send()
        .await
        .unwrap()
        .activity_arn;
    let poll =
        tokio::spawn(async move { sfn.get_activity_task().activity_arn(activity).send().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!poll.is_finished(), "the poll waits for a task");
    let shutdown = tokio::spawn(server.shutdown());
    let task = tokio::time::timeout(Duration::from_secs(2), poll)
        .await
        .expect("the poll is answered at once, not after its 60 s")
        .unwrap()
        .expect("an answer, not a cut connection");
    assert_eq!(task.task_token(), None);
    tokio::time::timeout(Duration::from_secs(2), shutdown)
        .await
        .expect("shutdown completes once the poll is answered")
        .unwrap();
}

/// An inline Map over a million items with MaxConcurrency 0 runs at most 40 iterations at once
/// (AWS's inline limit), so memory stays bounded while it runs (it took 1.1 GB when every
/// iteration started at once), and what it held is given back once it ends.
#[tokio::test]
async fn a_million_item_map_keeps_memory_bounded_and_returns_it() {
    let server = Process::start(&[]);
    let sfn = server.sfn();
    let definition = r#"{
      "QueryLanguage": "JSONata",
      "StartAt": "M",
      "States": {"M": {
        "Type": "Map", "Items": "{% [1..1000000] %}", "MaxConcurrency": 0,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                          "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true}}
    }"#;
    let machine = sfn
        .create_state_machine()
        .name("million")
        .definition(definition)
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let before = server.rss_mb();
    let execution = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap()
        .execution_arn;
    let started = Instant::now();
    let mut peak = before;
    let status = loop {
        peak = peak.max(server.rss_mb());
        let described = sfn
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .unwrap();
        if described.status.as_str() != "RUNNING" {
            break described;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the Map still runs after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // The history reaches AWS's 25,000 events long before the million items are done.
    assert_eq!(status.status.as_str(), "FAILED", "{status:?}");
    assert_eq!(status.error(), Some("States.Runtime"), "{status:?}");
    assert!(
        peak < before + 300,
        "RSS went from {before} MB to {peak} MB while the Map ran"
    );
    // jemalloc's background threads hand freed pages back within a few seconds.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut after = server.rss_mb();
    while after > before + 120 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        after = server.rss_mb();
    }
    eprintln!("RSS: {before} MB before, {peak} MB at most, {after} MB after");
    assert!(
        after <= before + 120,
        "RSS stayed at {after} MB after the Map failed (from {before} MB, peak {peak} MB)"
    );
}

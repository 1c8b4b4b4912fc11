//! The order workflow of the README, end to end, with the real AWS SDKs against stepyard:
//!
//! PutEvents(OrderPlaced) -> rule -> Step Functions execution -> `sqs:sendMessage
//! .waitForTaskToken` to a payments queue -> a payment worker receives the message and calls
//! SendTaskSuccess -> `sns:publish` to an orders topic -> fan-out to two queues -> the
//! execution's status-change event reaches a rule -> an audit queue.
//!
//! `cargo run --example order_workflow` starts stepyard in-process and runs it once;
//! `-- --latency N` then measures PutEvents -> execution started -> sqs:sendMessage ->
//! message received, N times, and prints p50/p99. `cargo test --example order_workflow`
//! runs it as a test.

use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use stepyard::{Config, Server};

const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";

struct Clients {
    sqs: aws_sdk_sqs::Client,
    sns: aws_sdk_sns::Client,
    sfn: aws_sdk_sfn::Client,
    eb: aws_sdk_eventbridge::Client,
}

async fn clients(endpoint: &str) -> Clients {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "example",
        ))
        .load()
        .await;
    Clients {
        sqs: aws_sdk_sqs::Client::new(&config),
        sns: aws_sdk_sns::Client::new(&config),
        sfn: aws_sdk_sfn::Client::new(&config),
        eb: aws_sdk_eventbridge::Client::new(&config),
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The queues and the state machine the workflow uses.
struct Shop {
    payments: String,
    shipping: String,
    invoicing: String,
    audit: String,
    machine: String,
}

fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
}

async fn set_up(c: &Clients) -> Result<Shop, Error> {
    let mut urls = Vec::new();
    for name in ["payments", "shipping", "invoicing", "audit"] {
        let url = c
            .sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await?
            .queue_url;
        urls.push(url.ok_or("CreateQueue returned no URL")?);
    }
    let topic = c
        .sns
        .create_topic()
        .name("orders")
        .send()
        .await?
        .topic_arn
        .ok_or("CreateTopic returned no ARN")?;
    for queue in ["shipping", "invoicing"] {
        c.sns
            .subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(queue_arn(queue))
            .attributes("RawMessageDelivery", "true")
            .send()
            .await?;
    }
    let definition = json!({
        "Comment": "Charge the order, then tell everyone it is paid",
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": urls[0],
                    "MessageBody": {"order.$": "$.detail", "taskToken.$": "$$.Task.Token"}
                },
                "TimeoutSeconds": 300,
                "ResultPath": "$.payment",
                "Next": "Announce"
            },
            "Announce": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {
                    "TopicArn": topic,
                    "Message": {"orderId.$": "$.detail.orderId", "paid.$": "$.payment.charged"}
                },
                "ResultSelector": {"messageId.$": "$.MessageId"},
                "End": true
            }
        }
    });
    let machine = c
        .sfn
        .create_state_machine()
        .name("order-workflow")
        .definition(definition.to_string())
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/order-workflow"))
        .send()
        .await?
        .state_machine_arn;
    c.eb.put_rule()
        .name("order-placed")
        .event_pattern(r#"{"source": ["shop"], "detail-type": ["OrderPlaced"]}"#)
        .send()
        .await?;
    c.eb.put_targets()
        .rule("order-placed")
        .targets(
            Target::builder()
                .id("workflow")
                .arn(&machine)
                .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/events"))
                .build()?,
        )
        .send()
        .await?;
    c.eb.put_rule()
        .name("order-audit")
        .event_pattern(
            json!({"source": ["aws.states"],
                   "detail-type": ["Step Functions Execution Status Change"],
                   "detail": {"stateMachineArn": [machine], "status": ["SUCCEEDED", "FAILED"]}})
            .to_string(),
        )
        .send()
        .await?;
    c.eb.put_targets()
        .rule("order-audit")
        .targets(
            Target::builder()
                .id("audit")
                .arn(queue_arn("audit"))
                .build()?,
        )
        .send()
        .await?;
    Ok(Shop {
        payments: urls[0].clone(),
        shipping: urls[1].clone(),
        invoicing: urls[2].clone(),
        audit: urls[3].clone(),
        machine,
    })
}

async fn place_order(c: &Clients, order_id: &str, amount: u64) -> Result<(), Error> {
    let out =
        c.eb.put_events()
            .entries(
                PutEventsRequestEntry::builder()
                    .source("shop")
                    .detail_type("OrderPlaced")
                    .detail(json!({"orderId": order_id, "amount": amount}).to_string())
                    .build(),
            )
            .send()
            .await?;
    if out.failed_entry_count != 0 {
        return Err(format!("PutEvents failed: {:?}", out.entries).into());
    }
    Ok(())
}

/// Waits (long polling) for one message on `url`, deletes it, returns its JSON body.
async fn next_message(c: &Clients, url: &str) -> Result<Value, Error> {
    for _ in 0..20 {
        let out = c
            .sqs
            .receive_message()
            .queue_url(url)
            .wait_time_seconds(1)
            .send()
            .await?;
        if let Some(m) = out.messages.unwrap_or_default().into_iter().next() {
            if let Some(handle) = m.receipt_handle() {
                c.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
            return Ok(serde_json::from_str(m.body().unwrap_or("null"))?);
        }
    }
    Err(format!("no message on {url} within 20 s").into())
}

/// One order through the whole workflow; returns the audit event.
async fn run_once(c: &Clients, shop: &Shop, order_id: &str) -> Result<Value, Error> {
    place_order(c, order_id, 42).await?;
    // The payment worker: the task token travels in the message.
    let payment = next_message(c, &shop.payments).await?;
    if payment["order"]["orderId"] != order_id {
        return Err(format!("unexpected payment request {payment}").into());
    }
    let token = payment["taskToken"].as_str().ok_or("no task token")?;
    c.sfn
        .send_task_success()
        .task_token(token)
        .output(json!({"charged": payment["order"]["amount"]}).to_string())
        .send()
        .await?;
    for url in [&shop.shipping, &shop.invoicing] {
        let announced = next_message(c, url).await?;
        if announced != json!({"orderId": order_id, "paid": 42}) {
            return Err(format!("unexpected announcement {announced}").into());
        }
    }
    let audit = next_message(c, &shop.audit).await?;
    if audit["detail"]["stateMachineArn"] != json!(shop.machine) {
        return Err(format!("unexpected audit event {audit}").into());
    }
    Ok(audit)
}

/// PutEvents -> rule -> execution -> sqs:sendMessage -> ReceiveMessage, `n` times.
async fn latency(c: &Clients, shop: &Shop, n: usize) -> Result<Vec<Duration>, Error> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        place_order(c, &format!("bench-{i}"), 1).await?;
        let payment = next_message(c, &shop.payments).await?;
        samples.push(started.elapsed());
        // Let the execution finish so that it does not pile up.
        if let Some(token) = payment["taskToken"].as_str() {
            c.sfn
                .send_task_success()
                .task_token(token)
                .output(r#"{"charged": 1}"#)
                .send()
                .await?;
        }
    }
    samples.sort();
    Ok(samples)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let rounds: Option<usize> = std::env::args()
        .skip_while(|a| a != "--latency")
        .nth(1)
        .and_then(|n| n.parse().ok());
    let server = Server::start(Config::ephemeral()).await?;
    let c = clients(&server.endpoint()).await;
    let shop = set_up(&c).await?;
    let audit = run_once(&c, &shop, "order-1").await?;
    println!(
        "order-1: paid, announced to 2 queues, audited as {}",
        audit["detail"]["status"]
    );
    if let Some(n) = rounds {
        // Drain the fan-out and audit queues as we go: only payments is measured.
        let samples = latency(&c, &shop, n).await?;
        let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
        println!(
            "PutEvents -> execution -> sqs:sendMessage -> received, {n} rounds: p50 {:.2} ms, p99 {:.2} ms",
            pick(0.5).as_secs_f64() * 1000.0,
            pick(0.99).as_secs_f64() * 1000.0
        );
    }
    server.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_order_workflow_runs_end_to_end() {
        let server = Server::start(Config::ephemeral()).await.unwrap();
        let c = clients(&server.endpoint()).await;
        let shop = set_up(&c).await.unwrap();
        let audit = run_once(&c, &shop, "order-1").await.unwrap();
        assert_eq!(audit["source"], "aws.states");
        assert_eq!(audit["detail"]["status"], "SUCCEEDED");
        let output: Value =
            serde_json::from_str(audit["detail"]["output"].as_str().unwrap()).unwrap();
        assert!(output["messageId"].is_string(), "{output}");
        // A second order goes through the same rules and machine.
        run_once(&c, &shop, "order-2").await.unwrap();
    }

    /// Reads a stepyard admin endpoint.
    async fn admin(endpoint: &str, path: &str) -> Value {
        reqwest::get(format!("{endpoint}{path}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_order_workflow_is_one_trace_across_events_states_sqs_and_sns() {
        let server = Server::start(Config::ephemeral()).await.unwrap();
        let endpoint = server.endpoint();
        let c = clients(&endpoint).await;
        let shop = set_up(&c).await.unwrap();
        let audit = run_once(&c, &shop, "order-1").await.unwrap();
        let execution_arn = audit["detail"]["executionArn"]
            .as_str()
            .unwrap()
            .to_string();

        // The execution names its trace, as DescribeExecution's traceHeader.
        let described = c
            .sfn
            .describe_execution()
            .execution_arn(&execution_arn)
            .send()
            .await
            .unwrap();
        let header = described
            .trace_header()
            .expect("the execution has a traceHeader");
        let trace_id = header
            .split(';')
            .find_map(|p| p.strip_prefix("Root="))
            .unwrap()
            .to_string();
        // The trace is found by the execution's ARN too.
        let listed = admin(
            &endpoint,
            &format!("/_stepyard/traces?resource={execution_arn}"),
        )
        .await;
        let summary = listed["traces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["traceId"] == trace_id.as_str())
            .unwrap_or_else(|| panic!("{trace_id} not in {listed}"))
            .clone();
        for service in ["events", "states", "sqs", "sns"] {
            assert!(
                summary["services"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(service)),
                "{service} missing from {summary}"
            );
        }
        // Deliveries finish after the audit message arrives; wait for the last spans.
        let mut spans = Vec::new();
        for _ in 0..50 {
            let trace = admin(&endpoint, &format!("/_stepyard/traces/{trace_id}")).await;
            spans = trace["spans"].as_array().unwrap().clone();
            let deletes = spans
                .iter()
                .filter(|s| s["name"] == "DeleteMessage")
                .count();
            if deletes >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let find = |service: &str, name: &str, resource: &str| -> Value {
            spans
                .iter()
                .find(|s| {
                    s["service"] == service
                        && s["name"] == name
                        && (resource.is_empty() || s["resource"] == resource)
                })
                .cloned()
                .unwrap_or_else(|| panic!("no {service} {name} {resource} in {spans:#?}"))
        };
        let start = |s: &Value| s["startUs"].as_u64().unwrap();
        let put = find("events", "PutEvents", "");
        let placed = find(
            "events",
            "EvaluateRule",
            &format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/order-placed"),
        );
        assert_eq!(placed["attributes"]["matched"], true);
        let started = find("states", "StartExecution", &shop.machine);
        assert_eq!(
            started["attributes"]["executionArn"],
            execution_arn.as_str()
        );
        let execution = find("states", "Execution", &execution_arn);
        assert_eq!(execution["attributes"]["status"], "SUCCEEDED");
        let charge = spans
            .iter()
            .find(|s| s["name"] == "State Charge")
            .expect("the Charge state's span");
        assert!(charge["attributes"]["input"]
            .as_str()
            .unwrap()
            .contains("order-1"));
        let payment = find("sqs", "SendMessage", &queue_arn("payments"));
        let payment_id = payment["attributes"]["MessageId"].as_str().unwrap();
        let received = spans
            .iter()
            .find(|s| s["name"] == "ReceiveMessage" && s["attributes"]["messageId"] == payment_id)
            .expect("the payment worker's receive joined the trace");
        let publish = find("sns", "Publish", "");
        let delivered = find("sqs", "SendMessage", &queue_arn("shipping"));
        find("sqs", "SendMessage", &queue_arn("invoicing"));
        // The execution's status-change events (RUNNING, then SUCCEEDED) are PutEvents too.
        let status_event = spans
            .iter()
            .filter(|s| s["name"] == "PutEvents" && start(s) > start(&put))
            .max_by_key(|s| start(s))
            .expect("the status-change event's PutEvents");
        let audit_rule = format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/order-audit");
        let audited = spans
            .iter()
            .find(|s| s["resource"] == audit_rule.as_str() && s["attributes"]["matched"] == true)
            .expect("the audit rule matched the SUCCEEDED event")
            .clone();
        // The order event and the RUNNING event did not match it, and their spans say why.
        let why: Vec<&Value> = spans
            .iter()
            .filter(|s| s["resource"] == audit_rule.as_str() && s["attributes"]["matched"] == false)
            .map(|s| &s["attributes"]["failedField"])
            .collect();
        assert!(why.contains(&&json!("detail-type")), "{why:?}");
        assert!(why.contains(&&json!("detail.status")), "{why:?}");
        let to_audit = find("sqs", "SendMessage", &queue_arn("audit"));
        // Causal order: each step starts after the one that caused it (times are in
        // microseconds; executions and states are timed in milliseconds).
        let chain = [
            &put,
            &placed,
            &started,
            &payment,
            received,
            &publish,
            status_event,
            &audited,
            &to_audit,
        ];
        for pair in chain.windows(2) {
            assert!(
                start(pair[0]) <= start(pair[1]),
                "{} {} starts after {} {}",
                pair[0]["service"],
                pair[0]["name"],
                pair[1]["service"],
                pair[1]["name"]
            );
        }
        assert!(start(&execution) / 1000 <= start(&payment) / 1000);
        // SNS fans out asynchronously: the delivery follows the Publish.
        assert!(start(&publish) <= start(&delivered));
        // Parent links: the payment message was sent by the execution's Task state, the
        // execution started by the rule's delivery.
        let by_id = |id: &Value| spans.iter().find(|s| s["spanId"] == *id).cloned();
        let task_state = by_id(&payment["parentSpanId"]).expect("the payment's parent is a span");
        assert!(
            task_state["name"].as_str().unwrap().starts_with("State "),
            "{task_state}"
        );
        assert_eq!(task_state["parentSpanId"], execution["spanId"]);
        assert_eq!(execution["parentSpanId"], started["spanId"]);
        assert_eq!(placed["parentSpanId"], put["spanId"]);
        let delivery =
            by_id(&started["parentSpanId"]).expect("StartExecution's parent is in the trace");
        assert_eq!(delivery["name"], "Deliver");
        assert_eq!(delivery["parentSpanId"], placed["spanId"]);
        // Every parent named is a span of the trace (the root's parent is the client's).
        for span in &spans {
            if span["spanId"] != put["spanId"] && !span["parentSpanId"].is_null() {
                assert!(by_id(&span["parentSpanId"]).is_some(), "orphan {span}");
            }
        }
        server.shutdown().await;
    }
}

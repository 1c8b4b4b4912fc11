//! HTTP endpoints, against a small HTTP server on 127.0.0.1 in the test: the
//! SubscriptionConfirmation POST, ConfirmSubscription with its token, Notification POSTs with
//! AWS's headers, retries per the delivery policy on the shared clock, and the dead-letter
//! queue once retries are spent.

use crate::common::{self, start};
use crate::support::*;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One request the endpoint received.
#[derive(Debug)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
}

/// An HTTP endpoint answering request i with `script[i]`, and `then` after the script.
pub struct Endpoint {
    pub url: String,
    pub requests: mpsc::UnboundedReceiver<Received>,
}

pub async fn scripted(script: Vec<u16>, then: u16) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    let seen = Arc::new(AtomicUsize::new(0));
    let script = Arc::new(script);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (tx, seen, script) = (tx.clone(), seen.clone(), script.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let (tx, seen, script) = (tx.clone(), seen.clone(), script.clone());
                    async move {
                        let headers = request
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                            .collect();
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let _ = tx.send(Received {
                            headers,
                            body: String::from_utf8_lossy(&body).into_owned(),
                        });
                        let i = seen.fetch_add(1, Ordering::SeqCst);
                        let status = script.get(i).copied().unwrap_or(then);
                        Ok::<_, std::convert::Infallible>(
                            hyper::Response::builder()
                                .status(status)
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Endpoint { url, requests: rx }
}

impl Endpoint {
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(5), self.requests.recv())
            .await
            .expect("the endpoint got a request within 5 s")
            .expect("endpoint open")
    }
}

/// Subscribes the endpoint and confirms it with the token from the confirmation POST.
async fn subscribe_and_confirm(
    sns: &aws_sdk_sns::Client,
    topic: &str,
    endpoint: &mut Endpoint,
    attributes: &[(&str, &str)],
) -> String {
    let mut request = sns
        .subscribe()
        .topic_arn(topic)
        .protocol("http")
        .endpoint(&endpoint.url);
    for (k, v) in attributes {
        request = request.attributes(*k, *v);
    }
    let out = request.send().await.unwrap();
    assert_eq!(
        out.subscription_arn.as_deref(),
        Some("pending confirmation")
    );
    let confirmation = endpoint.next().await;
    assert_eq!(
        confirmation.headers["x-amz-sns-message-type"],
        "SubscriptionConfirmation"
    );
    assert_eq!(confirmation.headers["x-amz-sns-topic-arn"], topic);
    let body = json(&confirmation.body);
    assert_eq!(body["Type"], "SubscriptionConfirmation");
    assert_eq!(body["TopicArn"], topic);
    let token = body["Token"].as_str().unwrap();
    sns.confirm_subscription()
        .topic_arn(topic)
        .token(token)
        .send()
        .await
        .unwrap()
        .subscription_arn
        .unwrap()
}

#[tokio::test]
async fn confirmation_then_notifications_with_aws_headers() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let mut hook = scripted(vec![], 200).await;
    let sub = subscribe_and_confirm(&sns, &topic, &mut hook, &[]).await;
    let id = sns
        .publish()
        .topic_arn(&topic)
        .message("to the web")
        .subject("s")
        .send()
        .await
        .unwrap()
        .message_id
        .unwrap();
    let got = hook.next().await;
    assert_eq!(got.headers["x-amz-sns-message-type"], "Notification");
    assert_eq!(got.headers["x-amz-sns-message-id"], id);
    assert_eq!(got.headers["x-amz-sns-topic-arn"], topic);
    assert_eq!(got.headers["x-amz-sns-subscription-arn"], sub);
    assert_eq!(got.headers["content-type"], "text/plain; charset=UTF-8");
    assert_eq!(
        got.headers["user-agent"],
        "Amazon Simple Notification Service Agent"
    );
    let envelope = json(&got.body);
    assert_eq!(envelope["Message"], "to the web");
    assert_eq!(envelope["Subject"], "s");
    assert_eq!(envelope["MessageId"], id.as_str());
}

#[tokio::test]
async fn a_pending_http_subscription_gets_no_notifications() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let mut hook = scripted(vec![], 200).await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&hook.url)
        .send()
        .await
        .unwrap();
    let _confirmation = hook.next().await;
    publish(&sns, &topic, "not yet").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        hook.requests.try_recv().is_err(),
        "nothing is sent before confirmation"
    );
}

#[tokio::test]
async fn raw_http_delivery_posts_the_message_itself() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let mut hook = scripted(vec![], 200).await;
    subscribe_and_confirm(&sns, &topic, &mut hook, &[("RawMessageDelivery", "true")]).await;
    publish(&sns, &topic, "plain body").await;
    let got = hook.next().await;
    assert_eq!(got.body, "plain body");
    assert_eq!(got.headers["x-amz-sns-rawdelivery"], "true");
}

#[tokio::test]
async fn failed_posts_are_retried_on_the_clock_per_the_delivery_policy() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    // The confirmation fails once, then the first notification attempt; retries 10 s apart.
    let mut hook = scripted(vec![500, 200, 500, 200], 200).await;
    let policy =
        r#"{"healthyRetryPolicy":{"minDelayTarget":10,"maxDelayTarget":10,"numRetries":3}}"#;
    let out = sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&hook.url)
        .attributes("DeliveryPolicy", policy)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.subscription_arn.as_deref(),
        Some("pending confirmation")
    );
    let first = hook.next().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.clock().advance(Duration::from_secs(20));
    let again = hook.next().await;
    assert_eq!(first.body, again.body, "the confirmation is sent again");
    let token = json(&again.body)["Token"].as_str().unwrap().to_string();
    sns.confirm_subscription()
        .topic_arn(&topic)
        .token(token)
        .send()
        .await
        .unwrap();

    publish(&sns, &topic, "retry me").await;
    let attempt1 = hook.next().await;
    assert_eq!(json(&attempt1.body)["Message"], "retry me");
    // Nothing more until the clock moves past the retry delay.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(hook.requests.try_recv().is_err());
    server.clock().advance(Duration::from_secs(10));
    let attempt2 = hook.next().await;
    assert_eq!(attempt1.body, attempt2.body);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let recorded = server.state().sns.deliveries();
    let notification = recorded.iter().find(|d| d.kind == "Notification").unwrap();
    assert_eq!(notification.attempts, Some(2));
    assert!(notification.delivered);
}

#[tokio::test]
async fn after_the_last_retry_the_message_goes_to_the_dead_letter_queue() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (dlq_url, dlq_arn) = queue(&sqs, "dlq").await;
    // Every request fails; the confirmation still carries the token.
    let mut hook = scripted(vec![], 503).await;
    let policy = r#"{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":2}}"#;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&hook.url)
        .attributes("DeliveryPolicy", policy)
        .attributes(
            "RedrivePolicy",
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}"}}"#),
        )
        .send()
        .await
        .unwrap();
    let confirmation = hook.next().await;
    let token = json(&confirmation.body)["Token"]
        .as_str()
        .unwrap()
        .to_string();
    sns.confirm_subscription()
        .topic_arn(&topic)
        .token(token)
        .send()
        .await
        .unwrap();

    let id = publish(&sns, &topic, "undeliverable").await;
    let _first = hook.next().await;
    for _ in 0..2 {
        // Let the delivery task start its wait before moving the clock.
        tokio::time::sleep(Duration::from_millis(100)).await;
        server.clock().advance(Duration::from_secs(1));
        let retry = hook.next().await;
        assert_eq!(json(&retry.body)["MessageId"], id.as_str());
    }
    let got = receive_n(&sqs, &dlq_url, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(json(got[0].body().unwrap_or(""))["MessageId"], id.as_str());
    let recorded = server.state().sns.deliveries();
    let notification = recorded.iter().find(|d| d.kind == "Notification").unwrap();
    assert_eq!(
        (notification.attempts, notification.delivered),
        (Some(3), false)
    );
}

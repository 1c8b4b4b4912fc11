//! HTTP/S endpoints: SubscriptionConfirmation / UnsubscribeConfirmation POSTs and
//! Notification POSTs with AWS's `x-amz-sns-*` headers, retried per the delivery policy.
//! Waits between retries go through the shared clock, so tests advance time instead of
//! sleeping. A 2xx answer is a delivery; anything else (or no answer) is retried, and once
//! the retries are spent the message goes to the dead-letter queue if there is one.
//!
//! Plain `http://` is sent over a fresh HTTP/1.1 connection. stepyard has no TLS client, so an
//! `https://` endpoint is attempted as plain HTTP on its port (fine for local test servers,
//! which is what an emulator talks to) — recorded as such.

use super::super::message::Notification;
use super::super::subscription::Subscription;
use super::recorded::RecordedDelivery;
use super::retry::RetryPolicy;
use super::{dead_letter, queue_message, Deliverer};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::time::Duration;
use tokio::net::TcpStream;

/// How long one attempt may take (AWS's HTTP/S delivery timeout is 15 s). A network
/// deadline, not an emulated timer, so it is real time.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

struct Post<'a> {
    endpoint: &'a str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

/// One POST; Ok(status) when the endpoint answered.
async fn post(p: &Post<'_>) -> Result<u16, String> {
    let uri: http::Uri = p
        .endpoint
        .parse()
        .map_err(|e| format!("bad endpoint: {e}"))?;
    let host = uri.host().ok_or("endpoint has no host")?.to_string();
    let default_port = if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    };
    let port = uri.port_u16().unwrap_or(default_port);
    let path = uri
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let attempt = async {
        let stream = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut request = http::Request::post(path)
            .header(http::header::HOST, format!("{host}:{port}"))
            .header(
                http::header::USER_AGENT,
                "Amazon Simple Notification Service Agent",
            )
            .header(http::header::CONTENT_TYPE, "text/plain; charset=UTF-8");
        for (name, value) in &p.headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(p.body.clone())))
            .map_err(|e| format!("request: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = response.status().as_u16();
        // Read the answer so the endpoint sees its response consumed.
        let _ = response.into_body().collect().await;
        Ok::<u16, String>(status)
    };
    crate::clock::real_timeout(ATTEMPT_TIMEOUT, attempt)
        .await
        .ok_or_else(|| "timed out".to_string())?
}

/// Sends with retries; returns (attempts, delivered).
async fn send_with_retries(d: &Deliverer, p: &Post<'_>, policy: &RetryPolicy) -> (u32, bool) {
    let mut attempts = 0;
    let mut delays = policy.delays().into_iter();
    loop {
        attempts += 1;
        match post(p).await {
            Ok(status) if (200..300).contains(&status) => return (attempts, true),
            Ok(status) => tracing::debug!(endpoint = p.endpoint, status, "HTTP delivery refused"),
            Err(error) => tracing::debug!(endpoint = p.endpoint, %error, "HTTP delivery failed"),
        }
        let Some(delay) = delays.next() else {
            return (attempts, false);
        };
        d.clock.sleep(Duration::from_secs(delay)).await;
    }
}

pub async fn notify(d: &Deliverer, n: &Notification, s: &Subscription) {
    let message = n.message_for(&s.protocol);
    let raw = s.raw();
    let body = if raw {
        message.to_string()
    } else {
        queue_message::envelope_for(n, s, message)
    };
    let mut headers = vec![
        ("x-amz-sns-message-type", "Notification".to_string()),
        ("x-amz-sns-message-id", n.message_id.clone()),
        ("x-amz-sns-topic-arn", s.topic_arn.clone()),
        ("x-amz-sns-subscription-arn", s.arn.clone()),
    ];
    if raw {
        headers.push(("x-amz-sns-rawdelivery", "true".to_string()));
    }
    let post = Post {
        endpoint: &s.endpoint,
        headers,
        body: body.clone(),
    };
    let policy = RetryPolicy::resolve(
        s.attributes.get("DeliveryPolicy").map(String::as_str),
        n.topic_delivery_policy.as_deref(),
    );
    let (attempts, delivered) = send_with_retries(d, &post, &policy).await;
    let mut record = RecordedDelivery::notification(s, n, body, d.clock.now_millis());
    record.attempts = Some(attempts);
    record.delivered = delivered;
    d.recorded.push(record);
    if !delivered {
        dead_letter::send(d, n, s, message, n.trace.child()).await;
    }
}

pub async fn confirm(d: &Deliverer, s: &Subscription, kind: &'static str, body: String) {
    let post = Post {
        endpoint: &s.endpoint,
        headers: vec![
            ("x-amz-sns-message-type", kind.to_string()),
            ("x-amz-sns-message-id", uuid::Uuid::new_v4().to_string()),
            ("x-amz-sns-topic-arn", s.topic_arn.clone()),
        ],
        body: body.clone(),
    };
    let (attempts, delivered) = send_with_retries(d, &post, &RetryPolicy::default()).await;
    let mut record = RecordedDelivery::confirmation(s, kind, body, d.clock.now_millis());
    record.attempts = Some(attempts);
    record.delivered = delivered;
    d.recorded.push(record);
}

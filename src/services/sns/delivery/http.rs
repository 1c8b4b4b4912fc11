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
use crate::persist::{Loaded, Op};
use crate::request::{Caller, ServiceId};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// How long one attempt may take (AWS's HTTP/S delivery timeout is 15 s). A network
/// deadline, not an emulated timer, so it is real time.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

struct Post<'a> {
    endpoint: &'a str,
    headers: Vec<(String, String)>,
    body: String,
}

/// A notification whose HTTP/S delivery failed and waits for a retry, as the data directory
/// keeps it (`sns/retry/<id>`): written after each failed attempt that will be retried and
/// deleted when the delivery succeeds or gives up, so a restart continues the retries on
/// their schedule (deadlines on the server's clock). Written only with `--data-dir`; nobody
/// waits for these commits (no client asked).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct PendingRetry {
    endpoint: String,
    headers: Vec<(String, String)>,
    body: String,
    /// When the next attempt is due (ms on the server's clock).
    next_ms: u64,
    /// The waits before the retries after that one.
    delays: Vec<u64>,
    attempts: u32,
    subscription_arn: String,
    /// Where the message goes if the retries are spent: (account, region, SendMessage input).
    dead_letter: Option<(String, String, serde_json::Value)>,
}

const RETRY_PREFIX: &str = "sns/retry/";

/// A pending retry in the state document (`sns.retries`): its id and its record.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct DocumentRetry {
    pub id: String,
    #[serde(flatten)]
    pub retry: PendingRetry,
}

/// Every pending retry, oldest due first.
pub fn export(d: &Deliverer) -> Vec<DocumentRetry> {
    let mut out: Vec<DocumentRetry> = d
        .pending
        .lock()
        .iter()
        .map(|(id, retry)| DocumentRetry {
            id: id.clone(),
            retry: retry.clone(),
        })
        .collect();
    out.sort_by(|a, b| a.retry.next_ms.cmp(&b.retry.next_ms).then(a.id.cmp(&b.id)));
    out
}

/// Replaces the pending retries with a document's (kept in the data directory, if any) and
/// continues each at its deadline.
pub fn import(d: &Arc<Deliverer>, retries: Vec<DocumentRetry>) {
    forget_all(d);
    for DocumentRetry { id, retry } in retries {
        if let Some(durable) = &d.durable {
            let bytes = serde_json::to_vec(&retry).unwrap_or_default();
            durable.submit(vec![Op::PutResource(format!("{RETRY_PREFIX}{id}"), bytes)]);
        }
        resume(d, id, retry);
    }
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
            request = request.header(name.as_str(), value.as_str());
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

/// What a kept retry needs besides the POST (a notification with `--data-dir`).
struct Keep {
    subscription_arn: String,
    dead_letter: Option<(String, String, serde_json::Value)>,
}

/// Sends with retries; returns (attempts, delivered). With `keep` and a data directory, a
/// pending retry is kept (see `PendingRetry`).
async fn send_with_retries(
    d: &Deliverer,
    p: &Post<'_>,
    policy: &RetryPolicy,
    keep: Option<Keep>,
) -> (u32, bool) {
    retry_loop(d, p, policy.delays(), 0, None, keep.as_ref()).await
}

/// Attempts `p` now, then once after each of `delays`; `id` is the kept record's, if any.
async fn retry_loop(
    d: &Deliverer,
    p: &Post<'_>,
    delays: Vec<u64>,
    mut attempts: u32,
    mut id: Option<String>,
    keep: Option<&Keep>,
) -> (u32, bool) {
    let mut delays = delays.into_iter();
    loop {
        attempts += 1;
        let delivered = match post(p).await {
            Ok(status) if (200..300).contains(&status) => true,
            Ok(status) => {
                tracing::debug!(endpoint = p.endpoint, status, "HTTP delivery refused");
                false
            }
            Err(error) => {
                tracing::debug!(endpoint = p.endpoint, %error, "HTTP delivery failed");
                false
            }
        };
        let delay = if delivered { None } else { delays.next() };
        if let Some(keep) = keep {
            match delay {
                Some(delay) => {
                    let key = id.get_or_insert_with(|| uuid::Uuid::new_v4().to_string());
                    let record = PendingRetry {
                        endpoint: p.endpoint.to_string(),
                        headers: p.headers.clone(),
                        body: p.body.clone(),
                        next_ms: d
                            .clock
                            .now_millis()
                            .saturating_add(delay.saturating_mul(1000)),
                        delays: delays.clone().collect(),
                        attempts,
                        subscription_arn: keep.subscription_arn.clone(),
                        dead_letter: keep.dead_letter.clone(),
                    };
                    if let Some(durable) = &d.durable {
                        let bytes = serde_json::to_vec(&record).unwrap_or_default();
                        durable
                            .submit(vec![Op::PutResource(format!("{RETRY_PREFIX}{key}"), bytes)]);
                    }
                    d.pending.lock().insert(key.clone(), record);
                }
                None => {
                    if let Some(key) = id.take() {
                        d.pending.lock().remove(&key);
                        if let Some(durable) = &d.durable {
                            durable
                                .submit(vec![Op::DeleteResource(format!("{RETRY_PREFIX}{key}"))]);
                        }
                    }
                }
            }
        }
        if delivered {
            return (attempts, true);
        }
        let Some(delay) = delay else {
            return (attempts, false);
        };
        d.clock.sleep(Duration::from_secs(delay)).await;
    }
}

/// Continues the retries the data directory holds, each at its deadline. The delivery log
/// does not get them (it is not kept); one whose retries are spent goes to its dead-letter
/// queue as before the restart.
pub fn restore(d: &Arc<Deliverer>, loaded: &Loaded) -> Result<usize, String> {
    let mut count = 0;
    for (id, bytes) in loaded.resources_under(RETRY_PREFIX) {
        let pending: PendingRetry = serde_json::from_slice(bytes)
            .map_err(|e| format!("the SNS retry record {id} does not parse: {e}"))?;
        resume(d, id.to_string(), pending);
        count += 1;
    }
    Ok(count)
}

/// Continues a pending retry read back (data directory, state document) at its deadline.
fn resume(d: &Arc<Deliverer>, id: String, pending: PendingRetry) {
    d.pending.lock().insert(id.clone(), pending.clone());
    let d = d.clone();
    let work = d.clock.work(
        crate::settle::Kind::SnsDelivery,
        pending.subscription_arn.as_str(),
    );
    tokio::spawn(work.run(async move {
        d.clock.sleep_until_millis(pending.next_ms).await;
        let post = Post {
            endpoint: &pending.endpoint,
            headers: pending.headers.clone(),
            body: pending.body.clone(),
        };
        let keep = Keep {
            subscription_arn: pending.subscription_arn.clone(),
            dead_letter: pending.dead_letter.clone(),
        };
        let (_, delivered) = retry_loop(
            &d,
            &post,
            pending.delays.clone(),
            pending.attempts,
            Some(id),
            Some(&keep),
        )
        .await;
        if let (false, Some((account, region, input))) = (delivered, keep.dead_letter) {
            let caller = Caller::new(account, region);
            if let Err(error) = d
                .invoker
                .call(ServiceId::Sqs, &caller, "SendMessage", input)
                .await
            {
                tracing::debug!(subscription = %keep.subscription_arn, %error, "dead-letter delivery failed");
            }
        }
    }));
}

/// Deletes every kept retry (reset).
pub fn forget_all(d: &Deliverer) {
    d.pending.lock().clear();
    if let Some(durable) = &d.durable {
        durable.submit(vec![Op::DeleteResources(RETRY_PREFIX.to_string())]);
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
        (
            "x-amz-sns-message-type".to_string(),
            "Notification".to_string(),
        ),
        ("x-amz-sns-message-id".to_string(), n.message_id.clone()),
        ("x-amz-sns-topic-arn".to_string(), s.topic_arn.clone()),
        ("x-amz-sns-subscription-arn".to_string(), s.arn.clone()),
    ];
    if raw {
        headers.push(("x-amz-sns-rawdelivery".to_string(), "true".to_string()));
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
    // Kept (in memory for the state document, and in the data directory) only if an attempt
    // fails and a retry is planned.
    let keep = Some(Keep {
        subscription_arn: s.arn.clone(),
        dead_letter: dead_letter::target(s).map(|queue| {
            let input = queue_message::send_message_input(n, s, message, &queue);
            (queue.account.clone(), queue.region.clone(), input)
        }),
    });
    let (attempts, delivered) = send_with_retries(d, &post, &policy, keep).await;
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
            ("x-amz-sns-message-type".to_string(), kind.to_string()),
            (
                "x-amz-sns-message-id".to_string(),
                uuid::Uuid::new_v4().to_string(),
            ),
            ("x-amz-sns-topic-arn".to_string(), s.topic_arn.clone()),
        ],
        body: body.clone(),
    };
    let (attempts, delivered) = send_with_retries(d, &post, &RetryPolicy::default(), None).await;
    let mut record = RecordedDelivery::confirmation(s, kind, body, d.clock.now_millis());
    record.attempts = Some(attempts);
    record.delivered = delivered;
    d.recorded.push(record);
}

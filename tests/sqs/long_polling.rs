//! Long polling: ReceiveMessage with WaitTimeSeconds (or the queue's
//! ReceiveMessageWaitTimeSeconds) returns as soon as a message is available, and otherwise
//! empty when the wait ends. The only tests in the suite that measure wall-clock time, and
//! only as an upper bound.

use crate::common::*;
use std::time::{Duration, Instant};

/// Real time a long poll may take to notice a message, far below any WaitTimeSeconds used.
const PROMPT: Duration = Duration::from_secs(3);

#[tokio::test]
async fn long_poll_returns_as_soon_as_a_message_arrives() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let started = Instant::now();
    let poll = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(20)
        .send();
    let sender = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send(&sqs, &url, "foobared").await;
    };
    let (result, ()) = tokio::join!(poll, sender);
    let elapsed = started.elapsed();
    let messages = result.unwrap().messages.unwrap_or_default();
    assert_eq!(bodies(&messages), vec!["foobared"]);
    assert!(
        elapsed < PROMPT,
        "took {elapsed:?} with WaitTimeSeconds=20; should return right after the send"
    );
}

#[tokio::test]
async fn long_poll_uses_the_queue_receive_wait_time_by_default() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue_with(&sqs, "q", &[("ReceiveMessageWaitTimeSeconds", "20")]).await;
    let started = Instant::now();
    let poll = sqs.receive_message().queue_url(&url).send();
    let sender = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send(&sqs, &url, "foobared").await;
    };
    let (result, ()) = tokio::join!(poll, sender);
    assert_eq!(
        bodies(&result.unwrap().messages.unwrap_or_default()),
        vec!["foobared"],
        "a receive without WaitTimeSeconds waited the queue's 20 s for the message"
    );
    assert!(started.elapsed() < PROMPT);
}

#[tokio::test]
async fn long_poll_with_messages_already_waiting_does_not_block() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "foobar1").await;
    send(&sqs, &url, "foobar2").await;
    let started = Instant::now();
    let out = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(3)
        .wait_time_seconds(20)
        .send()
        .await
        .unwrap();
    assert!(!out.messages.unwrap_or_default().is_empty());
    assert!(started.elapsed() < PROMPT, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn long_poll_ends_empty_when_its_wait_time_passes_on_the_server_clock() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let started = Instant::now();
    let poll = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(20)
        .send();
    let clock = async {
        // Let the request reach the server and start waiting, then move time past its end.
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.clock().advance(Duration::from_secs(21));
    };
    let (result, ()) = tokio::join!(poll, clock);
    assert!(result.unwrap().messages.unwrap_or_default().is_empty());
    assert!(
        started.elapsed() < PROMPT,
        "the wait follows the server clock; took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn long_poll_returns_a_delayed_message_when_its_delay_ends() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("delayed")
        .delay_seconds(10)
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    let poll = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(20)
        .send();
    let clock = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.clock().advance(Duration::from_secs(11));
    };
    let (result, ()) = tokio::join!(poll, clock);
    assert_eq!(
        bodies(&result.unwrap().messages.unwrap_or_default()),
        vec!["delayed"]
    );
    assert!(started.elapsed() < PROMPT, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn long_poll_returns_a_message_whose_visibility_timeout_expires() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "again").await;
    receive(&sqs, &url, 1).await;
    let started = Instant::now();
    let poll = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(20)
        .send();
    let clock = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.clock().advance(Duration::from_secs(31));
    };
    let (result, ()) = tokio::join!(poll, clock);
    assert_eq!(
        bodies(&result.unwrap().messages.unwrap_or_default()),
        vec!["again"]
    );
    assert!(started.elapsed() < PROMPT, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn two_waiting_receivers_never_get_the_same_message() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let poll = || {
        sqs.receive_message()
            .queue_url(&url)
            .wait_time_seconds(2)
            .send()
    };
    let sender = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send(&sqs, &url, "only one").await;
    };
    let (a, b, ()) = tokio::join!(poll(), poll(), sender);
    let total = a.unwrap().messages.unwrap_or_default().len()
        + b.unwrap().messages.unwrap_or_default().len();
    assert_eq!(total, 1);
}

#[tokio::test]
async fn wait_time_seconds_must_be_0_to_20() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for bad in [21, -1] {
        let failure = expect_failure(
            sqs.receive_message()
                .queue_url(&url)
                .wait_time_seconds(bad)
                .send()
                .await,
        );
        assert_eq!(failure.code, "InvalidParameterValue");
        assert_eq!(
            failure.message,
            format!("Value {bad} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
        );
    }
}

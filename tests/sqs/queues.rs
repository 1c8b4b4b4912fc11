//! Queue lifecycle: CreateQueue (idempotent, QueueAlreadyExists, name rules), GetQueueUrl,
//! DeleteQueue, ListQueues (prefix, pagination), the accepted queue URL forms, and isolation
//! between regions.

use crate::common::*;
use std::collections::HashSet;

#[tokio::test]
async fn create_queue_returns_a_url_on_the_host_the_client_used() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "orders").await;
    assert_eq!(url, format!("{}/{ACCOUNT}/orders", server.endpoint()));
}

#[tokio::test]
async fn get_queue_url_returns_the_url_create_queue_returned() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "orders").await;
    let got = sqs
        .get_queue_url()
        .queue_name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(got.queue_url.as_deref(), Some(url.as_str()));
    let with_owner = sqs
        .get_queue_url()
        .queue_name("orders")
        .queue_owner_aws_account_id(ACCOUNT)
        .send()
        .await
        .unwrap();
    assert_eq!(with_owner.queue_url.as_deref(), Some(url.as_str()));
}

#[tokio::test]
async fn get_queue_url_of_a_missing_queue_is_non_existent_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let failure = expect_failure(sqs.get_queue_url().queue_name("nope").send().await);
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
    assert_eq!(failure.message, "The specified queue does not exist.");
    assert_eq!(failure.status, 400);
}

#[tokio::test]
async fn create_queue_without_attributes_is_idempotent() {
    let server = start().await;
    let sqs = sqs(&server);
    let first = create_queue(&sqs, "q").await;
    let second = create_queue(&sqs, "q").await;
    assert_eq!(first, second);
    let listed = sqs.list_queues().send().await.unwrap().queue_urls.unwrap();
    assert_eq!(listed, vec![first]);
}

#[tokio::test]
async fn create_queue_with_the_same_attributes_is_idempotent() {
    let server = start().await;
    let sqs = sqs(&server);
    let attrs = [("VisibilityTimeout", "69"), ("DelaySeconds", "1")];
    let first = create_queue_with(&sqs, "q", &attrs).await;
    assert_eq!(create_queue_with(&sqs, "q", &attrs).await, first);
    // Fewer attributes, or none, also match the existing queue.
    assert_eq!(
        create_queue_with(&sqs, "q", &[("DelaySeconds", "1")]).await,
        first
    );
    assert_eq!(create_queue(&sqs, "q").await, first);
}

#[tokio::test]
async fn create_queue_with_a_different_attribute_value_is_queue_already_exists() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue_with(
        &sqs,
        "q",
        &[
            ("ReceiveMessageWaitTimeSeconds", "1"),
            ("DelaySeconds", "1"),
        ],
    )
    .await;
    let failure = expect_failure(
        sqs.create_queue()
            .queue_name("q")
            .attributes("ReceiveMessageWaitTimeSeconds".into(), "1")
            .attributes("DelaySeconds".into(), "2")
            .send()
            .await,
    );
    assert_eq!(failure.code, "QueueAlreadyExists");
    assert_eq!(
        failure.message,
        "A queue already exists with the same name and a different value for attribute DelaySeconds"
    );
    assert_eq!(failure.status, 400);

    // After SetQueueAttributes the new value is the one that matches.
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes("DelaySeconds".into(), "2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        create_queue_with(
            &sqs,
            "q",
            &[
                ("ReceiveMessageWaitTimeSeconds", "1"),
                ("DelaySeconds", "2")
            ]
        )
        .await,
        url
    );
}

#[tokio::test]
async fn create_queue_after_messages_were_sent_is_still_idempotent() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "a").await;
    send(&sqs, &url, "b").await;
    assert_eq!(create_queue(&sqs, "q").await, url);
}

#[tokio::test]
async fn queue_names_allow_only_alphanumerics_hyphens_and_underscores_up_to_80() {
    let server = start().await;
    let sqs = sqs(&server);
    let longest = "a".repeat(80);
    create_queue(&sqs, &longest).await;
    create_queue(&sqs, "Az09-_").await;
    for bad in [
        "a".repeat(81),
        "has space".to_string(),
        "slash/name".to_string(),
        "dot.name".to_string(),
        "ümlaut".to_string(),
    ] {
        let failure = expect_failure(sqs.create_queue().queue_name(&bad).send().await);
        assert_eq!(failure.code, "InvalidParameterValue", "queue name {bad:?}");
        assert_eq!(failure.status, 400, "queue name {bad:?}");
    }
}

#[tokio::test]
async fn fifo_queue_name_must_end_in_dot_fifo() {
    let server = start().await;
    let sqs = sqs(&server);
    let failure = expect_failure(
        sqs.create_queue()
            .queue_name("no-suffix")
            .attributes("FifoQueue".into(), "true")
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
}

#[tokio::test]
async fn standard_queue_cannot_have_the_fifo_suffix() {
    let server = start().await;
    let sqs = sqs(&server);
    let failure = expect_failure(sqs.create_queue().queue_name("q.fifo").send().await);
    assert_eq!(failure.code, "InvalidParameterValue");
}

#[tokio::test]
async fn delete_queue_removes_it_and_later_calls_see_non_existent_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "gone").await;
    send(&sqs, &url, "x").await;
    sqs.delete_queue().queue_url(&url).send().await.unwrap();

    let failure = expect_failure(sqs.get_queue_url().queue_name("gone").send().await);
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
    let failure = expect_failure(
        sqs.send_message()
            .queue_url(&url)
            .message_body("x")
            .send()
            .await,
    );
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
    assert_eq!(failure.status, 400);
    let failure = expect_failure(sqs.receive_message().queue_url(&url).send().await);
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
    let failure = expect_failure(sqs.delete_queue().queue_url(&url).send().await);
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
    assert!(sqs
        .list_queues()
        .send()
        .await
        .unwrap()
        .queue_urls
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn list_queues_filters_by_name_prefix() {
    let server = start().await;
    let sqs = sqs(&server);
    let a1 = create_queue(&sqs, "a-test-1").await;
    let a2 = create_queue(&sqs, "a-test-2").await;
    let b1 = create_queue(&sqs, "b-test-1").await;

    let a: HashSet<String> = sqs
        .list_queues()
        .queue_name_prefix("a-test-")
        .send()
        .await
        .unwrap()
        .queue_urls
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(a, HashSet::from([a1.clone(), a2.clone()]));

    let b = sqs
        .list_queues()
        .queue_name_prefix("b-")
        .send()
        .await
        .unwrap()
        .queue_urls
        .unwrap();
    assert_eq!(b, vec![b1.clone()]);

    let all: HashSet<String> = sqs
        .list_queues()
        .send()
        .await
        .unwrap()
        .queue_urls
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(all, HashSet::from([a1, a2, b1]));

    let none = sqs
        .list_queues()
        .queue_name_prefix("zzz")
        .send()
        .await
        .unwrap();
    assert!(none.queue_urls.unwrap_or_default().is_empty());
    assert!(none.next_token.is_none());
}

#[tokio::test]
async fn list_queues_is_case_sensitive_on_the_prefix() {
    let server = start().await;
    let sqs = sqs(&server);
    create_queue(&sqs, "Upper").await;
    let lower = sqs
        .list_queues()
        .queue_name_prefix("upper")
        .send()
        .await
        .unwrap();
    assert!(lower.queue_urls.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn list_queues_paginates_with_max_results_and_next_token() {
    let server = start().await;
    let sqs = sqs(&server);
    let mut created = HashSet::new();
    for i in 0..7 {
        created.insert(create_queue(&sqs, &format!("page-{i}")).await);
    }
    create_queue(&sqs, "other").await;

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = sqs
            .list_queues()
            .queue_name_prefix("page-")
            .max_results(3)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        let urls = page.queue_urls.unwrap_or_default();
        assert!(urls.len() <= 3, "page larger than MaxResults: {urls:?}");
        seen.extend(urls);
        token = page.next_token;
        if token.is_none() {
            break;
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3, "7 queues in pages of 3");
    assert_eq!(seen.len(), 7, "no queue listed twice: {seen:?}");
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), created);
}

#[tokio::test]
async fn list_queues_without_max_results_returns_no_next_token() {
    let server = start().await;
    let sqs = sqs(&server);
    for i in 0..3 {
        create_queue(&sqs, &format!("q{i}")).await;
    }
    let out = sqs.list_queues().send().await.unwrap();
    assert_eq!(out.queue_urls.unwrap().len(), 3);
    assert!(out.next_token.is_none());
}

#[tokio::test]
async fn list_queues_rejects_max_results_outside_1_to_1000() {
    let server = start().await;
    let sqs = sqs(&server);
    for bad in [0, 1001] {
        let failure = expect_failure(sqs.list_queues().max_results(bad).send().await);
        assert_eq!(failure.code, "InvalidParameterValue", "MaxResults {bad}");
        assert_eq!(failure.status, 400);
    }
}

#[tokio::test]
async fn list_queues_on_an_empty_region_has_no_urls() {
    let server = start().await;
    let sqs = sqs(&server);
    let out = sqs.list_queues().send().await.unwrap();
    assert!(out.queue_urls.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn queue_is_addressable_by_every_usual_url_form() {
    let server = start().await;
    let sqs = sqs(&server);
    create_queue(&sqs, "q").await;
    let port = server.local_addr.port();
    let forms = [
        format!("https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q"),
        format!("http://localhost:{port}/{ACCOUNT}/q"),
        format!("http://localhost:{port}/queue/us-east-1/{ACCOUNT}/q"),
        format!("http://127.0.0.1:{port}/{ACCOUNT}/q"),
    ];
    for (i, url) in forms.iter().enumerate() {
        sqs.send_message()
            .queue_url(url)
            .message_body(format!("via form {i}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("SendMessage to {url}: {}", describe(&e)));
    }
    // Every form reached the same queue.
    let canonical = format!("{}/{ACCOUNT}/q", server.endpoint());
    let (visible, _, _) = counts(&sqs, &canonical).await;
    assert_eq!(visible, forms.len() as u64);
    for url in &forms {
        let attrs = named_queue_attributes(&sqs, url, &["QueueArn"]).await;
        assert_eq!(attrs["QueueArn"], queue_arn("q"), "via {url}");
    }
}

#[tokio::test]
async fn a_url_naming_another_queue_does_not_reach_this_one() {
    let server = start().await;
    let sqs = sqs(&server);
    create_queue(&sqs, "q").await;
    let failure = expect_failure(
        sqs.send_message()
            .queue_url(format!("{}/{ACCOUNT}/other", server.endpoint()))
            .message_body("x")
            .send()
            .await,
    );
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
}

#[tokio::test]
async fn a_queue_created_in_one_region_is_invisible_in_another() {
    let server = start().await;
    let us = sqs(&server);
    let eu = sqs_in(&server, "eu-west-1");
    let eu_url = create_queue(&eu, "regional").await;

    let listed = us.list_queues().send().await.unwrap();
    assert!(listed.queue_urls.unwrap_or_default().is_empty());
    let failure = expect_failure(us.get_queue_url().queue_name("regional").send().await);
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");

    assert_eq!(
        eu.list_queues().send().await.unwrap().queue_urls.unwrap(),
        vec![eu_url.clone()]
    );
    let arn = named_queue_attributes(&eu, &eu_url, &["QueueArn"]).await["QueueArn"].clone();
    assert_eq!(arn, format!("arn:aws:sqs:eu-west-1:{ACCOUNT}:regional"));
}

#[tokio::test]
async fn the_same_queue_name_in_two_regions_is_two_queues() {
    let server = start().await;
    let us = sqs(&server);
    let eu = sqs_in(&server, "eu-west-1");
    let us_url = create_queue(&us, "same").await;
    let eu_url = create_queue(&eu, "same").await;
    send(&us, &us_url, "for us").await;

    assert!(receive(&eu, &eu_url, 10).await.is_empty());
    assert_eq!(bodies(&receive(&us, &us_url, 10).await), vec!["for us"]);
}

#[tokio::test]
async fn a_standard_queue_refuses_fifo_only_attributes_even_with_default_values() {
    let server = start().await;
    let sqs = sqs(&server);
    for (name, value, message) in [
        ("FifoQueue", "false", "Unknown Attribute FifoQueue."),
        (
            "ContentBasedDeduplication",
            "false",
            "Unknown Attribute ContentBasedDeduplication.",
        ),
        (
            "DeduplicationScope",
            "queue",
            "You can specify the DeduplicationScope only when FifoQueue is set to true.",
        ),
        (
            "FifoThroughputLimit",
            "perQueue",
            "You can specify the FifoThroughputLimit only when FifoQueue is set to true.",
        ),
    ] {
        let failure = expect_failure(
            sqs.create_queue()
                .queue_name("standard")
                .attributes(name.into(), value)
                .send()
                .await,
        );
        assert_eq!(failure.code, "InvalidAttributeName", "{name}");
        assert_eq!(failure.message, message, "{name}");
    }
}

//! TagQueue / UntagQueue / ListQueueTags, and tags given to CreateQueue.

use crate::common::*;
use std::collections::HashMap;

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn tags(sqs: &aws_sdk_sqs::Client, url: &str) -> Option<HashMap<String, String>> {
    sqs.list_queue_tags()
        .queue_url(url)
        .send()
        .await
        .unwrap()
        .tags
}

#[tokio::test]
async fn tag_list_and_untag_a_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.tag_queue()
        .queue_url(&url)
        .set_tags(Some(map(&[
            ("tag1", "value1"),
            ("tag2", "value2"),
            ("tag3", ""),
        ])))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags(&sqs, &url).await,
        Some(map(&[("tag1", "value1"), ("tag2", "value2"), ("tag3", "")]))
    );
    sqs.untag_queue()
        .queue_url(&url)
        .tag_keys("tag1")
        .tag_keys("tag3")
        .send()
        .await
        .unwrap();
    assert_eq!(tags(&sqs, &url).await, Some(map(&[("tag2", "value2")])));
    sqs.untag_queue()
        .queue_url(&url)
        .tag_keys("tag2")
        .send()
        .await
        .unwrap();
    assert!(tags(&sqs, &url).await.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn a_queue_without_tags_lists_none() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    assert!(tags(&sqs, &url).await.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn tag_keys_are_case_sensitive() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let t = map(&[("MyTag", "value1"), ("mytag", "value2")]);
    sqs.tag_queue()
        .queue_url(&url)
        .set_tags(Some(t.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(tags(&sqs, &url).await, Some(t));
}

#[tokio::test]
async fn tagging_overwrites_existing_keys_and_keeps_others() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.tag_queue()
        .queue_url(&url)
        .set_tags(Some(map(&[("tag1", "value1"), ("tag2", "value2")])))
        .send()
        .await
        .unwrap();
    sqs.tag_queue()
        .queue_url(&url)
        .set_tags(Some(map(&[("tag1", "VALUE1"), ("tag3", "value3")])))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags(&sqs, &url).await,
        Some(map(&[
            ("tag1", "VALUE1"),
            ("tag2", "value2"),
            ("tag3", "value3")
        ]))
    );
}

#[tokio::test]
async fn untagging_a_missing_key_is_ignored() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.tag_queue()
        .queue_url(&url)
        .set_tags(Some(map(&[("tag1", "value1"), ("tag2", "value2")])))
        .send()
        .await
        .unwrap();
    sqs.untag_queue()
        .queue_url(&url)
        .tag_keys("tag1")
        .tag_keys("tag3")
        .send()
        .await
        .unwrap();
    assert_eq!(tags(&sqs, &url).await, Some(map(&[("tag2", "value2")])));
}

#[tokio::test]
async fn create_queue_applies_its_tags() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = sqs
        .create_queue()
        .queue_name("tagged")
        .tags("tag1", "value1")
        .tags("tag2", "value2")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert_eq!(
        tags(&sqs, &url).await,
        Some(map(&[("tag1", "value1"), ("tag2", "value2")]))
    );
}

#[tokio::test]
async fn tagging_a_missing_queue_is_non_existent_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let failure = expect_failure(sqs.tag_queue().queue_url(&url).tags("a", "b").send().await);
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
    let failure = expect_failure(sqs.list_queue_tags().queue_url(&url).send().await);
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
}

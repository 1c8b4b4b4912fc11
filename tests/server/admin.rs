//! stepyard's own endpoints: health in our shape and LocalStack's, and reset.

use crate::common::*;
use crate::raw::*;

#[tokio::test]
async fn stepyard_health_reports_version_and_each_service() {
    let server = start().await;
    let a = get(&format!("{}/_stepyard/health", server.endpoint())).await;
    assert_eq!(a.status, 200);
    assert!(a
        .header("content-type")
        .unwrap_or_default()
        .contains("json"));
    let j = a.json();
    assert_eq!(j["status"], "running");
    assert_eq!(j["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(j["services"]["sqs"], "running");
    for other in ["sns", "events", "stepfunctions"] {
        assert!(j["services"][other].is_string(), "{other} listed: {j}");
    }
}

#[tokio::test]
async fn localstack_health_answers_in_localstack_shape() {
    let server = start().await;
    let a = get(&format!("{}/_localstack/health", server.endpoint())).await;
    assert_eq!(a.status, 200);
    let j = a.json();
    assert!(
        j["services"]["sqs"] == "running" || j["services"]["sqs"] == "available",
        "{j}"
    );
    assert!(j["version"].is_string());
    assert!(j["edition"].is_string());
}

#[tokio::test]
async fn unknown_admin_paths_are_404_not_500() {
    let server = start().await;
    let a = get(&format!("{}/_stepyard/nope", server.endpoint())).await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn reset_wipes_every_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "x").await;
    let a = post_empty(&format!("{}/_stepyard/reset", server.endpoint())).await;
    assert_eq!(a.status, 200);
    let listed = sqs.list_queues().send().await.unwrap();
    assert!(listed.queue_urls.unwrap_or_default().is_empty());
    // The server keeps serving, and the name is free again.
    let again = create_queue(&sqs, "q").await;
    assert_eq!(again, url);
    assert_eq!(counts(&sqs, &again).await, (0, 0, 0));
}

#[tokio::test]
async fn reset_of_sqs_only_wipes_sqs() {
    let server = start().await;
    let sqs = sqs(&server);
    create_queue(&sqs, "q").await;
    let a = post_empty(&format!(
        "{}/_stepyard/reset?service=sqs",
        server.endpoint()
    ))
    .await;
    assert_eq!(a.status, 200);
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
async fn reset_of_another_service_keeps_queues() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let a = post_empty(&format!(
        "{}/_stepyard/reset?service=sns",
        server.endpoint()
    ))
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        sqs.list_queues().send().await.unwrap().queue_urls.unwrap(),
        vec![url]
    );
}

#[tokio::test]
async fn reset_of_an_unknown_service_is_a_400() {
    let server = start().await;
    let sqs = sqs(&server);
    create_queue(&sqs, "q").await;
    let a = post_empty(&format!(
        "{}/_stepyard/reset?service=bogus",
        server.endpoint()
    ))
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(
        sqs.list_queues()
            .send()
            .await
            .unwrap()
            .queue_urls
            .unwrap()
            .len(),
        1,
        "nothing was reset"
    );
}

#[tokio::test]
async fn reset_stops_pending_timers_from_resurrecting_messages() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("delayed")
        .delay_seconds(5)
        .send()
        .await
        .unwrap();
    post_empty(&format!("{}/_stepyard/reset", server.endpoint())).await;
    let url = create_queue(&sqs, "q").await;
    server.clock().advance(std::time::Duration::from_secs(10));
    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
}

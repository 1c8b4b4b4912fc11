//! Requests from web browsers (they carry `Origin` or `Sec-Fetch-Site`): a page on another
//! origin may not change state, and a browser may address the server only as localhost, a
//! loopback address or a name given with `--allowed-host` (DNS rebinding). SDK clients send
//! neither header and are served under any host name.

use crate::common::*;
use crate::raw::*;
use stepyard::{Config, Server};

/// A form-encoded CreateQueue as a web page's `<form method=post>` would send it.
async fn create_queue_from_browser(url: &str, headers: &[(&str, &str)], name: &str) -> Answer {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("Action", "CreateQueue"), ("QueueName", name)])
        .finish();
    let mut request = http()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", sigv4_header("us-east-1", "sqs"))
        .body(body);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    answer(request.send().await.expect("POST")).await
}

async fn queue_names(server: &stepyard::RunningServer) -> Vec<String> {
    sqs(server)
        .list_queues()
        .send()
        .await
        .expect("ListQueues")
        .queue_urls
        .unwrap_or_default()
}

#[tokio::test]
async fn a_cross_site_page_cannot_create_a_queue_with_a_form_post() {
    let server = start().await;
    let a = create_queue_from_browser(
        &server.endpoint(),
        &[
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        "planted",
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("AccessDeniedException"), "{}", a.body);
    assert!(a.body.contains("--allow-origin"), "{}", a.body);
    assert!(queue_names(&server).await.is_empty());
}

#[tokio::test]
async fn a_cross_site_page_cannot_reset_the_server() {
    let server = start().await;
    let url = create_queue(&sqs(&server), "kept").await;
    let a = answer(
        http()
            .post(format!("{}/_stepyard/reset", server.endpoint()))
            .header("Origin", "https://evil.example")
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(queue_names(&server).await, vec![url]);
}

#[tokio::test]
async fn a_page_on_the_servers_own_origin_may_change_state() {
    let server = start().await;
    let own = server.endpoint();
    let a = create_queue_from_browser(
        &own,
        &[("Origin", own.as_str()), ("Sec-Fetch-Site", "same-origin")],
        "from-console",
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(queue_names(&server).await.len(), 1);
}

#[tokio::test]
async fn a_rebound_host_name_is_refused_to_browsers_but_not_to_sdk_clients() {
    let server = start().await;
    let rebound = format!("evil.example:{}", server.local_addr.port());
    // DNS rebinding: the page's origin and the Host both name the attacker's domain.
    let a = answer(
        http()
            .get(format!("{}/_stepyard/health", server.endpoint()))
            .header("Host", &rebound)
            .header("Origin", format!("http://{rebound}"))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);
    // An SDK reaching the server under a compose service name sends no browser headers.
    let b = create_queue_from_browser(
        &server.endpoint(),
        &[("Host", "stepyard:4566")],
        "from-compose",
    )
    .await;
    assert_eq!(b.status, 200, "{}", b.body);
}

#[tokio::test]
async fn an_allowed_origin_gets_cors_headers_and_may_change_state() {
    let server = Server::start(Config {
        allowed_origins: vec!["http://localhost:3000".into()],
        ..Config::ephemeral()
    })
    .await
    .expect("server");
    let preflight = answer(
        http()
            .request(reqwest::Method::OPTIONS, server.endpoint())
            .header("Origin", "http://localhost:3000")
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type,x-amz-target,authorization",
            )
            .send()
            .await
            .expect("OPTIONS"),
    )
    .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("content-type,x-amz-target,authorization")
    );
    let a = create_queue_from_browser(
        &server.endpoint(),
        &[
            ("Origin", "http://localhost:3000"),
            ("Sec-Fetch-Site", "same-site"),
        ],
        "from-app",
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    // Another origin still may not.
    let b = create_queue_from_browser(
        &server.endpoint(),
        &[("Origin", "http://localhost:8080")],
        "from-other",
    )
    .await;
    assert_eq!(b.status, 403, "{}", b.body);
}

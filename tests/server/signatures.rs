//! `--verify-signatures` with real SDK clients: the right secret passes, a wrong one or an
//! unknown key fails with the error each service returns, AssumeRole's temporary credentials
//! verify until they expire, and with verification off (the default) nothing changes. Also the
//! optional admin token for `/_stepyard/*`.

use crate::common;
use aws_credential_types::Credentials;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use std::time::Duration;
use stepyard::server::signature::Credentials as Accepted;
use stepyard::{Config, RunningServer, Server};

const KEY: &str = "AKIASTEPYARDTEST";
const SECRET: &str = "s3cr3t/with+symbols";

async fn verifying(admin_token: Option<&str>) -> RunningServer {
    Server::start(Config {
        verify_signatures: true,
        credentials: Accepted::parse([format!("{KEY}:{SECRET}").as_str(), "other:pair"]).unwrap(),
        admin_token: admin_token.map(str::to_string),
        ..Config::ephemeral()
    })
    .await
    .expect("server starts")
}

fn creds(key: &str, secret: &str, token: Option<String>) -> Credentials {
    Credentials::new(key, secret, token, None, "signatures-test")
}

fn sqs(server: &RunningServer, c: Credentials) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new(common::REGION))
            .endpoint_url(server.endpoint())
            .credentials_provider(c)
            .retry_config(aws_sdk_sqs::config::retry::RetryConfig::disabled())
            .build(),
    )
}

fn sns(server: &RunningServer, c: Credentials) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::Config::builder()
            .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
            .region(aws_sdk_sns::config::Region::new(common::REGION))
            .endpoint_url(server.endpoint())
            .credentials_provider(c)
            .retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled())
            .build(),
    )
}

fn eb(server: &RunningServer, c: Credentials) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::from_conf(
        aws_sdk_eventbridge::Config::builder()
            .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
            .region(aws_sdk_eventbridge::config::Region::new(common::REGION))
            .endpoint_url(server.endpoint())
            .credentials_provider(c)
            .retry_config(aws_sdk_eventbridge::config::retry::RetryConfig::disabled())
            .build(),
    )
}

fn sfn(server: &RunningServer, c: Credentials) -> aws_sdk_sfn::Client {
    aws_sdk_sfn::Client::from_conf(
        aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new(common::REGION))
            .endpoint_url(server.endpoint())
            .credentials_provider(c)
            .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
            .build(),
    )
}

fn sts(server: &RunningServer, c: Credentials) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new(common::REGION))
            .endpoint_url(server.endpoint())
            .credentials_provider(c)
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .build(),
    )
}

/// (code, message) of a failed call.
fn code_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> (String, String) {
    let e = result.expect_err("the call should fail");
    (
        e.code().unwrap_or("-").to_string(),
        e.message().unwrap_or("-").to_string(),
    )
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

#[tokio::test]
async fn the_right_secret_passes_for_every_service() {
    let server = verifying(None).await;
    let good = || creds(KEY, SECRET, None);
    let queue = sqs(&server, good())
        .create_queue()
        .queue_name("signed")
        .send()
        .await
        .expect("sqs with the right secret");
    sqs(&server, good())
        .send_message()
        .queue_url(queue.queue_url().unwrap())
        .message_body("a body with spaces & symbols / + =")
        .send()
        .await
        .expect("sqs send");
    sns(&server, good())
        .create_topic()
        .name("signed")
        .send()
        .await
        .expect("sns with the right secret");
    eb(&server, good())
        .list_event_buses()
        .send()
        .await
        .expect("eventbridge with the right secret");
    sfn(&server, good())
        .list_state_machines()
        .send()
        .await
        .expect("step functions with the right secret");
    sts(&server, good())
        .get_caller_identity()
        .send()
        .await
        .expect("sts with the right secret");
    // The second pair is accepted as well.
    sqs(&server, creds("other", "pair", None))
        .list_queues()
        .send()
        .await
        .expect("another accepted key");
}

#[tokio::test]
async fn a_wrong_secret_gets_each_services_signature_error() {
    let server = verifying(None).await;
    let bad = || creds(KEY, "wrong", None);
    let (code, message) = code_of(sqs(&server, bad()).list_queues().send().await);
    assert_eq!(code, "SignatureDoesNotMatch");
    assert!(message.starts_with(MISMATCH), "{message}");
    assert!(
        message.contains("The String-to-Sign should have been"),
        "{message}"
    );
    let (code, message) = code_of(sns(&server, bad()).list_topics().send().await);
    assert_eq!(code, "SignatureDoesNotMatch");
    assert!(message.starts_with(MISMATCH), "{message}");
    let (code, _) = code_of(sts(&server, bad()).get_caller_identity().send().await);
    assert_eq!(code, "SignatureDoesNotMatch");
    let (code, message) = code_of(eb(&server, bad()).list_event_buses().send().await);
    assert_eq!(code, "InvalidSignatureException");
    assert!(message.starts_with(MISMATCH), "{message}");
    let (code, _) = code_of(sfn(&server, bad()).list_state_machines().send().await);
    assert_eq!(code, "InvalidSignatureException");
}

#[tokio::test]
async fn an_unknown_access_key_is_an_invalid_token() {
    let server = verifying(None).await;
    let unknown = || creds("AKIANOBODY", SECRET, None);
    assert_eq!(
        code_of(sqs(&server, unknown()).list_queues().send().await),
        (
            "InvalidClientTokenId".to_string(),
            INVALID_TOKEN.to_string()
        )
    );
    assert_eq!(
        code_of(sns(&server, unknown()).list_topics().send().await),
        (
            "InvalidClientTokenId".to_string(),
            INVALID_TOKEN.to_string()
        )
    );
    assert_eq!(
        code_of(eb(&server, unknown()).list_event_buses().send().await),
        (
            "UnrecognizedClientException".to_string(),
            INVALID_TOKEN.to_string()
        )
    );
    assert_eq!(
        code_of(sfn(&server, unknown()).list_state_machines().send().await),
        (
            "UnrecognizedClientException".to_string(),
            INVALID_TOKEN.to_string()
        )
    );
}

#[tokio::test]
async fn assumed_role_credentials_verify_until_they_expire() {
    let server = verifying(None).await;
    let assumed = sts(&server, creds(KEY, SECRET, None))
        .assume_role()
        .role_arn("arn:aws:iam::111122223333:role/worker")
        .role_session_name("signed-session")
        .duration_seconds(900)
        .send()
        .await
        .expect("assume role");
    let c = assumed.credentials().expect("credentials");
    let temporary = || {
        creds(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
        )
    };
    let who = sts(&server, temporary())
        .get_caller_identity()
        .send()
        .await
        .expect("the temporary credentials verify");
    assert_eq!(who.account(), Some("111122223333"));
    eb(&server, temporary())
        .list_event_buses()
        .send()
        .await
        .expect("and work for every service");
    // Their secret is theirs: the right key with another secret fails.
    let (code, _) = code_of(
        sqs(
            &server,
            creds(
                c.access_key_id(),
                SECRET,
                Some(c.session_token().to_string()),
            ),
        )
        .list_queues()
        .send()
        .await,
    );
    assert_eq!(code, "SignatureDoesNotMatch");
    server.clock().advance(Duration::from_secs(901));
    let (code, message) = code_of(sqs(&server, temporary()).list_queues().send().await);
    assert_eq!(code, "ExpiredToken");
    assert_eq!(
        message,
        "The security token included in the request is expired"
    );
}

#[tokio::test]
async fn unsigned_and_incomplete_requests_are_refused() {
    let server = verifying(None).await;
    let http = reqwest::Client::new();
    let post = |auth: Option<&'static str>| {
        let mut request = http
            .post(server.endpoint())
            .header("X-Amz-Target", "AWSEvents.ListEventBuses")
            .header("Content-Type", "application/x-amz-json-1.1")
            .body("{}");
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send()
    };
    let response = post(None).await.unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["__type"], "MissingAuthenticationTokenException");
    let response = post(Some(
        "AWS4-HMAC-SHA256 Credential=AKIASTEPYARDTEST/20260101/us-east-1/events/aws4_request",
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["__type"], "IncompleteSignatureException");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."),
        "{message}"
    );
    // A query service answers in XML, with its code.
    let response = http
        .post(server.endpoint())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", common::sigv4_header(common::REGION, "sns"))
        .body("Action=ListTopics&Version=2010-03-31")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let text = response.text().await.unwrap();
    assert!(text.contains("<Code>InvalidClientTokenId</Code>"), "{text}");
}

#[tokio::test]
async fn without_the_flag_any_signature_is_accepted() {
    let server = common::start().await;
    sqs(&server, creds("anything", "at all", None))
        .list_queues()
        .send()
        .await
        .expect("verification is off by default");
    eb(&server, creds(KEY, "wrong", None))
        .list_event_buses()
        .send()
        .await
        .expect("verification is off by default");
}

#[tokio::test]
async fn the_admin_token_guards_stepyard_endpoints_but_not_health() {
    let server = Server::start(Config {
        admin_token: Some("letmein".into()),
        ..Config::ephemeral()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.endpoint());
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(http.post(url("/_stepyard/reset")).send().await.unwrap()),
        401
    );
    assert_eq!(
        status(
            http.post(url("/_stepyard/reset"))
                .header("X-Stepyard-Token", "wrong")
                .send()
                .await
                .unwrap()
        ),
        401
    );
    assert_eq!(
        status(
            http.post(url("/_stepyard/reset"))
                .header("X-Stepyard-Token", "letmein")
                .send()
                .await
                .unwrap()
        ),
        200
    );
    assert_eq!(
        status(
            http.get(url("/_stepyard/clock"))
                .header("Authorization", "Bearer letmein")
                .send()
                .await
                .unwrap()
        ),
        200
    );
    for open in ["/_stepyard/health", "/_localstack/health", "/_stepyard/ui"] {
        assert_eq!(
            status(http.get(url(open)).send().await.unwrap()),
            200,
            "{open}"
        );
    }
    // The console's data needs the token; opening the page with it sets the cookie the page's
    // own calls then carry.
    assert_eq!(
        status(http.get(url("/_stepyard/regions")).send().await.unwrap()),
        401
    );
    let page = http
        .get(url("/_stepyard/ui?token=letmein"))
        .send()
        .await
        .unwrap();
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        cookie,
        "stepyard_token=letmein; Path=/; HttpOnly; SameSite=Strict"
    );
    assert_eq!(
        status(
            http.get(url("/_stepyard/regions"))
                .header("Cookie", "other=1; stepyard_token=letmein")
                .send()
                .await
                .unwrap()
        ),
        200
    );
    // SDK calls are not admin calls: the token does not touch them.
    common::sqs(&server)
        .list_queues()
        .send()
        .await
        .expect("services need no admin token");
}

#[tokio::test]
async fn the_console_works_with_signatures_verified_through_the_token_cookie() {
    let server = verifying(Some("letmein")).await;
    let http = reqwest::Client::new();
    let list = |cookie: Option<&'static str>| {
        let mut request = http
            .post(server.endpoint())
            .header("X-Amz-Target", "AWSEvents.ListEventBuses")
            .header("Content-Type", "application/x-amz-json-1.1")
            .header(
                "Authorization",
                common::sigv4_header(common::REGION, "events"),
            )
            .body("{}");
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        request.send()
    };
    assert_eq!(list(None).await.unwrap().status(), 400);
    assert_eq!(
        list(Some("stepyard_token=letmein")).await.unwrap().status(),
        200
    );
    assert_eq!(
        list(Some("stepyard_token=nope")).await.unwrap().status(),
        400
    );
}

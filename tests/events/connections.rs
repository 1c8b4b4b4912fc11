//! Connections and API destinations, and an API-destination target calling a real HTTP
//! listener with the connection's auth header.

use crate::client::{eb, entry, failed, put_events, put_rule, put_targets};
use crate::common;
use aws_sdk_eventbridge::types::{
    ApiDestinationHttpMethod, ConnectionAuthorizationType, ConnectionState,
    CreateConnectionApiKeyAuthRequestParameters, CreateConnectionAuthRequestParameters,
    CreateConnectionBasicAuthRequestParameters, HttpParameters, Target,
};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

fn basic(user: &str, password: &str) -> CreateConnectionAuthRequestParameters {
    CreateConnectionAuthRequestParameters::builder()
        .basic_auth_parameters(
            CreateConnectionBasicAuthRequestParameters::builder()
                .username(user)
                .password(password)
                .build()
                .expect("basic"),
        )
        .build()
}

#[tokio::test]
async fn connections_hide_their_secrets_and_go_through_their_states() {
    let server = common::start().await;
    let client = eb(&server);
    let created = client
        .create_connection()
        .name("c")
        .authorization_type(ConnectionAuthorizationType::Basic)
        .auth_parameters(basic("user", "secret"))
        .send()
        .await
        .expect("create");
    assert_eq!(
        created.connection_state(),
        Some(&ConnectionState::Authorized)
    );
    let arn = created.connection_arn().expect("arn").to_string();
    assert!(arn.contains(":connection/c/"), "{arn}");
    let e = failed(
        client
            .create_connection()
            .name("c")
            .authorization_type(ConnectionAuthorizationType::Basic)
            .auth_parameters(basic("u", "p"))
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceAlreadyExistsException");
    let d = client
        .describe_connection()
        .name("c")
        .send()
        .await
        .expect("describe");
    let auth = d.auth_parameters().expect("auth parameters");
    assert_eq!(
        auth.basic_auth_parameters().and_then(|b| b.username()),
        Some("user")
    );
    assert!(d
        .secret_arn()
        .is_some_and(|s| s.starts_with("arn:aws:secretsmanager:")));
    let e = failed(
        client
            .create_connection()
            .name("wrong")
            .authorization_type(ConnectionAuthorizationType::ApiKey)
            .auth_parameters(basic("u", "p"))
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");

    let deauthorized = client
        .deauthorize_connection()
        .name("c")
        .send()
        .await
        .expect("deauth");
    assert_eq!(
        deauthorized.connection_state(),
        Some(&ConnectionState::Deauthorizing)
    );
    let d = client
        .describe_connection()
        .name("c")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.connection_state(), Some(&ConnectionState::Deauthorized));
    client
        .update_connection()
        .name("c")
        .description("new")
        .send()
        .await
        .expect("update");
    let listed = client.list_connections().send().await.expect("list");
    assert_eq!(listed.connections().len(), 1);
    assert_eq!(
        listed.connections()[0].connection_state(),
        Some(&ConnectionState::Authorized)
    );
    let deleted = client
        .delete_connection()
        .name("c")
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.connection_state(), Some(&ConnectionState::Deleting));
    let e = failed(client.describe_connection().name("c").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(
        e.message,
        "Failed to describe the connection(s). Connection 'c' does not exist."
    );
}

#[tokio::test]
async fn api_destinations_need_their_connection() {
    let server = common::start().await;
    let client = eb(&server);
    let e = failed(
        client
            .create_api_destination()
            .name("d")
            .connection_arn(format!(
                "arn:aws:events:{}:{}:connection/none/1",
                common::REGION,
                common::ACCOUNT
            ))
            .invocation_endpoint("https://example.com/hook")
            .http_method(ApiDestinationHttpMethod::Post)
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFoundException");
    let connection = client
        .create_connection()
        .name("c")
        .authorization_type(ConnectionAuthorizationType::Basic)
        .auth_parameters(basic("u", "p"))
        .send()
        .await
        .expect("connection")
        .connection_arn
        .expect("arn");
    client
        .create_api_destination()
        .name("d")
        .connection_arn(&connection)
        .invocation_endpoint("https://example.com/hook")
        .http_method(ApiDestinationHttpMethod::Post)
        .send()
        .await
        .expect("create");
    client
        .update_api_destination()
        .name("d")
        .http_method(ApiDestinationHttpMethod::Put)
        .send()
        .await
        .expect("update");
    let d = client
        .describe_api_destination()
        .name("d")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.http_method(), Some(&ApiDestinationHttpMethod::Put));
    assert_eq!(d.connection_arn(), Some(connection.as_str()));
    let listed = client.list_api_destinations().send().await.expect("list");
    assert_eq!(listed.api_destinations().len(), 1);
    client
        .delete_api_destination()
        .name("d")
        .send()
        .await
        .expect("delete");
    let e = failed(client.describe_api_destination().name("d").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
}

/// One HTTP request as the listener saw it: the request head and the body.
async fn listen_once() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            let (head, body) = loop {
                let n = socket.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break (String::from_utf8_lossy(&data).to_string(), String::new());
                }
                data.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&data).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if body.len() >= length {
                        break (head.to_string(), body.to_string());
                    }
                }
            };
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
            let _ = tx.send((head, body)).await;
        }
    });
    (format!("http://{addr}"), rx)
}

#[tokio::test]
async fn an_api_destination_target_calls_the_endpoint_with_the_connection_auth() {
    let server = common::start().await;
    let client = eb(&server);
    let (base, mut requests) = listen_once().await;
    let connection = client
        .create_connection()
        .name("c")
        .authorization_type(ConnectionAuthorizationType::ApiKey)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name("x-api-key")
                        .api_key_value("k123")
                        .build()
                        .expect("api key"),
                )
                .build(),
        )
        .send()
        .await
        .expect("connection")
        .connection_arn
        .expect("arn");
    let destination = client
        .create_api_destination()
        .name("hook")
        .connection_arn(&connection)
        .invocation_endpoint(format!("{base}/orders/*"))
        .http_method(ApiDestinationHttpMethod::Post)
        .send()
        .await
        .expect("destination")
        .api_destination_arn
        .expect("arn");
    put_rule(&client, "r", r#"{"source": ["app"]}"#).await;
    put_targets(
        &client,
        "r",
        vec![Target::builder()
            .id("hook")
            .arn(&destination)
            .role_arn("arn:aws:iam::000000000000:role/r")
            .http_parameters(
                HttpParameters::builder()
                    .path_parameter_values("42")
                    .header_parameters("x-extra", "yes")
                    .query_string_parameters("q", "1")
                    .build(),
            )
            .build()
            .expect("target")],
    )
    .await;
    put_events(&client, vec![entry(r#"{"order": 42}"#)]).await;
    let (head, body) = tokio::time::timeout(Duration::from_secs(5), requests.recv())
        .await
        .expect("the endpoint is called")
        .expect("a request");
    let first_line = head.lines().next().unwrap_or_default().to_string();
    assert_eq!(first_line, "POST /orders/42?q=1 HTTP/1.1");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("x-api-key: k123"), "{head}");
    assert!(lower.contains("x-extra: yes"), "{head}");
    let event: serde_json::Value = serde_json::from_str(&body).expect("JSON body");
    assert_eq!(event["detail"], serde_json::json!({"order": 42}));
}

#[tokio::test]
async fn missing_connections_and_api_destinations_are_named_in_quotes() {
    let server = common::start().await;
    let client = eb(&server);
    let e = failed(client.describe_connection().name("gone").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(
        e.message,
        "Failed to describe the connection(s). Connection 'gone' does not exist."
    );
    let e = failed(client.delete_connection().name("gone").send().await);
    assert_eq!(e.message, "Connection 'gone' does not exist.");
    let e = failed(
        client
            .update_connection()
            .name("gone")
            .description("d")
            .send()
            .await,
    );
    assert_eq!(e.message, "Connection 'gone' does not exist.");
    let e = failed(client.describe_api_destination().name("gone").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(
        e.message,
        "Failed to describe the api-destination(s). An api-destination 'gone' does not exist."
    );
    let e = failed(client.delete_api_destination().name("gone").send().await);
    assert_eq!(e.message, "An api-destination 'gone' does not exist.");
    let e = failed(
        client
            .update_api_destination()
            .name("gone")
            .description("d")
            .send()
            .await,
    );
    assert_eq!(e.message, "An api-destination 'gone' does not exist.");
}

#[tokio::test]
async fn api_destinations_default_to_300_invocations_per_second() {
    let server = common::start().await;
    let client = eb(&server);
    let connection = client
        .create_connection()
        .name("c")
        .authorization_type(ConnectionAuthorizationType::Basic)
        .auth_parameters(basic("u", "p"))
        .send()
        .await
        .expect("connection")
        .connection_arn
        .expect("arn");
    client
        .create_api_destination()
        .name("d")
        .connection_arn(&connection)
        .invocation_endpoint("https://example.com/hook")
        .http_method(ApiDestinationHttpMethod::Post)
        .send()
        .await
        .expect("create");
    let d = client
        .describe_api_destination()
        .name("d")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.invocation_rate_limit_per_second(), Some(300));
    let listed = client.list_api_destinations().send().await.expect("list");
    assert_eq!(
        listed.api_destinations()[0].invocation_rate_limit_per_second(),
        Some(300)
    );
}

#[tokio::test]
async fn a_new_oauth_client_credentials_connection_is_authorizing() {
    use aws_sdk_eventbridge::types::{
        ConnectionOAuthHttpMethod, CreateConnectionOAuthClientRequestParameters,
        CreateConnectionOAuthRequestParameters,
    };
    let server = common::start().await;
    let client = eb(&server);
    let oauth = CreateConnectionAuthRequestParameters::builder()
        .o_auth_parameters(
            CreateConnectionOAuthRequestParameters::builder()
                .client_parameters(
                    CreateConnectionOAuthClientRequestParameters::builder()
                        .client_id("id")
                        .client_secret("secret")
                        .build()
                        .expect("client"),
                )
                .authorization_endpoint("https://auth.example.com/token")
                .http_method(ConnectionOAuthHttpMethod::Post)
                .build()
                .expect("oauth"),
        )
        .build();
    let created = client
        .create_connection()
        .name("o")
        .authorization_type(ConnectionAuthorizationType::OauthClientCredentials)
        .auth_parameters(oauth)
        .send()
        .await
        .expect("create");
    assert_eq!(
        created.connection_state(),
        Some(&ConnectionState::Authorizing)
    );
    let d = client
        .describe_connection()
        .name("o")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.connection_state(), Some(&ConnectionState::Authorizing));
}

#[tokio::test]
async fn an_oauth_http_method_in_any_case_is_accepted_and_reported_in_capitals() {
    use aws_sdk_eventbridge::types::{
        ConnectionOAuthHttpMethod, CreateConnectionOAuthClientRequestParameters,
        CreateConnectionOAuthRequestParameters,
    };
    let server = common::start().await;
    let client = eb(&server);
    let oauth = |method: &str| {
        CreateConnectionAuthRequestParameters::builder()
            .o_auth_parameters(
                CreateConnectionOAuthRequestParameters::builder()
                    .client_parameters(
                        CreateConnectionOAuthClientRequestParameters::builder()
                            .client_id("id")
                            .client_secret("secret")
                            .build()
                            .expect("client"),
                    )
                    .authorization_endpoint("https://auth.example.com/token")
                    .http_method(ConnectionOAuthHttpMethod::from(method))
                    .build()
                    .expect("oauth"),
            )
            .build()
    };
    client
        .create_connection()
        .name("lower")
        .authorization_type(ConnectionAuthorizationType::OauthClientCredentials)
        .auth_parameters(oauth("post"))
        .send()
        .await
        .expect("a lower-case method is accepted");
    let d = client
        .describe_connection()
        .name("lower")
        .send()
        .await
        .expect("describe");
    let method = d
        .auth_parameters()
        .and_then(|a| a.o_auth_parameters())
        .and_then(|o| o.http_method());
    assert_eq!(method, Some(&ConnectionOAuthHttpMethod::Post));
    let err = client
        .create_connection()
        .name("bad")
        .authorization_type(ConnectionAuthorizationType::OauthClientCredentials)
        .auth_parameters(oauth("PATCH"))
        .send()
        .await
        .expect_err("a method outside the enum is refused");
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("ValidationException")
    );
}

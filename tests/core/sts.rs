//! STS through `aws-sdk-sts`: GetCallerIdentity (the usual smoke test, and the first call of
//! the Terraform AWS provider and the CDK) and AssumeRole, whose temporary credentials then act
//! in the role's account on every service.

use crate::common::{self, start};
use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sts::error::ProvideErrorMetadata;
use stepyard::RunningServer;

fn sts_as(server: &RunningServer, credentials: Credentials) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(common::REGION))
        .endpoint_url(server.endpoint())
        .credentials_provider(credentials)
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

fn sts(server: &RunningServer) -> aws_sdk_sts::Client {
    sts_as(
        server,
        Credentials::new("test", "test", None, None, "tests"),
    )
}

#[tokio::test]
async fn get_caller_identity_names_the_root_user_of_the_account() {
    let server = start().await;
    let me = sts(&server).get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some(common::ACCOUNT));
    assert_eq!(me.user_id(), Some(common::ACCOUNT));
    assert_eq!(me.arn(), Some("arn:aws:iam::000000000000:root"));
}

#[tokio::test]
async fn get_caller_identity_with_a_twelve_digit_access_key_names_that_account() {
    let server = start().await;
    let client = sts_as(
        &server,
        Credentials::new("123456789012", "test", None, None, "tests"),
    );
    let me = client.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("123456789012"));
    assert_eq!(me.arn(), Some("arn:aws:iam::123456789012:root"));
}

#[tokio::test]
async fn assumed_role_credentials_act_as_the_role_in_its_account() {
    let server = start().await;
    let assumed = sts(&server)
        .assume_role()
        .role_arn("arn:aws:iam::111122223333:role/ci/deployer")
        .role_session_name("build-42")
        .send()
        .await
        .unwrap();
    let user = assumed.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        "arn:aws:sts::111122223333:assumed-role/deployer/build-42"
    );
    assert!(user.assumed_role_id().starts_with("AROA"), "{user:?}");
    assert!(user.assumed_role_id().ends_with(":build-42"), "{user:?}");
    let creds = assumed.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert_eq!(creds.access_key_id().len(), 20);
    let lifetime = creds.expiration().secs() - server.clock().now_millis() as i64 / 1000;
    assert!((3590..=3600).contains(&lifetime), "{lifetime}");

    let as_role = Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token().to_string()),
        None,
        "assumed",
    );
    let me = sts_as(&server, as_role.clone())
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some("111122223333"));
    assert_eq!(me.arn(), Some(user.arn()));
    assert_eq!(me.user_id(), Some(user.assumed_role_id()));

    // Any service: a queue created with the role's credentials lives in the role's account.
    let sqs_config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new(common::REGION))
        .endpoint_url(server.endpoint())
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_string()),
            None,
            "assumed",
        ))
        .build();
    let url = aws_sdk_sqs::Client::from_conf(sqs_config)
        .create_queue()
        .queue_name("deployments")
        .send()
        .await
        .unwrap();
    assert!(
        url.queue_url()
            .unwrap()
            .ends_with("/111122223333/deployments"),
        "{url:?}"
    );
}

#[tokio::test]
async fn assume_role_lasts_the_requested_duration() {
    let server = start().await;
    let assumed = sts(&server)
        .assume_role()
        .role_arn("arn:aws:iam::111122223333:role/deployer")
        .role_session_name("short")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let expiration = assumed.credentials().unwrap().expiration().secs();
    let lifetime = expiration - server.clock().now_millis() as i64 / 1000;
    assert!((890..=900).contains(&lifetime), "{lifetime}");
}

#[tokio::test]
async fn assume_role_with_a_malformed_role_arn_is_a_validation_error() {
    let server = start().await;
    let err = sts(&server)
        .assume_role()
        .role_arn("arn:aws:iam::123:role/too-short-account")
        .role_session_name("s1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(err.message(), Some("Request ARN is invalid"));
}

#[tokio::test]
async fn assume_role_checks_the_session_name_and_duration_as_aws_words_it() {
    let server = start().await;
    let client = sts(&server);
    let err = client
        .assume_role()
        .role_arn("arn:aws:iam::111122223333:role/deployer")
        .role_session_name("no spaces")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some(
            "1 validation error detected: Value 'no spaces' at 'roleSessionName' failed to \
             satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )
    );
    let err = client
        .assume_role()
        .role_arn("arn:aws:iam::111122223333:role/deployer")
        .role_session_name("s1")
        .duration_seconds(60)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some(
            "1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy \
             constraint: Member must have value greater than or equal to 900"
        )
    );
}

#[tokio::test]
async fn assume_role_names_every_violation_pattern_before_length() {
    let server = start().await;
    let client = sts(&server);
    let err = client
        .assume_role()
        .role_arn("arn:aws:iam::1:r")
        .role_session_name(" ")
        .duration_seconds(60)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some(
            "4 validation errors detected: Value 'arn:aws:iam::1:r' at 'roleArn' failed \
             to satisfy constraint: Member must have length greater than or equal to 20; \
             Value ' ' at 'roleSessionName' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: [\\w+=,.@-]*; Value ' ' at 'roleSessionName' failed \
             to satisfy constraint: Member must have length greater than or equal to 2; \
             Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have \
             value greater than or equal to 900"
        )
    );
}

/// The presigned form (a GET with the action and the credential in the query string), as
/// `aws-iam-authenticator` and Vault's AWS auth send GetCallerIdentity.
#[tokio::test]
async fn presigned_get_caller_identity_answers_in_xml() {
    let server = start().await;
    let url = format!(
        "{}/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=444455556666%2F20260101%2Fus-east-1%2Fsts%2Faws4_request\
         &X-Amz-Signature=0",
        server.endpoint()
    );
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(
        body.contains(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        ),
        "{body}"
    );
    assert!(body.contains("<Account>444455556666</Account>"), "{body}");
    assert!(
        body.contains("<Arn>arn:aws:iam::444455556666:root</Arn>"),
        "{body}"
    );
}

#[tokio::test]
async fn operations_stepyard_lacks_answer_not_implemented_naming_them() {
    let server = start().await;
    let err = sts(&server).get_session_token().send().await.unwrap_err();
    assert_eq!(err.code(), Some("NotImplemented"));
    assert!(
        err.message()
            .unwrap_or_default()
            .contains("GetSessionToken"),
        "{err:?}"
    );
}

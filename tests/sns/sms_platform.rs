//! SMS, the SMS sandbox, origination numbers and mobile push, as AWS answers for a new
//! account: nothing is really sent; what would be is recorded.

use crate::common::start;
use crate::support::*;

#[tokio::test]
async fn sms_attributes_round_trip() {
    let server = start().await;
    let sns = sns(&server);
    let got = sns.get_sms_attributes().send().await.unwrap();
    assert!(got.attributes.unwrap_or_default().is_empty());
    sns.set_sms_attributes()
        .attributes("DefaultSMSType", "Transactional")
        .attributes("DefaultSenderID", "Stepyard")
        .send()
        .await
        .unwrap();
    let got = sns
        .get_sms_attributes()
        .attributes("DefaultSMSType")
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got["DefaultSMSType"], "Transactional");
    let err = expect_err(
        sns.set_sms_attributes()
            .attributes("Colour", "x")
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure("InvalidParameter", "Colour is not a valid attribute", 400)
    );
}

#[tokio::test]
async fn phone_number_lookups() {
    let server = start().await;
    let sns = sns(&server);
    let out = sns
        .check_if_phone_number_is_opted_out()
        .phone_number("+15555550100")
        .send()
        .await
        .unwrap();
    assert!(!out.is_opted_out);
    let err = expect_err(
        sns.check_if_phone_number_is_opted_out()
            .phone_number("555")
            .send()
            .await,
    );
    assert_eq!(err.code, "InvalidParameter");
    let listed = sns.list_phone_numbers_opted_out().send().await.unwrap();
    assert!(listed.phone_numbers.unwrap_or_default().is_empty());
    sns.opt_in_phone_number()
        .phone_number("+15555550100")
        .send()
        .await
        .unwrap();
    let numbers = sns.list_origination_numbers().send().await.unwrap();
    assert!(numbers.phone_numbers.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn publish_to_a_phone_number_is_recorded() {
    let server = start().await;
    let sns = sns(&server);
    let id = sns
        .publish()
        .phone_number("+15555550100")
        .message("your code is 1234")
        .send()
        .await
        .unwrap()
        .message_id
        .unwrap();
    let sms = server.state().sns.deliveries();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].endpoint, "+15555550100");
    assert_eq!(sms[0].body, "your code is 1234");
    assert_eq!(sms[0].message_id.as_deref(), Some(id.as_str()));
    let err = expect_err(sns.publish().phone_number("12").message("x").send().await);
    assert_eq!(
        err.message,
        "Invalid parameter: PhoneNumber Reason: 12 is not valid to publish to"
    );
}

#[tokio::test]
async fn the_sms_sandbox_verifies_with_the_sent_password() {
    let server = start().await;
    let sns = sns(&server);
    let status = sns.get_sms_sandbox_account_status().send().await.unwrap();
    assert!(status.is_in_sandbox);
    sns.create_sms_sandbox_phone_number()
        .phone_number("+15555550100")
        .send()
        .await
        .unwrap();
    let listed = sns.list_sms_sandbox_phone_numbers().send().await.unwrap();
    assert_eq!(
        listed.phone_numbers()[0].status().map(|s| s.as_str()),
        Some("Pending")
    );
    let sent = server.state().sns.deliveries();
    let code = sent[0].body.rsplit(' ').next().unwrap().to_string();
    let err = expect_err(
        sns.verify_sms_sandbox_phone_number()
            .phone_number("+15555550100")
            .one_time_password("12345")
            .send()
            .await,
    );
    assert_eq!(err.code, "VerificationException");
    sns.verify_sms_sandbox_phone_number()
        .phone_number("+15555550100")
        .one_time_password(code)
        .send()
        .await
        .unwrap();
    let listed = sns.list_sms_sandbox_phone_numbers().send().await.unwrap();
    assert_eq!(
        listed.phone_numbers()[0].status().map(|s| s.as_str()),
        Some("Verified")
    );
    sns.delete_sms_sandbox_phone_number()
        .phone_number("+15555550100")
        .send()
        .await
        .unwrap();
    let err = expect_err(
        sns.delete_sms_sandbox_phone_number()
            .phone_number("+15555550100")
            .send()
            .await,
    );
    assert_eq!(err.code, "ResourceNotFound");
}

#[tokio::test]
async fn platform_applications_and_endpoints() {
    let server = start().await;
    let sns = sns(&server);
    let app = sns
        .create_platform_application()
        .name("app")
        .platform("GCM")
        .attributes("PlatformCredential", "secret")
        .send()
        .await
        .unwrap()
        .platform_application_arn
        .unwrap();
    assert_eq!(app, format!("arn:aws:sns:{REGION}:{ACCOUNT}:app/GCM/app"));
    let attributes = sns
        .get_platform_application_attributes()
        .platform_application_arn(&app)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["Enabled"], "true");
    assert!(
        !attributes.contains_key("PlatformCredential"),
        "credentials are not returned"
    );
    let listed = sns.list_platform_applications().send().await.unwrap();
    assert_eq!(listed.platform_applications().len(), 1);

    let endpoint = sns
        .create_platform_endpoint()
        .platform_application_arn(&app)
        .token("device-token")
        .custom_user_data("user-1")
        .send()
        .await
        .unwrap()
        .endpoint_arn
        .unwrap();
    assert!(endpoint.contains(":endpoint/GCM/app/"), "{endpoint}");
    let attributes = sns
        .get_endpoint_attributes()
        .endpoint_arn(&endpoint)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["Token"], "device-token");
    assert_eq!(attributes["CustomUserData"], "user-1");
    let endpoints = sns
        .list_endpoints_by_platform_application()
        .platform_application_arn(&app)
        .send()
        .await
        .unwrap();
    assert_eq!(endpoints.endpoints().len(), 1);

    sns.publish()
        .target_arn(&endpoint)
        .message("push")
        .send()
        .await
        .unwrap();
    assert_eq!(server.state().sns.deliveries()[0].body, "push");
    sns.set_endpoint_attributes()
        .endpoint_arn(&endpoint)
        .attributes("Enabled", "false")
        .send()
        .await
        .unwrap();
    let err = expect_err(
        sns.publish()
            .target_arn(&endpoint)
            .message("push")
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure("EndpointDisabled", "Endpoint is disabled", 400)
    );
    sns.set_platform_application_attributes()
        .platform_application_arn(&app)
        .attributes(
            "EventEndpointCreated",
            "arn:aws:sns:us-east-1:000000000000:t",
        )
        .send()
        .await
        .unwrap();

    sns.delete_endpoint()
        .endpoint_arn(&endpoint)
        .send()
        .await
        .unwrap();
    let err = expect_err(
        sns.get_endpoint_attributes()
            .endpoint_arn(&endpoint)
            .send()
            .await,
    );
    assert_eq!(err, failure("NotFound", "Endpoint does not exist", 404));
    sns.delete_platform_application()
        .platform_application_arn(&app)
        .send()
        .await
        .unwrap();
    let err = expect_err(
        sns.get_platform_application_attributes()
            .platform_application_arn(&app)
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure("NotFound", "PlatformApplication does not exist", 404)
    );
    let err = expect_err(
        sns.create_platform_application()
            .name("x")
            .platform("PIGEON")
            .attributes("PlatformCredential", "c")
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: Platform Reason: PIGEON is not supported"
    );
}

async fn gcm_endpoint(sns: &aws_sdk_sns::Client) -> String {
    let app = sns
        .create_platform_application()
        .name("app")
        .platform("GCM")
        .attributes("PlatformCredential", "secret")
        .send()
        .await
        .unwrap()
        .platform_application_arn
        .unwrap();
    sns.create_platform_endpoint()
        .platform_application_arn(&app)
        .token("device-token")
        .send()
        .await
        .unwrap()
        .endpoint_arn
        .unwrap()
}

#[tokio::test]
async fn publish_to_a_disabled_endpoint_fails_before_the_message_structure_is_checked() {
    let server = start().await;
    let sns = sns(&server);
    let endpoint = gcm_endpoint(&sns).await;
    sns.set_endpoint_attributes()
        .endpoint_arn(&endpoint)
        .attributes("Enabled", "false")
        .send()
        .await
        .unwrap();
    let err = expect_err(
        sns.publish()
            .target_arn(&endpoint)
            .message("not json")
            .message_structure("json")
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure("EndpointDisabled", "Endpoint is disabled", 400)
    );
}

#[tokio::test]
async fn subscribing_an_application_endpoint_that_does_not_exist_is_invalid_parameter() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let endpoint = gcm_endpoint(&sns).await;
    let missing = format!("{}-gone", endpoint);
    let err = expect_err(
        sns.subscribe()
            .topic_arn(&topic)
            .protocol("application")
            .endpoint(&missing)
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure(
            "InvalidParameter",
            &format!("Invalid parameter: Endpoint Reason: Endpoint does not exist for endpoint arn{missing}"),
            400
        )
    );
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("application")
        .endpoint(&endpoint)
        .send()
        .await
        .expect("an existing endpoint can be subscribed");
}

//! Values the model marks sensitive (a state machine definition, a task token) are never
//! echoed in an error, as AWS words it ("Value at 'definition' failed to satisfy ..."): a
//! definition of several megabytes is not sent back in its own error.

use crate::client::sfn;
use crate::common;

#[tokio::test]
async fn an_oversized_definition_is_refused_without_being_echoed() {
    let server = common::start().await;
    let client = sfn(&server);
    let padding = "x".repeat(5 * 1024 * 1024);
    let definition = format!(
        r#"{{"Comment": "{padding}", "StartAt": "P", "States": {{"P": {{"Type": "Pass", "End": true}}}}}}"#
    );
    let refused = client
        .create_state_machine()
        .name("huge")
        .definition(definition)
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .expect_err("a definition over 1 MiB is refused");
    let service = refused.as_service_error().expect("a service error");
    assert_eq!(
        aws_sdk_sfn::error::ProvideErrorMetadata::code(service),
        Some("ValidationException")
    );
    assert_eq!(
        aws_sdk_sfn::error::ProvideErrorMetadata::message(service),
        Some("1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to 1048576")
    );
}

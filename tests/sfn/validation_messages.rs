//! A request that breaks several of the model's constraints is answered with all of them, as
//! AWS's coral front end words it: "N validation errors detected: <e1>; <e2>; ...", members in
//! the model's order, a pattern before a length on the same member; one violation keeps the
//! singular "1 validation error detected: ...".

use crate::client::{create_machine, failed, sfn, PASS};
use crate::common;
use aws_sdk_sfn::types::ExecutionStatus;

const STATUS_ENUM: &str = "Member must satisfy enum value set: \
    [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]";

#[tokio::test]
async fn two_violations_are_counted_and_joined_with_semicolons_in_model_order() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let e = failed(
        client
            .list_executions()
            .state_machine_arn(&machine)
            .max_results(1001)
            .status_filter(ExecutionStatus::from("succeeded"))
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        format!(
            "2 validation errors detected: \
             Value 'succeeded' at 'statusFilter' failed to satisfy constraint: {STATUS_ENUM}; \
             Value '1001' at 'maxResults' failed to satisfy constraint: \
             Member must have value less than or equal to 1000"
        )
    );
}

#[tokio::test]
async fn three_violations_name_every_member_in_model_order() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let token = "t".repeat(3097);
    let e = failed(
        client
            .list_executions()
            .next_token(&token)
            .max_results(1001)
            .status_filter(ExecutionStatus::from("succeeded"))
            .state_machine_arn(&machine)
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        format!(
            "3 validation errors detected: \
             Value 'succeeded' at 'statusFilter' failed to satisfy constraint: {STATUS_ENUM}; \
             Value '1001' at 'maxResults' failed to satisfy constraint: \
             Member must have value less than or equal to 1000; \
             Value '{token}' at 'nextToken' failed to satisfy constraint: \
             Member must have length less than or equal to 3096"
        )
    );
}

#[tokio::test]
async fn a_missing_member_and_a_too_long_one_are_both_named() {
    let server = common::start().await;
    let client = sfn(&server);
    let name = "n".repeat(81);
    // The Rust SDK refuses to send a request without its required ARN, so an empty one.
    let e = failed(
        client
            .start_execution()
            .state_machine_arn("")
            .name(&name)
            .send()
            .await,
    );
    assert_eq!(
        e.message,
        format!(
            "2 validation errors detected: \
             Value '' at 'stateMachineArn' failed to satisfy constraint: \
             Member must have length greater than or equal to 1; \
             Value '{name}' at 'name' failed to satisfy constraint: \
             Member must have length less than or equal to 80"
        )
    );
}

#[tokio::test]
async fn a_single_violation_keeps_the_singular_message() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let e = failed(
        client
            .list_executions()
            .state_machine_arn(&machine)
            .max_results(1001)
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy \
         constraint: Member must have value less than or equal to 1000"
    );
}

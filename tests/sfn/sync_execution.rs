//! StartSyncExecution (Express only), and the `sync-` host prefix the SDK adds to it.

use crate::client::{
    create_machine, create_machine_of, failed, sfn, sfn_without_host_fix, FAIL, PASS,
};
use crate::common;
use aws_sdk_sfn::types::{StateMachineType, SyncExecutionStatus};
use serde_json::json;

#[tokio::test]
async fn a_sync_execution_answers_with_its_output() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine_of(&client, "fast", PASS, StateMachineType::Express).await;
    let result = client
        .start_sync_execution()
        .state_machine_arn(&machine)
        .name("s1")
        .input(r#"{"n": 1}"#)
        .send()
        .await
        .expect("sync execution");
    assert_eq!(result.status, SyncExecutionStatus::Succeeded);
    assert_eq!(result.name.as_deref(), Some("s1"));
    assert_eq!(result.state_machine_arn.as_deref(), Some(machine.as_str()));
    assert!(result.execution_arn.contains(":express:fast:s1:"));
    let output: serde_json::Value =
        serde_json::from_str(result.output.as_deref().expect("output")).expect("JSON");
    assert_eq!(output, json!({"n": 1, "result": "hello"}));
    let billing = result.billing_details.expect("billing details");
    assert_eq!(billing.billed_memory_used_in_mb, 64);
    assert!(billing.billed_duration_in_milliseconds >= 100);
    assert!(result.stop_date.secs() >= result.start_date.secs());
}

#[tokio::test]
async fn a_failing_sync_execution_reports_error_and_cause() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine_of(&client, "fails", FAIL, StateMachineType::Express).await;
    let result = client
        .start_sync_execution()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("sync execution");
    assert_eq!(result.status, SyncExecutionStatus::Failed);
    assert_eq!(result.error.as_deref(), Some("Custom.Error"));
    assert_eq!(result.cause.as_deref(), Some("it broke"));
    assert!(result.output.is_none());
}

#[tokio::test]
async fn sync_executions_are_for_express_machines_only() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "standard", PASS).await;
    let refused = failed(
        client
            .start_sync_execution()
            .state_machine_arn(&machine)
            .send()
            .await,
    );
    assert_eq!(refused.code, "StateMachineTypeNotSupported");
}

/// Documents the SDK's behaviour: without the interceptor the request goes to
/// `sync-127.0.0.1`, which does not resolve, and never reaches the server.
#[tokio::test]
async fn without_the_interceptor_the_sdk_sends_sync_calls_to_an_unresolvable_host() {
    let server = common::start().await;
    let machine = create_machine_of(&sfn(&server), "fast", PASS, StateMachineType::Express).await;
    let outcome = failed(
        sfn_without_host_fix(&server)
            .start_sync_execution()
            .state_machine_arn(&machine)
            .send()
            .await,
    );
    assert_eq!(outcome.code, "<transport>");
    assert!(outcome.message.contains("dns error"), "{}", outcome.message);
}

//! StartExecution, DescribeExecution, ListExecutions, StopExecution,
//! DescribeStateMachineForExecution.

use crate::client::{
    create_machine, create_machine_of, failed, machine_arn, sfn, start, wait_until_done, FAIL,
    PASS, ROLE, WAIT,
};
use crate::common;
use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use serde_json::json;

fn execution_arn(machine: &str, name: &str) -> String {
    format!(
        "arn:aws:states:{}:{}:execution:{machine}:{name}",
        common::REGION,
        common::ACCOUNT
    )
}

#[tokio::test]
async fn an_execution_runs_to_success_and_is_described() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let started = client
        .start_execution()
        .state_machine_arn(&machine)
        .name("run-1")
        .input(r#"{"order": 7}"#)
        .send()
        .await
        .expect("start");
    assert_eq!(started.execution_arn, execution_arn("m", "run-1"));
    let done = wait_until_done(&client, &started.execution_arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.name.as_deref(), Some("run-1"));
    assert_eq!(done.state_machine_arn, machine);
    assert_eq!(done.input.as_deref(), Some(r#"{"order": 7}"#));
    assert_eq!(done.start_date, started.start_date);
    assert!(done.stop_date.is_some());
    let output: serde_json::Value =
        serde_json::from_str(done.output.as_deref().expect("output")).expect("JSON output");
    assert_eq!(output, json!({"order": 7, "result": "hello"}));
}

#[tokio::test]
async fn a_failing_execution_reports_its_error_and_cause() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "f", FAIL).await;
    let arn = start(&client, &machine, "boom", "{}").await;
    let done = wait_until_done(&client, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("Custom.Error"));
    assert_eq!(done.cause.as_deref(), Some("it broke"));
}

#[tokio::test]
async fn starting_again_is_idempotent_only_while_running_with_the_same_input() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "w", WAIT).await;
    let first = client
        .start_execution()
        .state_machine_arn(&machine)
        .name("once")
        .input("{}")
        .send()
        .await
        .expect("start");
    let again = client
        .start_execution()
        .state_machine_arn(&machine)
        .name("once")
        .input("{}")
        .send()
        .await
        .expect("same name and input while running");
    assert_eq!(again.execution_arn, first.execution_arn);
    assert_eq!(again.start_date, first.start_date);
    let different = failed(
        client
            .start_execution()
            .state_machine_arn(&machine)
            .name("once")
            .input(r#"{"other": true}"#)
            .send()
            .await,
    );
    assert_eq!(different.code, "ExecutionAlreadyExists");
    assert_eq!(
        different.message,
        format!("Execution Already Exists: '{}'", first.execution_arn)
    );

    let pass = create_machine(&client, "p", PASS).await;
    let arn = start(&client, &pass, "done", "{}").await;
    wait_until_done(&client, &arn).await;
    let closed = failed(
        client
            .start_execution()
            .state_machine_arn(&pass)
            .name("done")
            .input("{}")
            .send()
            .await,
    );
    assert_eq!(closed.code, "ExecutionAlreadyExists");
}

#[tokio::test]
async fn start_checks_the_name_input_and_machine() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let bad_name = failed(
        client
            .start_execution()
            .state_machine_arn(&machine)
            .name("a/b")
            .send()
            .await,
    );
    assert_eq!(bad_name.code, "InvalidName");
    assert_eq!(bad_name.message, "Invalid Name: 'a/b'");
    let bad_input = failed(
        client
            .start_execution()
            .state_machine_arn(&machine)
            .input("{not json")
            .send()
            .await,
    );
    assert_eq!(bad_input.code, "InvalidExecutionInput");
    let missing = failed(
        client
            .start_execution()
            .state_machine_arn(machine_arn("nope"))
            .send()
            .await,
    );
    assert_eq!(missing.code, "StateMachineDoesNotExist");
    let unnamed = client
        .start_execution()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("a name is generated");
    assert!(unnamed.execution_arn.starts_with(&execution_arn("m", "")));
}

#[tokio::test]
async fn stop_aborts_a_running_execution_with_error_and_cause() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "w", WAIT).await;
    let arn = start(&client, &machine, "to-stop", "{}").await;
    let stopped = client
        .stop_execution()
        .execution_arn(&arn)
        .error("User.Stop")
        .cause("no longer needed")
        .send()
        .await
        .expect("stop");
    let described = client
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.status, ExecutionStatus::Aborted);
    assert_eq!(described.error.as_deref(), Some("User.Stop"));
    assert_eq!(described.cause.as_deref(), Some("no longer needed"));
    assert_eq!(described.stop_date, Some(stopped.stop_date));

    let missing = failed(
        client
            .stop_execution()
            .execution_arn(execution_arn("w", "nope"))
            .send()
            .await,
    );
    assert_eq!(missing.code, "ExecutionDoesNotExist");
}

#[tokio::test]
async fn list_executions_is_newest_first_filters_by_status_and_pages() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "w", WAIT).await;
    for i in 0..4 {
        start(&client, &machine, &format!("e{i}"), "{}").await;
    }
    client
        .stop_execution()
        .execution_arn(execution_arn("w", "e1"))
        .send()
        .await
        .expect("stop");
    let all = client
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("list");
    let names: Vec<_> = all.executions.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["e3", "e2", "e1", "e0"]);

    let aborted = client
        .list_executions()
        .state_machine_arn(&machine)
        .status_filter(ExecutionStatus::Aborted)
        .send()
        .await
        .expect("list aborted");
    let names: Vec<_> = aborted.executions.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["e1"]);

    let first = client
        .list_executions()
        .state_machine_arn(&machine)
        .max_results(3)
        .send()
        .await
        .expect("page 1");
    assert_eq!(first.executions.len(), 3);
    let second = client
        .list_executions()
        .state_machine_arn(&machine)
        .max_results(3)
        .set_next_token(first.next_token)
        .send()
        .await
        .expect("page 2");
    assert_eq!(second.executions.len(), 1);
    assert!(second.next_token.is_none());

    let missing = failed(
        client
            .list_executions()
            .state_machine_arn(machine_arn("nope"))
            .send()
            .await,
    );
    assert_eq!(missing.code, "StateMachineDoesNotExist");
}

#[tokio::test]
async fn describe_execution_refuses_unknown_and_malformed_arns() {
    let server = common::start().await;
    let client = sfn(&server);
    let missing = failed(
        client
            .describe_execution()
            .execution_arn(execution_arn("m", "e"))
            .send()
            .await,
    );
    assert_eq!(missing.code, "ExecutionDoesNotExist");
    assert_eq!(
        missing.message,
        format!("Execution Does Not Exist: '{}'", execution_arn("m", "e"))
    );
    let malformed = failed(
        client
            .describe_execution()
            .execution_arn("nope")
            .send()
            .await,
    );
    assert_eq!(malformed.code, "InvalidArn");
}

#[tokio::test]
async fn express_executions_run_but_cannot_be_described_or_listed() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine_of(&client, "fast", PASS, StateMachineType::Express).await;
    let started = client
        .start_execution()
        .state_machine_arn(&machine)
        .name("e")
        .send()
        .await
        .expect("start express");
    assert!(
        started
            .execution_arn
            .starts_with("arn:aws:states:us-east-1:000000000000:express:fast:e:"),
        "{}",
        started.execution_arn
    );
    let describe = failed(
        client
            .describe_execution()
            .execution_arn(&started.execution_arn)
            .send()
            .await,
    );
    assert_eq!(describe.code, "InvalidArn");
    assert_eq!(
        describe.message,
        "Invalid Arn: 'Resource type not valid in this context: express'"
    );
    let list = failed(
        client
            .list_executions()
            .state_machine_arn(&machine)
            .send()
            .await,
    );
    assert_eq!(list.code, "StateMachineTypeNotSupported");
    assert_eq!(
        list.message,
        "This operation is not supported by this type of state machine"
    );
}

#[tokio::test]
async fn the_machine_of_an_execution_is_the_one_it_started_with() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let arn = start(&client, &machine, "e", "{}").await;
    client
        .update_state_machine()
        .state_machine_arn(&machine)
        .definition(FAIL)
        .send()
        .await
        .expect("update");
    let described = client
        .describe_state_machine_for_execution()
        .execution_arn(&arn)
        .send()
        .await
        .expect("describe for execution");
    assert_eq!(described.definition, PASS);
    assert_eq!(described.name, "m");
    assert_eq!(described.role_arn, ROLE);
    assert_eq!(described.state_machine_arn, machine);
}

#[tokio::test]
async fn input_that_is_not_json_is_refused_with_jacksons_message() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    for (input, reason) in [
        (
            "not some json",
            "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
        ),
        (
            "{'not': 'json'",
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
        ),
        ("", "Invalid execution input."),
    ] {
        let e = failed(
            client
                .start_execution()
                .state_machine_arn(&machine)
                .input(input)
                .send()
                .await,
        );
        assert_eq!(e.code, "InvalidExecutionInput", "{input:?}");
        assert_eq!(
            e.message,
            format!("Invalid State Machine Execution Input: '{reason}'")
        );
    }
}

#[tokio::test]
async fn an_unknown_task_token_is_an_invalid_token_before_the_output_is_read() {
    let server = common::start().await;
    let client = sfn(&server);
    let e = failed(
        client
            .send_task_success()
            .task_token("no-such-token")
            .output("not json")
            .send()
            .await,
    );
    assert_eq!(e.code, "InvalidToken");
    let e = failed(
        client
            .send_task_failure()
            .task_token("no-such-token")
            .send()
            .await,
    );
    assert_eq!(e.code, "InvalidToken");
    let e = failed(
        client
            .send_task_heartbeat()
            .task_token("no-such-token")
            .send()
            .await,
    );
    assert_eq!(e.code, "InvalidToken");
}

#[tokio::test]
async fn execution_started_keeps_the_input_text_byte_for_byte() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let input = "{ \"b\" : [1,  2],\n  \"a\": 1.50 }";
    let exec = start(&client, &machine, "e", input).await;
    wait_until_done(&client, &exec).await;
    let described = client
        .describe_execution()
        .execution_arn(&exec)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.input(), Some(input));
    let history = client
        .get_execution_history()
        .execution_arn(&exec)
        .send()
        .await
        .expect("history");
    let started = history.events()[0]
        .execution_started_event_details()
        .expect("ExecutionStarted details");
    assert_eq!(started.input(), Some(input));
}

#[tokio::test]
async fn a_timed_out_execution_is_described_without_error_or_cause() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(
        &client,
        "slow",
        r#"{"TimeoutSeconds": 1, "StartAt": "W",
            "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}"#,
    )
    .await;
    let exec = start(&client, &machine, "e", "{}").await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    server.clock().advance(std::time::Duration::from_secs(2));
    let described = wait_until_done(&client, &exec).await;
    assert_eq!(described.status, ExecutionStatus::TimedOut);
    assert_eq!(described.error(), None);
    assert_eq!(described.cause(), None);
}

#[tokio::test]
async fn a_caught_error_without_error_or_cause_is_handed_on_as_nulls() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(
        &client,
        "catch",
        r#"{"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Branches": [
                {"StartAt": "F", "States": {"F": {"Type": "Fail"}}}
            ], "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Done"}],
            "Next": "Done"},
            "Done": {"Type": "Pass", "End": true}}}"#,
    )
    .await;
    let exec = start(&client, &machine, "e", "{}").await;
    let described = wait_until_done(&client, &exec).await;
    assert_eq!(
        described.status,
        ExecutionStatus::Succeeded,
        "{described:?}"
    );
    let output: serde_json::Value =
        serde_json::from_str(described.output().expect("output")).expect("JSON");
    assert_eq!(output, json!({"caught": {"Error": null, "Cause": null}}));
}

#[tokio::test]
async fn an_unknown_status_filter_lists_the_statuses_in_aws_order() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let e = failed(
        client
            .list_executions()
            .state_machine_arn(&machine)
            .status_filter(ExecutionStatus::from("succeeded"))
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy \
         constraint: Member must satisfy enum value set: \
         [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]"
    );
}

#[tokio::test]
async fn the_x_ray_header_of_start_execution_becomes_the_executions_trace_header() {
    let server = crate::common::start().await;
    let client = crate::client::sfn(&server);
    let machine = crate::client::create_machine(
        &client,
        "traced",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    )
    .await;
    let root = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    let started = client
        .start_execution()
        .state_machine_arn(&machine)
        .customize()
        .mutate_request(move |request| {
            request.headers_mut().insert("X-Amzn-Trace-Id", root);
        })
        .send()
        .await
        .expect("StartExecution");
    let described = client
        .describe_execution()
        .execution_arn(started.execution_arn())
        .send()
        .await
        .expect("DescribeExecution");
    assert_eq!(described.trace_header(), Some(root));
}

/// The types of an execution's history events, checking that ids count up from 1.
async fn history_types(client: &aws_sdk_sfn::Client, exec: &str) -> Vec<String> {
    let history = client
        .get_execution_history()
        .execution_arn(exec)
        .send()
        .await
        .expect("history");
    let events = history.events();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.id, i as i64 + 1, "{events:?}");
    }
    events
        .iter()
        .map(|e| e.r#type.as_str().to_string())
        .collect()
}

#[tokio::test]
async fn a_long_wait_ends_with_the_input_variables_and_history_it_had_when_it_began() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(
        &client,
        "parks",
        r#"{"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Assign": {"kept.$": "$.order"}, "Next": "W"},
            "W": {"Type": "Wait", "SecondsPath": "$.secs", "Next": "Q"},
            "Q": {"Type": "Pass", "Parameters": {"order.$": "$.order", "kept.$": "$kept"},
                  "End": true}}}"#,
    )
    .await;
    let exec = start(&client, &machine, "e", r#"{"order": 7, "secs": 3600}"#).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    server.clock().advance(std::time::Duration::from_secs(3599));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let waiting = client
        .describe_execution()
        .execution_arn(&exec)
        .send()
        .await
        .expect("describe");
    assert_eq!(waiting.status, ExecutionStatus::Running);
    server.clock().advance(std::time::Duration::from_secs(2));
    let done = wait_until_done(&client, &exec).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let output: serde_json::Value =
        serde_json::from_str(done.output().expect("output")).expect("JSON");
    assert_eq!(output, json!({"order": 7, "kept": 7}));
    assert_eq!(
        history_types(&client, &exec).await,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn a_stopped_long_wait_stays_aborted_when_its_time_comes() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "parks", WAIT).await;
    let exec = start(&client, &machine, "e", "{}").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    client
        .stop_execution()
        .execution_arn(&exec)
        .send()
        .await
        .expect("stop");
    server
        .clock()
        .advance(std::time::Duration::from_secs(10 * 86_400));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let described = wait_until_done(&client, &exec).await;
    assert_eq!(described.status, ExecutionStatus::Aborted);
    let types = history_types(&client, &exec).await;
    assert_eq!(types.last().map(String::as_str), Some("ExecutionAborted"));
    assert!(!types.iter().any(|t| t == "WaitStateExited"), "{types:?}");
}

//! RedriveExecution, ListMapRuns / DescribeMapRun / UpdateMapRun, and TestState.

use crate::client::{create_machine, failed, sfn, start, wait_until_done, ROLE};
use crate::common;
use aws_sdk_sfn::types::{ExecutionStatus, InspectionLevel, MockInput, TestExecutionStatus};
use serde_json::{json, Value};
use std::time::Duration;

/// Fails on its first run (no choice matches), succeeds once `$$.Execution.RedriveCount` is
/// 1: a redrive resumes at the failed state, not at the start.
const FLAKY: &str = r#"{"StartAt": "First", "States": {
  "First": {"Type": "Pass", "Result": "ran", "ResultPath": "$.first", "Next": "Check"},
  "Check": {"Type": "Choice", "Choices": [{"Variable": "$$.Execution.RedriveCount",
      "NumericEquals": 1, "Next": "Done"}]},
  "Done": {"Type": "Succeed"}}}"#;

#[tokio::test]
async fn a_failed_execution_is_redriven_from_the_failed_state() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "flaky", FLAKY).await;
    let execution = start(&client, &machine, "e1", "{}").await;
    let first = wait_until_done(&client, &execution).await;
    assert_eq!(first.status, ExecutionStatus::Failed);
    assert_eq!(first.redrive_count, Some(0));

    let redriven = client
        .redrive_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("redrive");
    let _ = redriven.redrive_date;
    let second = wait_until_done(&client, &execution).await;
    assert_eq!(second.status, ExecutionStatus::Succeeded, "{second:?}");
    assert_eq!(second.redrive_count, Some(1));
    assert!(second.redrive_date.is_some());
    let output: Value = serde_json::from_str(second.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!({"first": "ran"}));
    let events = client
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap()
        .events;
    let types: Vec<&str> = events.iter().map(|e| e.r#type.as_str()).collect();
    let redriven_at = types
        .iter()
        .position(|t| *t == "ExecutionRedriven")
        .expect("an ExecutionRedriven event");
    assert_eq!(types[redriven_at - 1], "ExecutionFailed");
    // The redrive re-enters the Choice that led to the failure; First does not run again.
    assert_eq!(types[redriven_at + 1], "ChoiceStateEntered");
    assert_eq!(
        types.iter().filter(|t| **t == "PassStateEntered").count(),
        1
    );
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));

    let succeeded = failed(
        client
            .redrive_execution()
            .execution_arn(&execution)
            .send()
            .await,
    );
    assert_eq!(succeeded.code, "ExecutionNotRedrivable");
    assert_eq!(
        succeeded.message,
        "Execution is SUCCEEDED and cannot be redriven"
    );
}

#[tokio::test]
async fn a_stopped_execution_is_redriven_from_the_state_it_was_in() {
    let server = common::start().await;
    let client = sfn(&server);
    let def =
        r#"{"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 100, "End": true}}}"#;
    let machine = create_machine(&client, "waits", def).await;
    let execution = start(&client, &machine, "e1", r#"{"k": 1}"#).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    client
        .stop_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("stop");
    assert_eq!(
        wait_until_done(&client, &execution).await.status,
        ExecutionStatus::Aborted
    );
    client
        .redrive_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("redrive");
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.clock().advance(Duration::from_secs(101));
    let done = wait_until_done(&client, &execution).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.output.as_deref(), Some(r#"{"k":1}"#));
}

#[tokio::test]
async fn a_distributed_map_records_a_map_run_that_can_be_listed_described_and_updated() {
    let server = common::start().await;
    let client = sfn(&server);
    let def = r#"{"StartAt": "Map", "States": {"Map": {"Type": "Map", "Label": "Items",
      "MaxConcurrency": 2, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
      "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
      "End": true}}}"#;
    let machine = create_machine(&client, "dmap", def).await;
    let execution = start(&client, &machine, "e1", "[1, 2, 3]").await;
    let done = wait_until_done(&client, &execution).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);

    let runs = client
        .list_map_runs()
        .execution_arn(&execution)
        .send()
        .await
        .expect("list")
        .map_runs;
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert!(run
        .map_run_arn
        .starts_with("arn:aws:states:us-east-1:000000000000:mapRun:dmap/Items:"));
    assert_eq!(
        run.state_machine_arn,
        "arn:aws:states:us-east-1:000000000000:stateMachine:dmap/Items"
    );
    let described = client
        .describe_map_run()
        .map_run_arn(&run.map_run_arn)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        described.status,
        aws_sdk_sfn::types::MapRunStatus::Succeeded
    );
    assert_eq!(described.max_concurrency, 2);
    let counts = described.item_counts.expect("counts");
    assert_eq!((counts.total, counts.succeeded, counts.failed), (3, 3, 0));
    assert!(described.stop_date.is_some());

    let finished = failed(
        client
            .update_map_run()
            .map_run_arn(&run.map_run_arn)
            .max_concurrency(5)
            .send()
            .await,
    );
    assert_eq!(finished.code, "ValidationException");
    let missing = failed(
        client
            .describe_map_run()
            .map_run_arn(format!("{}x", run.map_run_arn))
            .send()
            .await,
    );
    assert_eq!(missing.code, "ResourceNotFound");
    let no_execution = failed(
        client
            .list_map_runs()
            .execution_arn("arn:aws:states:us-east-1:000000000000:execution:dmap:nope")
            .send()
            .await,
    );
    assert_eq!(no_execution.code, "ExecutionDoesNotExist");
}

#[tokio::test]
async fn update_map_run_changes_a_running_map_runs_limits() {
    let server = common::start().await;
    let client = sfn(&server);
    let def = r#"{"StartAt": "Map", "States": {"Map": {"Type": "Map", "MaxConcurrency": 1,
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
      "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}},
      "End": true}}}"#;
    let machine = create_machine(&client, "slow", def).await;
    let execution = start(&client, &machine, "e1", "[1, 2]").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let run = client
        .list_map_runs()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap()
        .map_runs
        .remove(0);
    let running = client
        .describe_map_run()
        .map_run_arn(&run.map_run_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(running.status, aws_sdk_sfn::types::MapRunStatus::Running);
    let counts = running.item_counts.unwrap();
    assert_eq!((counts.running, counts.pending), (1, 1));
    client
        .update_map_run()
        .map_run_arn(&run.map_run_arn)
        .max_concurrency(0)
        .tolerated_failure_count(1)
        .send()
        .await
        .expect("update");
    let updated = client
        .describe_map_run()
        .map_run_arn(&run.map_run_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.max_concurrency, 0);
    assert_eq!(updated.tolerated_failure_count, 1);
    server.clock().advance(Duration::from_secs(11));
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.clock().advance(Duration::from_secs(11));
    assert_eq!(
        wait_until_done(&client, &execution).await.status,
        ExecutionStatus::Succeeded
    );
}

#[tokio::test]
async fn test_state_runs_one_state_with_inspection_data_and_mocks() {
    let server = common::start().await;
    let client = sfn(&server);
    let pass = client
        .test_state()
        .definition(
            r#"{"Type": "Pass", "Parameters": {"v.$": "$.a"}, "ResultPath": "$.r", "Next": "N"}"#,
        )
        .input(r#"{"a": 1}"#)
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .expect("TestState");
    assert_eq!(pass.status, Some(TestExecutionStatus::Succeeded));
    assert_eq!(pass.next_state.as_deref(), Some("N"));
    let output: Value = serde_json::from_str(pass.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!({"a": 1, "r": {"v": 1}}));
    let data = pass.inspection_data.expect("DEBUG shows the data flow");
    assert_eq!(data.after_parameters.as_deref(), Some(r#"{"v":1}"#));

    let task = r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}], "End": true}"#;
    let mocked = client
        .test_state()
        .definition(task)
        .input("{}")
        .mock(MockInput::builder().result(r#"{"Payload": 5}"#).build())
        .send()
        .await
        .expect("TestState");
    assert_eq!(mocked.status, Some(TestExecutionStatus::Succeeded));
    assert_eq!(mocked.output.as_deref(), Some(r#"{"Payload":5}"#));
    let retriable = client
        .test_state()
        .definition(task)
        .mock(
            MockInput::builder()
                .error_output(
                    aws_sdk_sfn::types::MockErrorOutput::builder()
                        .error("Busy")
                        .cause("later")
                        .build(),
                )
                .build(),
        )
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .expect("TestState");
    assert_eq!(retriable.status, Some(TestExecutionStatus::Retriable));
    let caught = client
        .test_state()
        .definition(task)
        .mock(
            MockInput::builder()
                .error_output(
                    aws_sdk_sfn::types::MockErrorOutput::builder()
                        .error("Other")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("TestState");
    assert_eq!(caught.status, Some(TestExecutionStatus::CaughtError));
    assert_eq!(caught.next_state.as_deref(), Some("Handler"));

    let no_role = failed(client.test_state().definition(task).send().await);
    assert_eq!(no_role.code, "ValidationException");
    assert_eq!(
        no_role.message,
        "RoleArn must be specified when testing a Task state"
    );
    let parallel = failed(
        client
            .test_state()
            .definition(r#"{"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}], "End": true}"#)
            .role_arn(ROLE)
            .send()
            .await,
    );
    assert_eq!(parallel.code, "InvalidDefinition");
    let mocked_pass = failed(
        client
            .test_state()
            .definition(r#"{"Type": "Pass", "End": true}"#)
            .mock(MockInput::builder().result("{}").build())
            .send()
            .await,
    );
    assert_eq!(
        mocked_pass.message,
        "State type 'Pass' is not supported when a mock is specified"
    );
}

#[tokio::test]
async fn item_batcher_and_result_writer_shape_a_distributed_map() {
    let server = common::start().await;
    let client = sfn(&server);
    let def = r#"{"StartAt": "Map", "States": {"Map": {"Type": "Map", "ItemsPath": "$.rows",
      "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"job.$": "$.job"}},
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "P", "States": {"P": {"Type": "Pass", "OutputPath": "$.Items", "End": true}}},
      "ResultWriter": {"WriterConfig": {"OutputType": "JSON", "Transformation": "FLATTEN"}},
      "End": true}}}"#;
    let machine = create_machine(&client, "batched", def).await;
    let execution = start(
        &client,
        &machine,
        "e1",
        r#"{"job": "j", "rows": [1, 2, 3, 4, 5]}"#,
    )
    .await;
    let done = wait_until_done(&client, &execution).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let output: Value = serde_json::from_str(done.output.as_deref().unwrap()).unwrap();
    assert_eq!(
        output,
        json!([1, 2, 3, 4, 5]),
        "three batches, flattened back"
    );
    let run = client
        .list_map_runs()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap()
        .map_runs
        .remove(0);
    let counts = client
        .describe_map_run()
        .map_run_arn(&run.map_run_arn)
        .send()
        .await
        .unwrap()
        .item_counts
        .unwrap();
    assert_eq!(counts.total, 3);

    let reader = r#"{"StartAt": "Map", "States": {"Map": {"Type": "Map",
      "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}"#;
    let machine = create_machine(&client, "reads-s3", reader).await;
    let execution = start(&client, &machine, "e1", "{}").await;
    let done = wait_until_done(&client, &execution).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.ItemReaderFailed"));
}

/// `<uuid>` in its canonical 8-4-4-4-12 form.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[tokio::test]
async fn map_run_arns_name_the_machine_the_label_or_a_uuid_and_a_uuid() {
    let server = common::start().await;
    let client = sfn(&server);
    for (name, label) in [("labelled", Some("Items")), ("unlabelled", None)] {
        let label_member = label.map_or(String::new(), |l| format!(r#""Label": "{l}","#));
        let def = format!(
            r#"{{"StartAt": "Map", "States": {{"Map": {{"Type": "Map", {label_member}
              "ItemProcessor": {{"ProcessorConfig": {{"Mode": "DISTRIBUTED",
              "ExecutionType": "STANDARD"}}, "StartAt": "P", "States": {{"P": {{"Type": "Pass", "End": true}}}}}},
              "End": true}}}}}}"#
        );
        let machine = create_machine(&client, name, &def).await;
        let execution = start(&client, &machine, "e", "[1]").await;
        wait_until_done(&client, &execution).await;
        let runs = client
            .list_map_runs()
            .execution_arn(&execution)
            .send()
            .await
            .expect("list")
            .map_runs;
        let arn = &runs[0].map_run_arn;
        let prefix = format!("arn:aws:states:us-east-1:000000000000:mapRun:{name}/");
        let rest = arn.strip_prefix(&prefix).unwrap_or_else(|| panic!("{arn}"));
        let (middle, run_id) = rest.split_once(':').unwrap_or_else(|| panic!("{arn}"));
        match label {
            Some(label) => assert_eq!(middle, label),
            None => assert!(is_uuid(middle), "a UUID in place of the label: {arn}"),
        }
        assert!(is_uuid(run_id), "{arn}");
    }
}

#[tokio::test]
async fn test_state_prints_map_and_parallel_data_with_a_space_after_commas_and_colons() {
    let server = common::start().await;
    let client = sfn(&server);
    let parallel = client
        .test_state()
        .definition(
            r#"{"Type": "Parallel", "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}},
                {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": true}}}], "End": true}"#,
        )
        .role_arn(ROLE)
        .mock(
            MockInput::builder()
                .result(r#"[{"branch1":"result"},{"branch2":"result"}]"#)
                .build(),
        )
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .expect("TestState");
    let spaced = r#"[{"branch1": "result"}, {"branch2": "result"}]"#;
    assert_eq!(parallel.output.as_deref(), Some(spaced));
    let data = parallel.inspection_data.expect("DEBUG shows the data flow");
    assert_eq!(data.after_result_selector.as_deref(), Some(spaced));
    assert_eq!(data.after_result_path.as_deref(), Some(spaced));

    let map = client
        .test_state()
        .definition(
            r#"{"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}"#,
        )
        .role_arn(ROLE)
        .input(r#"["a","b","c"]"#)
        .mock(MockInput::builder().result("[1,4,9]").build())
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .expect("TestState");
    assert_eq!(map.output.as_deref(), Some("[1, 4, 9]"));
    let data = map.inspection_data.expect("DEBUG shows the data flow");
    assert_eq!(data.after_items_path.as_deref(), Some(r#"["a", "b", "c"]"#));
}

#[tokio::test]
async fn strict_test_state_mocks_of_states_tasks_need_required_fields_and_string_timestamps() {
    let server = common::start().await;
    let client = sfn(&server);
    let task = r#"{"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:t"},
        "End": true}"#;
    let mocked = |result: &'static str,
                  mode: Option<aws_sdk_sfn::types::MockResponseValidationMode>| {
        client
            .test_state()
            .definition(task)
            .role_arn(ROLE)
            .mock(
                MockInput::builder()
                    .result(result)
                    .set_field_validation_mode(mode)
                    .build(),
            )
            .send()
    };
    for (result, message) in [
        ("{}", "Required field 'ExecutionArn' is missing"),
        (
            r#"{"executionArn": "a", "startDate": "2024-01-01T00:00:00Z"}"#,
            "Required field 'ExecutionArn' is missing",
        ),
        (
            r#"{"ExecutionArn": "a", "StartDate": 1764103483}"#,
            "Field 'StartDate' must be a string",
        ),
    ] {
        let e = failed(mocked(result, None).await);
        assert_eq!(e.code, "ValidationException", "{result}");
        assert_eq!(
            e.message,
            format!("Mock result schema validation error: {message}")
        );
    }
    let ok = mocked(
        r#"{"ExecutionArn": "a", "StartDate": "2024-01-01T00:00:00Z"}"#,
        None,
    )
    .await
    .expect("a complete, well-typed mock passes");
    assert_eq!(ok.status, Some(TestExecutionStatus::Succeeded));
    let present = mocked(
        "{}",
        Some(aws_sdk_sfn::types::MockResponseValidationMode::Present),
    )
    .await
    .expect("PRESENT checks only the fields given");
    assert_eq!(present.status, Some(TestExecutionStatus::Succeeded));
}

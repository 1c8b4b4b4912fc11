//! TestState runs a state through the executions' own per-state pipeline: what a state
//! assigns (`Assign`, JSONPath as well as JSONata) shows in `inspectionData.variables`
//! beside the variables the call gave, as the TestState API reference describes it.

use crate::client::sfn;
use crate::common;
use aws_sdk_sfn::types::{InspectionLevel, MockErrorOutput, MockInput, TestExecutionStatus};
use serde_json::{json, Value};

fn parsed(text: Option<&str>) -> Value {
    serde_json::from_str(text.expect("a JSON member")).expect("JSON text")
}

#[tokio::test]
async fn test_state_of_a_jsonpath_pass_with_assign_returns_the_assigned_variables() {
    let server = common::start().await;
    let client = sfn(&server);
    let answer = client
        .test_state()
        .definition(
            r#"{"Type": "Pass", "Parameters": {"v.$": "$.a"}, "ResultPath": "$.r",
                "Assign": {"copied.$": "$.v", "constant": 1, "given.$": "$given"}, "Next": "N"}"#,
        )
        .input(r#"{"a": 5}"#)
        .variables(r#"{"given": "kept"}"#)
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .expect("TestState");
    assert_eq!(answer.status, Some(TestExecutionStatus::Succeeded));
    assert_eq!(answer.next_state.as_deref(), Some("N"));
    // Assign does not change the output.
    assert_eq!(
        parsed(answer.output.as_deref()),
        json!({"a": 5, "r": {"v": 5}})
    );
    let data = answer.inspection_data.expect("DEBUG shows the data flow");
    assert_eq!(parsed(data.after_parameters.as_deref()), json!({"v": 5}));
    assert_eq!(
        parsed(data.after_result_path.as_deref()),
        json!({"a": 5, "r": {"v": 5}})
    );
    // Assign is evaluated over the state's result and sees the variables as given.
    assert_eq!(
        parsed(data.variables.as_deref()),
        json!({"given": "kept", "copied": 5, "constant": 1})
    );
}

#[tokio::test]
async fn test_state_of_a_jsonpath_choice_returns_the_matched_rules_assignment() {
    let server = common::start().await;
    let client = sfn(&server);
    let answer = client
        .test_state()
        .definition(
            r#"{"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1,
                "Assign": {"size": "large"}, "Next": "Large"}],
                "Default": "Small", "Assign": {"size": "small"}}"#,
        )
        .input(r#"{"n": 3}"#)
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .expect("TestState");
    assert_eq!(answer.status, Some(TestExecutionStatus::Succeeded));
    assert_eq!(answer.next_state.as_deref(), Some("Large"));
    let data = answer.inspection_data.expect("DEBUG shows the data flow");
    assert_eq!(parsed(data.variables.as_deref()), json!({"size": "large"}));
}

#[tokio::test]
async fn test_state_of_a_caught_jsonpath_task_returns_the_catchers_assignment() {
    let server = common::start().await;
    let client = sfn(&server);
    let answer = client
        .test_state()
        .definition(
            r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Assign": {"ran": true},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                           "Assign": {"failedWith.$": "$.Error"}, "Next": "Handler"}],
                "End": true}"#,
        )
        .input(r#"{"a": 1}"#)
        .mock(
            MockInput::builder()
                .error_output(
                    MockErrorOutput::builder()
                        .error("Boom")
                        .cause("why")
                        .build(),
                )
                .build(),
        )
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .expect("TestState");
    assert_eq!(answer.status, Some(TestExecutionStatus::CaughtError));
    assert_eq!(answer.next_state.as_deref(), Some("Handler"));
    assert_eq!(
        parsed(answer.output.as_deref()),
        json!({"a": 1, "error": {"Error": "Boom", "Cause": "why"}})
    );
    // The catcher's Assign replaces the state's own (which never ran: the task failed).
    let data = answer.inspection_data.expect("DEBUG shows the data flow");
    assert_eq!(
        parsed(data.variables.as_deref()),
        json!({"failedWith": "Boom"})
    );
}

#[tokio::test]
async fn test_state_without_variables_shows_none() {
    let server = common::start().await;
    let client = sfn(&server);
    let answer = client
        .test_state()
        .definition(r#"{"Type": "Pass", "End": true}"#)
        .input(r#"{"a": 1}"#)
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .expect("TestState");
    let data = answer.inspection_data.expect("DEBUG shows the data flow");
    assert_eq!(data.variables, None);
    assert_eq!(parsed(data.after_input_path.as_deref()), json!({"a": 1}));
}

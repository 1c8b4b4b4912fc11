//! JSONata machines and variables over HTTP with aws-sdk-sfn: Assign, `$states`, a Map over
//! `Items` whose iterations read an outer variable, Choice `Condition`s, Catch `Output`, and
//! what GetExecutionHistory shows of them (`assignedVariables`, `EvaluationFailed`).

use crate::client::{create_machine, sfn, start, wait_until_done};
use crate::common;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use serde_json::{json, Value};

const ORDER: &str = r#"{
  "QueryLanguage": "JSONata",
  "StartAt": "Prepare",
  "States": {
    "Prepare": {
      "Type": "Pass",
      "Assign": {"rate": "{% $states.input.rate %}", "customer": "{% $uppercase($states.input.customer) %}"},
      "Output": {"lines": "{% $states.input.lines %}"},
      "Next": "Price"
    },
    "Price": {
      "Type": "Map",
      "Items": "{% $states.input.lines %}",
      "MaxConcurrency": "{% 2 %}",
      "ItemSelector": {"line": "{% $states.context.Map.Item.Value %}", "index": "{% $states.context.Map.Item.Index %}"},
      "ItemProcessor": {
        "StartAt": "Line",
        "States": {
          "Line": {
            "Type": "Pass",
            "Output": {"index": "{% $states.input.index %}", "total": "{% $states.input.line.qty * $states.input.line.price * $rate %}"},
            "End": true
          }
        }
      },
      "Assign": {"total": "{% $sum($states.result.total) %}"},
      "Output": "{% $states.result %}",
      "Next": "Big?"
    },
    "Big?": {
      "Type": "Choice",
      "Choices": [
        {"Condition": "{% $total > 100 %}", "Next": "Done", "Output": {"customer": "{% $customer %}", "total": "{% $total %}", "size": "big"}}
      ],
      "Default": "Done",
      "Output": {"customer": "{% $customer %}", "total": "{% $total %}", "size": "small"}
    },
    "Done": {"Type": "Succeed"}
  }
}"#;

#[tokio::test]
async fn a_jsonata_machine_with_variables_and_a_map_runs_over_http() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "jsonata-order", ORDER).await;
    let input = json!({"customer": "ada", "rate": 2,
        "lines": [{"qty": 3, "price": 10}, {"qty": 1, "price": 50}]});
    let arn = start(&client, &machine, "order-1", &input.to_string()).await;
    let done = wait_until_done(&client, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{:?}", done.cause);
    let output: Value = serde_json::from_str(done.output.as_deref().expect("output")).unwrap();
    assert_eq!(
        output,
        json!({"customer": "ADA", "total": 160, "size": "big"})
    );

    let history = client
        .get_execution_history()
        .execution_arn(&arn)
        .send()
        .await
        .expect("history")
        .events;
    let types: Vec<&HistoryEventType> = history.iter().map(|e| &e.r#type).collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| ***t == HistoryEventType::MapIterationSucceeded)
            .count(),
        2
    );
    // The variables each state assigned are on its Exited event, as JSON text.
    let assigned: Vec<_> = history
        .iter()
        .filter_map(|e| e.state_exited_event_details.as_ref())
        .filter_map(|d| {
            d.assigned_variables
                .as_ref()
                .map(|a| (d.name.clone(), a.clone()))
        })
        .collect();
    assert_eq!(assigned.len(), 2, "{assigned:?}");
    assert_eq!(assigned[0].0, "Prepare");
    assert_eq!(
        assigned[0].1.get("customer").map(String::as_str),
        Some("\"ADA\"")
    );
    assert_eq!(assigned[0].1.get("rate").map(String::as_str), Some("2"));
    assert_eq!(assigned[1].0, "Price");
    assert_eq!(assigned[1].1.get("total").map(String::as_str), Some("160"));
    let map_exit = history
        .iter()
        .filter_map(|e| e.state_exited_event_details.as_ref())
        .find(|d| d.name == "Price")
        .expect("Price exited");
    let map_output: Value = serde_json::from_str(map_exit.output.as_deref().unwrap()).unwrap();
    assert_eq!(
        map_output,
        json!([{"index": 0, "total": 60}, {"index": 1, "total": 100}])
    );
}

#[tokio::test]
async fn an_undefined_jsonata_result_fails_with_a_query_evaluation_error() {
    let server = common::start().await;
    let client = sfn(&server);
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": {"x": "{% $nope %}"}, "End": true}}});
    let machine = create_machine(&client, "jsonata-undefined", &definition.to_string()).await;
    let arn = start(&client, &machine, "u-1", "{}").await;
    let done = wait_until_done(&client, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.QueryEvaluationError"));
    assert_eq!(
        done.cause.as_deref(),
        Some("An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression '$nope' specified for the field 'Output/x' returned nothing (undefined).")
    );
    let history = client
        .get_execution_history()
        .execution_arn(&arn)
        .send()
        .await
        .expect("history")
        .events;
    let failed = history
        .iter()
        .find(|e| e.r#type == HistoryEventType::EvaluationFailed)
        .expect("EvaluationFailed event");
    let d = failed.evaluation_failed_event_details.as_ref().unwrap();
    assert_eq!(d.location.as_deref(), Some("Output/x"));
    assert_eq!(d.state, "P");
}

#[tokio::test]
async fn a_runaway_expression_fails_the_state_instead_of_hanging() {
    let server = common::start().await;
    let client = sfn(&server);
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass",
              "Output": "{% ($f := function($n){ $f($n + 1) }; $f(0)) %}", "End": true}}});
    let machine = create_machine(&client, "jsonata-runaway", &definition.to_string()).await;
    let arn = start(&client, &machine, "r-1", "{}").await;
    let done = wait_until_done(&client, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.QueryEvaluationError"));
}

#[tokio::test]
async fn a_catcher_assigns_and_outputs_from_the_error_in_jsonpath_and_jsonata() {
    let server = common::start().await;
    let client = sfn(&server);
    let definition = json!({"StartAt": "Par", "States": {
        "Par": {"Type": "Parallel", "QueryLanguage": "JSONata", "End": true,
            "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "bad"}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After",
                "Assign": {"why": "{% $states.errorOutput.Cause %}"},
                "Output": {"error": "{% $states.errorOutput.Error %}"}}]},
        "After": {"Type": "Pass", "Parameters": {"error.$": "$.error", "why.$": "$why"}, "End": true}}});
    let machine = create_machine(&client, "jsonata-catch", &definition.to_string()).await;
    let arn = start(&client, &machine, "c-1", "{}").await;
    let done = wait_until_done(&client, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{:?}", done.cause);
    let output: Value = serde_json::from_str(done.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!({"error": "Boom", "why": "bad"}));
}

/// The recorded `variable_references` cases: DescribeStateMachine of each definition lists,
/// per state, the variables it reads.
#[tokio::test]
async fn describe_state_machine_lists_variable_references_like_aws() {
    let Some(dir) = crate::conformance::cases_dir() else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let server = common::start().await;
    let client = sfn(&server);
    let (mut passed, mut failed) = (0, 0);
    for (n, file) in files.iter().enumerate() {
        let Some(case) = std::fs::read_to_string(file)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
            continue;
        };
        if case["kind"] != "variable_references" {
            continue;
        }
        let name = format!("refs-{n}");
        let arn = create_machine(&client, &name, &case["definition"].to_string()).await;
        let described = client
            .describe_state_machine()
            .state_machine_arn(&arn)
            .send()
            .await
            .expect("describe");
        let got: Value = described
            .variable_references
            .map(|r| {
                r.into_iter()
                    .map(|(state, mut vars)| {
                        vars.sort();
                        (state, json!(vars))
                    })
                    .collect::<serde_json::Map<_, _>>()
            })
            .map(Value::Object)
            .unwrap_or(Value::Null);
        if got == case["expected_variable_references"] {
            passed += 1;
        } else {
            failed += 1;
            println!(
                "FAIL {}: {got}, expected {}",
                case["id"], case["expected_variable_references"]
            );
        }
    }
    println!("variable_references: {passed} passed, {failed} failed");
    assert_eq!(failed, 0);
}

/// A redrive resumes at the failed state with the variables assigned before it.
#[tokio::test]
async fn a_redriven_execution_keeps_its_variables() {
    let server = common::start().await;
    let client = sfn(&server);
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"x": "{% $states.input.x %}"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{
            "Condition": "{% $states.context.Execution.RedriveCount = 1 %}", "Next": "Done",
            "Output": {"x": "{% $x %}"}}]},
        "Done": {"Type": "Succeed"}}});
    let machine = create_machine(&client, "jsonata-redrive", &definition.to_string()).await;
    let arn = start(&client, &machine, "rd-1", r#"{"x": 7}"#).await;
    let first = wait_until_done(&client, &arn).await;
    assert_eq!(first.status, ExecutionStatus::Failed);
    client
        .redrive_execution()
        .execution_arn(&arn)
        .send()
        .await
        .expect("redrive");
    let second = wait_until_done(&client, &arn).await;
    assert_eq!(second.status, ExecutionStatus::Succeeded, "{second:?}");
    let output: Value = serde_json::from_str(second.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!({"x": 7}));
}

#[tokio::test]
async fn jsonata_now_and_millis_in_test_state_and_executions_read_the_moved_engine_clock() {
    // 2030-01-01T00:00:00Z, frozen, then moved on 90.5 s through the admin endpoint.
    const START_MS: u64 = 1_893_456_000_000;
    let server = stepyard::Server::start(stepyard::Config {
        clock: stepyard::clock::ClockStart {
            frozen: true,
            start_ms: Some(START_MS),
        },
        ..stepyard::Config::ephemeral()
    })
    .await
    .expect("server");
    let advanced = reqwest::Client::new()
        .post(format!("{}/_stepyard/clock/advance", server.endpoint()))
        .json(&json!({"seconds": 90.5}))
        .send()
        .await
        .expect("advance");
    assert_eq!(advanced.status(), 200);
    let later = START_MS + 90_500;
    let client = sfn(&server);
    let state = json!({"QueryLanguage": "JSONata", "Type": "Pass",
        "Output": {"now": "{% $now() %}", "millis": "{% $millis() %}",
                   "same": "{% $now() = $fromMillis($millis()) %}"},
        "End": true});
    let tested = client
        .test_state()
        .definition(state.to_string())
        .role_arn(crate::client::ROLE)
        .input("{}")
        .send()
        .await
        .expect("TestState");
    let output: Value = serde_json::from_str(tested.output().expect("output")).unwrap();
    assert_eq!(output["now"], "2030-01-01T00:01:30.500Z");
    assert_eq!(output["millis"], later);
    assert_eq!(output["same"], true);
    let definition =
        json!({"QueryLanguage": "JSONata", "StartAt": "Now", "States": {"Now": state}});
    let machine = create_machine(&client, "jsonata-now", &definition.to_string()).await;
    let arn = start(&client, &machine, "at-the-moved-time", "{}").await;
    let done = wait_until_done(&client, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(done.output.as_deref().expect("output")).unwrap();
    assert_eq!(output["now"], "2030-01-01T00:01:30.500Z");
    assert_eq!(output["millis"], later);
}

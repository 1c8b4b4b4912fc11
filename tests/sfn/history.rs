//! GetExecutionHistory: event order, reverse order, pagination, execution data.

use crate::client::{create_machine, failed, sfn, start, wait_until_done, PASS};
use crate::common;
use aws_sdk_sfn::types::HistoryEventType;

#[tokio::test]
async fn history_lists_the_events_of_a_finished_execution_in_order() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let arn = start(&client, &machine, "e", r#"{"a": 1}"#).await;
    wait_until_done(&client, &arn).await;
    let history = client
        .get_execution_history()
        .execution_arn(&arn)
        .send()
        .await
        .expect("history");
    let types: Vec<_> = history.events.iter().map(|e| e.r#type.clone()).collect();
    assert_eq!(
        types,
        [
            HistoryEventType::ExecutionStarted,
            HistoryEventType::PassStateEntered,
            HistoryEventType::PassStateExited,
            HistoryEventType::PassStateEntered,
            HistoryEventType::PassStateExited,
            HistoryEventType::ExecutionSucceeded,
        ]
    );
    let ids: Vec<_> = history.events.iter().map(|e| e.id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    let started = history.events[0]
        .execution_started_event_details
        .as_ref()
        .expect("started details");
    // The caller's text, spacing included.
    assert_eq!(started.input.as_deref(), Some(r#"{"a": 1}"#));

    let reversed = client
        .get_execution_history()
        .execution_arn(&arn)
        .reverse_order(true)
        .send()
        .await
        .expect("reversed");
    assert_eq!(
        reversed.events[0].r#type,
        HistoryEventType::ExecutionSucceeded
    );
}

#[tokio::test]
async fn history_pages_and_can_leave_out_execution_data() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let arn = start(&client, &machine, "e", r#"{"secret": 1}"#).await;
    wait_until_done(&client, &arn).await;
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .get_execution_history()
            .execution_arn(&arn)
            .max_results(4)
            .set_next_token(token)
            .send()
            .await
            .expect("page");
        ids.extend(page.events.iter().map(|e| e.id));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);

    let without_data = client
        .get_execution_history()
        .execution_arn(&arn)
        .include_execution_data(false)
        .send()
        .await
        .expect("history");
    let started = without_data.events[0]
        .execution_started_event_details
        .as_ref()
        .expect("details are still there");
    assert!(started.input.is_none());
    let succeeded = without_data.events[5]
        .execution_succeeded_event_details
        .as_ref()
        .expect("details");
    assert!(succeeded.output.is_none());
}

#[tokio::test]
async fn history_of_an_unknown_execution_fails() {
    let server = common::start().await;
    let client = sfn(&server);
    let missing = failed(
        client
            .get_execution_history()
            .execution_arn("arn:aws:states:us-east-1:000000000000:execution:m:e")
            .send()
            .await,
    );
    assert_eq!(missing.code, "ExecutionDoesNotExist");
    let malformed = failed(
        client
            .get_execution_history()
            .execution_arn("invalid_state_machine_arn")
            .send()
            .await,
    );
    assert_eq!(
        malformed.message,
        "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'"
    );
}

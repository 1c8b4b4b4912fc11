//! ValidateStateMachineDefinition.

use crate::client::{sfn, PASS};
use crate::common;
use aws_sdk_sfn::types::ValidateStateMachineDefinitionResultCode;

#[tokio::test]
async fn a_valid_definition_passes_and_an_invalid_one_gets_diagnostics() {
    let server = common::start().await;
    let client = sfn(&server);
    let ok = client
        .validate_state_machine_definition()
        .definition(PASS)
        .send()
        .await
        .expect("validate");
    assert_eq!(ok.result, ValidateStateMachineDefinitionResultCode::Ok);
    assert!(ok.diagnostics.is_empty());

    let failed = client
        .validate_state_machine_definition()
        .definition("{}")
        .send()
        .await
        .expect("validate");
    assert_eq!(
        failed.result,
        ValidateStateMachineDefinitionResultCode::Fail
    );
    let first = &failed.diagnostics[0];
    assert_eq!(first.code, "SCHEMA_VALIDATION_FAILED");
    assert_eq!(
        first.message,
        "These fields are required: [States, StartAt]"
    );
    assert_eq!(first.location.as_deref(), Some("/"));
    assert_eq!(failed.truncated, Some(false));
}

//! Per-(account, region) isolation and reset.

use crate::client::{create_machine, failed, machine_arn, sfn, sfn_in, PASS};
use crate::common;

#[tokio::test]
async fn machines_are_only_visible_in_their_region() {
    let server = common::start().await;
    let east = sfn(&server);
    let west = sfn_in(&server, "eu-west-1");
    let arn = create_machine(&east, "m", PASS).await;
    let listed = west.list_state_machines().send().await.expect("list");
    assert!(listed.state_machines.is_empty());
    let other_region = failed(
        west.describe_state_machine()
            .state_machine_arn(&arn)
            .send()
            .await,
    );
    assert_eq!(other_region.code, "StateMachineDoesNotExist");
    let west_arn = create_machine(&west, "m", PASS).await;
    assert_eq!(
        west_arn,
        "arn:aws:states:eu-west-1:000000000000:stateMachine:m"
    );
}

#[tokio::test]
async fn reset_wipes_everything() {
    let server = common::start().await;
    let client = sfn(&server);
    create_machine(&client, "m", PASS).await;
    server.state().reset(None);
    let gone = failed(
        client
            .describe_state_machine()
            .state_machine_arn(machine_arn("m"))
            .send()
            .await,
    );
    assert_eq!(gone.code, "StateMachineDoesNotExist");
}

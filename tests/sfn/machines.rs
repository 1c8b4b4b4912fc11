//! CreateStateMachine, DescribeStateMachine, UpdateStateMachine, DeleteStateMachine,
//! ListStateMachines.

use crate::client::{create_machine, failed, machine_arn, sfn, FAIL, PASS, ROLE};
use crate::common;
use aws_sdk_sfn::types::{
    LogLevel, LoggingConfiguration, StateMachineType, Tag, TracingConfiguration,
};

#[tokio::test]
async fn create_then_describe_returns_what_was_stored() {
    let server = common::start().await;
    let client = sfn(&server);
    let created = client
        .create_state_machine()
        .name("orders")
        .definition(PASS)
        .role_arn(ROLE)
        .tracing_configuration(TracingConfiguration::builder().enabled(true).build())
        .logging_configuration(
            LoggingConfiguration::builder()
                .level(LogLevel::Off)
                .include_execution_data(false)
                .build(),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(created.state_machine_arn, machine_arn("orders"));
    assert!(created.state_machine_version_arn.is_none());

    let described = client
        .describe_state_machine()
        .state_machine_arn(&created.state_machine_arn)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.name, "orders");
    assert_eq!(described.definition, PASS);
    assert_eq!(described.role_arn, ROLE);
    assert_eq!(described.r#type, StateMachineType::Standard);
    assert_eq!(described.creation_date, created.creation_date);
    assert_eq!(
        described.tracing_configuration.map(|t| t.enabled),
        Some(true)
    );
    let logging = described.logging_configuration.expect("logging returned");
    assert_eq!(logging.level, Some(LogLevel::Off));
    assert!(
        described.revision_id.is_none(),
        "AWS shows no revisionId until an update changes the machine"
    );
    assert_eq!(
        described.status.map(|s| s.as_str().to_string()),
        Some("ACTIVE".into())
    );
}

#[tokio::test]
async fn create_is_idempotent_for_identical_input_and_conflicts_otherwise() {
    let server = common::start().await;
    let client = sfn(&server);
    let first = client
        .create_state_machine()
        .name("m")
        .definition(PASS)
        .role_arn(ROLE)
        .send()
        .await
        .expect("create");
    let again = client
        .create_state_machine()
        .name("m")
        .definition(PASS)
        .role_arn(ROLE)
        .send()
        .await
        .expect("identical create succeeds");
    assert_eq!(again.state_machine_arn, first.state_machine_arn);
    assert_eq!(again.creation_date, first.creation_date);

    let conflict = failed(
        client
            .create_state_machine()
            .name("m")
            .definition(FAIL)
            .role_arn(ROLE)
            .send()
            .await,
    );
    assert_eq!(conflict.code, "StateMachineAlreadyExists");
    assert_eq!(
        conflict.message,
        format!("State Machine Already Exists: '{}'", machine_arn("m"))
    );
}

#[tokio::test]
async fn create_refuses_bad_names_definitions_and_role_arns() {
    let server = common::start().await;
    let client = sfn(&server);
    let bad_name = failed(
        client
            .create_state_machine()
            .name("has space")
            .definition(PASS)
            .role_arn(ROLE)
            .send()
            .await,
    );
    assert_eq!(bad_name.code, "InvalidName");
    assert_eq!(bad_name.message, "Invalid Name: 'has space'");

    let bad_definition = failed(
        client
            .create_state_machine()
            .name("m")
            .definition(r#"{"StartAt": "Missing", "States": {}}"#)
            .role_arn(ROLE)
            .send()
            .await,
    );
    assert_eq!(bad_definition.code, "InvalidDefinition");
    assert!(
        bad_definition
            .message
            .starts_with("Invalid State Machine Definition: '"),
        "{}",
        bad_definition.message
    );

    let bad_role = failed(
        client
            .create_state_machine()
            .name("m")
            .definition(PASS)
            .role_arn("not-an-arn")
            .send()
            .await,
    );
    assert_eq!(bad_role.code, "InvalidArn");
    assert_eq!(bad_role.message, "Invalid Role Arn: 'not-an-arn'");

    let too_long = failed(
        client
            .create_state_machine()
            .name("x".repeat(81))
            .definition(PASS)
            .role_arn(ROLE)
            .send()
            .await,
    );
    assert_eq!(too_long.code, "ValidationException");
}

#[tokio::test]
async fn express_machines_refuse_what_express_cannot_run() {
    let server = common::start().await;
    let client = sfn(&server);
    let callback = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true}}}"#;
    let refused = failed(
        client
            .create_state_machine()
            .name("express")
            .definition(callback)
            .role_arn(ROLE)
            .r#type(StateMachineType::Express)
            .send()
            .await,
    );
    assert_eq!(refused.code, "InvalidDefinition");
}

#[tokio::test]
async fn create_with_publish_returns_version_one_and_tags_are_stored() {
    let server = common::start().await;
    let client = sfn(&server);
    let created = client
        .create_state_machine()
        .name("published")
        .definition(PASS)
        .role_arn(ROLE)
        .publish(true)
        .version_description("first")
        .tags(Tag::builder().key("team").value("a").build())
        .send()
        .await
        .expect("create");
    let version = created.state_machine_version_arn.expect("a version ARN");
    assert_eq!(version, format!("{}:1", machine_arn("published")));
    let described = client
        .describe_state_machine()
        .state_machine_arn(&version)
        .send()
        .await
        .expect("describe version");
    assert_eq!(described.description.as_deref(), Some("first"));
    assert_eq!(described.state_machine_arn, version);
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&created.state_machine_arn)
        .send()
        .await
        .expect("tags")
        .tags
        .unwrap_or_default();
    assert_eq!(tags.len(), 1);

    let without_publish = failed(
        client
            .create_state_machine()
            .name("other")
            .definition(PASS)
            .role_arn(ROLE)
            .version_description("needs publish")
            .send()
            .await,
    );
    assert_eq!(without_publish.code, "ValidationException");
}

#[tokio::test]
async fn update_changes_the_revision_and_sets_the_update_date() {
    let server = common::start().await;
    let client = sfn(&server);
    let arn = create_machine(&client, "m", PASS).await;
    let before = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("describe");
    let updated = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(FAIL)
        .publish(true)
        .send()
        .await
        .expect("update");
    assert_ne!(updated.revision_id, before.revision_id);
    assert_eq!(
        updated.state_machine_version_arn.as_deref(),
        Some(format!("{arn}:1").as_str())
    );
    let after = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("describe");
    assert_eq!(after.definition, FAIL);
    assert_eq!(after.revision_id, updated.revision_id);

    let nothing = failed(
        client
            .update_state_machine()
            .state_machine_arn(&arn)
            .send()
            .await,
    );
    assert_eq!(nothing.code, "MissingRequiredParameter");
    let invalid = failed(
        client
            .update_state_machine()
            .state_machine_arn(&arn)
            .definition("{}")
            .send()
            .await,
    );
    assert_eq!(invalid.code, "InvalidDefinition");
    let missing = failed(
        client
            .update_state_machine()
            .state_machine_arn(machine_arn("nope"))
            .definition(PASS)
            .send()
            .await,
    );
    assert_eq!(missing.code, "StateMachineDoesNotExist");
}

#[tokio::test]
async fn delete_removes_the_machine_and_is_idempotent() {
    let server = common::start().await;
    let client = sfn(&server);
    let arn = create_machine(&client, "m", PASS).await;
    client
        .delete_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("delete");
    client
        .delete_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("deleting again is fine");
    let gone = failed(
        client
            .describe_state_machine()
            .state_machine_arn(&arn)
            .send()
            .await,
    );
    assert_eq!(gone.code, "StateMachineDoesNotExist");
    assert_eq!(
        gone.message,
        format!("State Machine Does Not Exist: '{arn}'")
    );
}

#[tokio::test]
async fn describe_refuses_malformed_and_wrong_type_arns() {
    let server = common::start().await;
    let client = sfn(&server);
    let malformed = failed(
        client
            .describe_state_machine()
            .state_machine_arn("not_a_valid_arn")
            .send()
            .await,
    );
    assert_eq!(malformed.code, "InvalidArn");
    assert_eq!(
        malformed.message,
        "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"
    );
    let activity = failed(
        client
            .describe_state_machine()
            .state_machine_arn("arn:aws:states:us-east-1:000000000000:activity:a")
            .send()
            .await,
    );
    assert_eq!(activity.code, "InvalidArn");
    assert_eq!(
        activity.message,
        "Invalid Arn: 'Resource type not valid in this context: activity'"
    );
}

#[tokio::test]
async fn list_state_machines_pages_through_all_of_them() {
    let server = common::start().await;
    let client = sfn(&server);
    for i in 0..5 {
        create_machine(&client, &format!("m{i}"), PASS).await;
    }
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_state_machines()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .expect("list");
        assert!(page.state_machines.len() <= 2);
        names.extend(page.state_machines.into_iter().map(|m| m.name));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["m0", "m1", "m2", "m3", "m4"]);
    let bad_token = failed(
        client
            .list_state_machines()
            .next_token("garbage")
            .send()
            .await,
    );
    assert_eq!(bad_token.code, "InvalidToken");
    let too_many = failed(client.list_state_machines().max_results(1001).send().await);
    assert_eq!(too_many.code, "ValidationException");
}

#[tokio::test]
async fn executions_outlive_their_deleted_machine() {
    let server = common::start().await;
    let client = sfn(&server);
    let arn = create_machine(&client, "m", PASS).await;
    let execution = crate::client::start(&client, &arn, "e", "{}").await;
    crate::client::wait_until_done(&client, &execution).await;
    client
        .delete_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("delete");
    let described = client
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("the execution is still there");
    assert_eq!(described.name.as_deref(), Some("e"));
    create_machine(&client, "m", PASS).await;
    let listed = client
        .list_executions()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("list");
    assert!(listed.executions.is_empty());
}

#[tokio::test]
async fn a_role_arn_that_is_not_an_iam_role_is_an_invalid_role_arn() {
    let server = common::start().await;
    let client = sfn(&server);
    for role in [
        "arn:aws:iam::000000000000:user/someone",
        "arn:aws:iam::123:role/short-account",
        "arn:aws:sts::000000000000:role/r",
        "arn:aws:iam::000000000000:role/",
        "arn:aws:iam:us-east-1:000000000000:role/regional",
    ] {
        let e = failed(
            client
                .create_state_machine()
                .name("m")
                .definition(PASS)
                .role_arn(role)
                .send()
                .await,
        );
        assert_eq!(e.code, "InvalidArn", "{role}");
        assert_eq!(e.message, format!("Invalid Role Arn: '{role}'"));
    }
    let arn = create_machine(&client, "m", PASS).await;
    let e = failed(
        client
            .update_state_machine()
            .state_machine_arn(&arn)
            .role_arn("arn:aws:iam::000000000000:policy/p")
            .send()
            .await,
    );
    assert_eq!(e.code, "InvalidArn");
    assert_eq!(
        e.message,
        "Invalid Role Arn: 'arn:aws:iam::000000000000:policy/p'"
    );
    client
        .update_state_machine()
        .state_machine_arn(&arn)
        .role_arn("arn:aws-cn:iam::000000000000:role/path/to/role")
        .send()
        .await
        .expect("a role with a path in another partition is a role");
}

#[tokio::test]
async fn a_customer_managed_key_without_its_key_id_is_an_invalid_encryption_configuration() {
    use aws_sdk_sfn::types::{EncryptionConfiguration, EncryptionType};
    let server = common::start().await;
    let client = sfn(&server);
    let without_key = EncryptionConfiguration::builder()
        .r#type(EncryptionType::CustomerManagedKmsKey)
        .build()
        .expect("configuration");
    let e = failed(
        client
            .create_state_machine()
            .name("m")
            .definition(PASS)
            .role_arn(ROLE)
            .encryption_configuration(without_key.clone())
            .send()
            .await,
    );
    assert_eq!(e.code, "InvalidEncryptionConfiguration");
    let e = failed(
        client
            .create_activity()
            .name("a")
            .encryption_configuration(without_key.clone())
            .send()
            .await,
    );
    assert_eq!(e.code, "InvalidEncryptionConfiguration");
    let arn = create_machine(&client, "m", PASS).await;
    let e = failed(
        client
            .update_state_machine()
            .state_machine_arn(&arn)
            .encryption_configuration(without_key)
            .send()
            .await,
    );
    assert_eq!(e.code, "InvalidEncryptionConfiguration");
    let with_key = EncryptionConfiguration::builder()
        .r#type(EncryptionType::CustomerManagedKmsKey)
        .kms_key_id("alias/mine")
        .kms_data_key_reuse_period_seconds(120)
        .build()
        .expect("configuration");
    client
        .update_state_machine()
        .state_machine_arn(&arn)
        .encryption_configuration(with_key.clone())
        .send()
        .await
        .expect("a key id makes it valid");
    let described = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.encryption_configuration(), Some(&with_key));
    for period in [59, 901] {
        let out_of_range = EncryptionConfiguration::builder()
            .r#type(EncryptionType::CustomerManagedKmsKey)
            .kms_key_id("alias/mine")
            .kms_data_key_reuse_period_seconds(period)
            .build()
            .expect("configuration");
        let e = failed(
            client
                .create_activity()
                .name(format!("a{period}"))
                .encryption_configuration(out_of_range)
                .send()
                .await,
        );
        assert_eq!(e.code, "InvalidEncryptionConfiguration", "{period}: {e:?}");
    }
}

#[tokio::test]
async fn revision_id_appears_only_once_an_update_changes_the_machine() {
    let server = common::start().await;
    let client = sfn(&server);
    let arn = create_machine(&client, "m", PASS).await;
    let fresh = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("describe");
    assert_eq!(fresh.revision_id(), None, "no revisionId before an update");
    let v1 = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("publish")
        .state_machine_version_arn;
    let unchanged = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(PASS)
        .role_arn(ROLE)
        .send()
        .await
        .expect("update with the same definition");
    assert_eq!(
        unchanged.revision_id(),
        None,
        "nothing changed, no revision"
    );
    let changed = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(FAIL)
        .send()
        .await
        .expect("update");
    let revision = changed.revision_id().expect("a real change has a revision");
    let again = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(FAIL)
        .send()
        .await
        .expect("update with the same definition again");
    assert_eq!(again.revision_id(), Some(revision), "no new revisionId");
    let v2 = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("publish")
        .state_machine_version_arn;
    let describe = |arn: String| {
        let client = client.clone();
        async move {
            client
                .describe_state_machine()
                .state_machine_arn(arn)
                .send()
                .await
                .expect("describe")
        }
    };
    assert_eq!(describe(arn.clone()).await.revision_id(), Some(revision));
    assert_eq!(describe(v1).await.revision_id(), None);
    assert_eq!(describe(v2).await.revision_id(), Some(revision));
}

#[tokio::test]
async fn arns_use_the_partition_of_the_region() {
    let server = common::start().await;
    for (region, partition) in [
        ("cn-northwest-1", "aws-cn"),
        ("us-isob-east-1", "aws-iso-b"),
    ] {
        let client = crate::client::sfn_in(&server, region);
        let arn = create_machine(&client, "m", PASS).await;
        assert_eq!(
            arn,
            format!("arn:{partition}:states:{region}:000000000000:stateMachine:m")
        );
        let execution = crate::client::start(&client, &arn, "e", "{}").await;
        assert_eq!(
            execution,
            format!("arn:{partition}:states:{region}:000000000000:execution:m:e")
        );
        let activity = client
            .create_activity()
            .name("a")
            .send()
            .await
            .expect("activity")
            .activity_arn;
        assert_eq!(
            activity,
            format!("arn:{partition}:states:{region}:000000000000:activity:a")
        );
        let eb = common::eb_in(&server, region);
        let rule = eb
            .put_rule()
            .name("r")
            .event_pattern(r#"{"source": ["app"]}"#)
            .send()
            .await
            .expect("put rule")
            .rule_arn
            .expect("arn");
        assert_eq!(
            rule,
            format!("arn:{partition}:events:{region}:000000000000:rule/r")
        );
        let bus = eb
            .describe_event_bus()
            .send()
            .await
            .expect("default bus")
            .arn
            .expect("arn");
        assert_eq!(
            bus,
            format!("arn:{partition}:events:{region}:000000000000:event-bus/default")
        );
    }
}

#[tokio::test]
async fn test_state_names_a_machine_and_execution_of_the_partition_of_the_region() {
    let server = common::start().await;
    let region = "us-gov-west-1";
    let client = crate::client::sfn_in(&server, region);
    let tested = client
        .test_state()
        .definition(
            r#"{"Type": "Pass", "Parameters": {"machine.$": "$$.StateMachine.Id", "execution.$": "$$.Execution.Id"}, "End": true}"#,
        )
        .input("{}")
        .send()
        .await
        .expect("TestState");
    let output: serde_json::Value =
        serde_json::from_str(tested.output.as_deref().expect("output")).expect("JSON");
    assert_eq!(
        output["machine"],
        format!("arn:aws-us-gov:states:{region}:000000000000:stateMachine:TestStateStateMachine")
    );
    let execution = output["execution"].as_str().expect("execution ARN");
    let expected =
        format!("arn:aws-us-gov:states:{region}:000000000000:express:TestStateStateMachine:");
    assert!(execution.starts_with(&expected), "{execution}");
}

/// Paths and JSONPath templates are compiled when the definition is parsed: a path that
/// starts with `$` but does not compile is refused at CreateStateMachine, never left to fail
/// a running state.
#[tokio::test]
async fn create_refuses_paths_that_do_not_compile() {
    let server = common::start().await;
    let client = sfn(&server);
    for (field, state) in [
        (
            "InputPath",
            r#"{"Type": "Pass", "InputPath": "$.a[", "End": true}"#,
        ),
        (
            "ResultPath",
            r#"{"Type": "Pass", "ResultPath": "$..", "End": true}"#,
        ),
        (
            "SecondsPath",
            r#"{"Type": "Wait", "SecondsPath": "$.[", "End": true}"#,
        ),
        (
            "a.$",
            r#"{"Type": "Pass", "Parameters": {"a.$": "$.b["}, "End": true}"#,
        ),
        (
            "x.$",
            r#"{"Type": "Pass", "Assign": {"x.$": "$.b["}, "End": true}"#,
        ),
        (
            "i.$",
            r#"{"Type": "Map", "ItemSelector": {"i.$": "$.b["}, "End": true,
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}"#,
        ),
        (
            "p.$",
            r#"{"Type": "Map", "Parameters": {"p.$": "$$.Map.Item["}, "End": true,
                "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}"#,
        ),
        (
            "b.$",
            r#"{"Type": "Map", "ItemBatcher": {"BatchInput": {"b.$": "$.c["}}, "End": true,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}"#,
        ),
        (
            "Variable",
            r#"{"Type": "Choice", "Choices": [{"Variable": "$.a[?(", "IsNull": true,
                "Next": "S"}], "Default": "S"}"#,
        ),
    ] {
        let definition = format!(
            r#"{{"StartAt": "S0", "States": {{"S0": {state}, "S": {{"Type": "Succeed"}}}}}}"#
        );
        let refused = failed(
            client
                .create_state_machine()
                .name("paths")
                .definition(definition)
                .role_arn(ROLE)
                .send()
                .await,
        );
        assert_eq!(refused.code, "InvalidDefinition", "{field}");
        let expected = format!("The value for the field '{field}' must be a valid JSONPath");
        assert!(
            refused.message.contains(&expected),
            "{field}: {}",
            refused.message
        );
    }
}

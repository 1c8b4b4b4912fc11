//! AddPermission / RemovePermission and the queue Policy they write.

use crate::common::*;
use serde_json::Value;

async fn policy(sqs: &aws_sdk_sqs::Client, url: &str) -> Option<Value> {
    named_queue_attributes(sqs, url, &["Policy"])
        .await
        .get("Policy")
        .map(|p| serde_json::from_str(p).expect("Policy is JSON"))
}

fn statements(policy: &Option<Value>) -> Vec<Value> {
    policy
        .as_ref()
        .and_then(|p| p["Statement"].as_array().cloned())
        .unwrap_or_default()
}

fn as_set(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = match v {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or_default().to_string())
            .collect(),
        Value::String(s) => vec![s.clone()],
        other => vec![other.to_string()],
    };
    out.sort();
    out
}

#[tokio::test]
async fn add_permission_writes_a_policy_statement_for_the_label() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.add_permission()
        .queue_url(&url)
        .label("crossaccountpermission")
        .aws_account_ids(ACCOUNT)
        .aws_account_ids("668614515564")
        .actions("ReceiveMessage")
        .send()
        .await
        .unwrap();
    let p = policy(&sqs, &url).await.expect("a Policy attribute");
    // AWS's generated policy carries a policy-language version; which of the two is not
    // recorded in the conformance data, so either is accepted.
    assert!(
        p["Version"] == "2012-10-17" || p["Version"] == "2008-10-17",
        "Version {}",
        p["Version"]
    );
    assert_eq!(p["Id"], format!("{}/SQSDefaultPolicy", queue_arn("q")));
    let s = statements(&Some(p.clone()));
    assert_eq!(s.len(), 1, "{p}");
    assert_eq!(s[0]["Sid"], "crossaccountpermission");
    assert_eq!(s[0]["Effect"], "Allow");
    assert_eq!(
        as_set(&s[0]["Principal"]["AWS"]),
        vec![
            "arn:aws:iam::000000000000:root".to_string(),
            "arn:aws:iam::668614515564:root".to_string()
        ]
    );
    assert_eq!(as_set(&s[0]["Action"]), vec!["SQS:ReceiveMessage"]);
    assert_eq!(s[0]["Resource"], queue_arn("q"));
}

#[tokio::test]
async fn a_single_account_and_action_are_written_as_plain_strings() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.add_permission()
        .queue_url(&url)
        .label("one")
        .aws_account_ids(ACCOUNT)
        .actions("SendMessage")
        .send()
        .await
        .unwrap();
    let s = statements(&policy(&sqs, &url).await);
    assert_eq!(s[0]["Principal"]["AWS"], "arn:aws:iam::000000000000:root");
    assert_eq!(s[0]["Action"], "SQS:SendMessage");
}

#[tokio::test]
async fn each_label_is_its_own_statement_and_remove_permission_drops_it() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for label in ["first", "second"] {
        sqs.add_permission()
            .queue_url(&url)
            .label(label)
            .aws_account_ids(ACCOUNT)
            .actions("ReceiveMessage")
            .send()
            .await
            .unwrap();
    }
    let sids = |p: &Option<Value>| -> Vec<String> {
        statements(p)
            .iter()
            .map(|s| s["Sid"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(sids(&policy(&sqs, &url).await), vec!["first", "second"]);

    sqs.remove_permission()
        .queue_url(&url)
        .label("first")
        .send()
        .await
        .unwrap();
    assert_eq!(sids(&policy(&sqs, &url).await), vec!["second"]);

    sqs.remove_permission()
        .queue_url(&url)
        .label("second")
        .send()
        .await
        .unwrap();
    assert!(sids(&policy(&sqs, &url).await).is_empty());
}

#[tokio::test]
async fn adding_an_existing_label_again_is_invalid_parameter_value() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.add_permission()
        .queue_url(&url)
        .label("crossaccountpermission")
        .aws_account_ids(ACCOUNT)
        .actions("ReceiveMessage")
        .send()
        .await
        .unwrap();
    let failure = expect_failure(
        sqs.add_permission()
            .queue_url(&url)
            .label("crossaccountpermission")
            .aws_account_ids("668614515564")
            .actions("ReceiveMessage")
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    assert_eq!(
        failure.message,
        "Value crossaccountpermission for parameter Label is invalid. Reason: Already exists."
    );
}

#[tokio::test]
async fn removing_an_unknown_label_is_invalid_parameter_value() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let failure = expect_failure(
        sqs.remove_permission()
            .queue_url(&url)
            .label("crossaccountpermission2")
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    assert_eq!(
        failure.message,
        "Value crossaccountpermission2 for parameter Label is invalid. Reason: can't find label."
    );
}

#[tokio::test]
async fn add_permission_on_a_missing_queue_is_non_existent_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let failure = expect_failure(
        sqs.add_permission()
            .queue_url(format!("{}/{ACCOUNT}/missing", server.endpoint()))
            .label("l")
            .aws_account_ids(ACCOUNT)
            .actions("SendMessage")
            .send()
            .await,
    );
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
}

#[tokio::test]
async fn granting_an_owner_only_action_says_only_the_owner_may_invoke_it() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for action in [
        "AddPermission",
        "CreateQueue",
        "DeleteQueue",
        "ListQueues",
        "RemovePermission",
        "SetQueueAttributes",
    ] {
        let failure = expect_failure(
            sqs.add_permission()
                .queue_url(&url)
                .label("l")
                .aws_account_ids(ACCOUNT)
                .actions(action)
                .send()
                .await,
        );
        assert_eq!(failure.code, "InvalidParameterValue");
        assert_eq!(
            failure.message,
            format!("Value SQS:{action} for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.")
        );
    }
    let unknown = expect_failure(
        sqs.add_permission()
            .queue_url(&url)
            .label("l")
            .aws_account_ids(ACCOUNT)
            .actions("Fly")
            .send()
            .await,
    );
    assert_eq!(
        unknown.message,
        "Value SQS:Fly for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions. "
    );
}

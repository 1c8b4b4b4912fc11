"""boto3: Step Functions Task states calling SQS, SNS, EventBridge and Step Functions, a
worker answering a .waitForTaskToken callback, and the status-change events on the default
bus -- the order workflow as a Python app would drive it."""

import json

import pytest

from conftest import queue_arn, wait_until
from events_fixtures import events  # noqa: F401  (fixture)
from sfn_helpers import finished, machine
from sns_fixtures import sns  # noqa: F401  (fixture)



def one_message(sqs, url):
    got = []

    def arrived():
        got.extend(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []))
        return bool(got)

    wait_until(arrived)
    return got[0]


def test_send_message_with_a_task_token_waits_for_the_worker(sfn, sqs):
    url = sqs.create_queue(QueueName="payments")["QueueUrl"]
    arn = machine(sfn, "pay", {"StartAt": "Charge", "States": {"Charge": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": url,
                       "MessageBody": {"amount.$": "$.amount", "token.$": "$$.Task.Token"}},
        "ResultPath": "$.payment", "End": True}}})
    execution = sfn.start_execution(stateMachineArn=arn, input='{"amount": 42}')["executionArn"]
    body = json.loads(one_message(sqs, url)["Body"])
    assert body["amount"] == 42
    sfn.send_task_success(taskToken=body["token"], output=json.dumps({"charged": 42}))
    done = finished(sfn, execution)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"amount": 42, "payment": {"charged": 42}}
    types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=body["token"], output="{}")


def test_publish_put_events_and_start_execution_sync(sfn, sqs, sns, events):
    fan = sqs.create_queue(QueueName="fan")["QueueUrl"]
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("fan"),
                  Attributes={"RawMessageDelivery": "true"})
    bus_out = sqs.create_queue(QueueName="bus-out")["QueueUrl"]
    events.put_rule(Name="shop", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="shop", Targets=[{"Id": "q", "Arn": queue_arn("bus-out")}])
    child = machine(sfn, "child", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = machine(sfn, "all", {"StartAt": "Publish", "States": {
        "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                    "Parameters": {"TopicArn": topic, "Message": {"id.$": "$.id"}},
                    "ResultPath": "$.published", "Next": "Put"},
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
                "Parameters": {"Entries": [{"Source": "shop", "DetailType": "Paid",
                                            "Detail": {"id.$": "$.id"}}]},
                "ResultPath": "$.put", "Next": "Child"},
        "Child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                  "Parameters": {"StateMachineArn": child, "Input": {"id.$": "$.id"}},
                  "ResultSelector": {"out.$": "$.Output"}, "ResultPath": "$.child", "End": True}}})
    execution = sfn.start_execution(stateMachineArn=arn, input='{"id": "o-1"}')["executionArn"]
    done = finished(sfn, execution)
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["published"]["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert output["put"]["FailedEntryCount"] == 0
    assert output["child"] == {"out": {"id": "o-1"}}
    assert json.loads(one_message(sqs, fan)["Body"]) == {"id": "o-1"}
    assert json.loads(one_message(sqs, bus_out)["Body"])["detail"] == {"id": "o-1"}


def test_status_change_events_reach_a_rule(sfn, sqs, events):
    audit = sqs.create_queue(QueueName="audit")["QueueUrl"]
    events.put_rule(Name="sfn-status", EventPattern=json.dumps(
        {"source": ["aws.states"], "detail": {"status": ["SUCCEEDED"]}}))
    events.put_targets(Rule="sfn-status", Targets=[{"Id": "a", "Arn": queue_arn("audit")}])
    arn = machine(sfn, "audited", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    event = json.loads(one_message(sqs, audit)["Body"])
    assert event["detail-type"] == "Step Functions Execution Status Change"
    assert event["detail"]["executionArn"] == execution
    assert event["detail"]["status"] == "SUCCEEDED"


def test_an_aws_sdk_task_error_is_named_as_on_aws(sfn):
    arn = machine(sfn, "sdk", {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:getQueueUrl",
        "Parameters": {"QueueName": "missing"},
        "Catch": [{"ErrorEquals": ["Sqs.QueueDoesNotExistException"], "Next": "Caught"}],
        "End": True}, "Caught": {"Type": "Pass", "End": True}}})
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    done = finished(sfn, execution)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"])["Error"] == "Sqs.QueueDoesNotExistException"

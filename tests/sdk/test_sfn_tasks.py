"""boto3: activity workers (GetActivityTask, SendTaskSuccess/Failure/Heartbeat), TestState,
RedriveExecution and map runs, as an application would use them."""

import json
import threading

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, sfn_client
from sfn_helpers import finished, machine


def test_an_activity_worker_completes_a_task(sfn):
    activity = sfn.create_activity(name="approve")["activityArn"]
    arn = machine(sfn, "approval", {
        "StartAt": "Approve",
        "States": {"Approve": {"Type": "Task", "Resource": activity, "End": True}},
    })
    execution = sfn.start_execution(stateMachineArn=arn, input='{"order": 1}')["executionArn"]
    task = {}
    worker = threading.Thread(target=lambda: task.update(
        sfn.get_activity_task(activityArn=activity, workerName="w1")))
    worker.start()
    worker.join(10)
    assert json.loads(task["input"]) == {"order": 1}
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    sfn.send_task_success(taskToken=task["taskToken"], output='{"approved": true}')
    done = finished(sfn, execution)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"approved": True}
    types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert types[2:5] == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
    with pytest.raises(ClientError) as err:
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    assert err.value.response["Error"]["Code"] == "TaskTimedOut"


def test_a_worker_failure_fails_the_execution(sfn):
    activity = sfn.create_activity(name="charge")["activityArn"]
    arn = machine(sfn, "charge", {
        "StartAt": "Charge",
        "States": {"Charge": {"Type": "Task", "Resource": activity, "End": True}},
    })
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    token = sfn.get_activity_task(activityArn=activity)["taskToken"]
    sfn.send_task_failure(taskToken=token, error="CardDeclined", cause="insufficient funds")
    done = finished(sfn, execution)
    assert (done["status"], done["error"], done["cause"]) == ("FAILED", "CardDeclined", "insufficient funds")
    with pytest.raises(ClientError) as err:
        sfn.send_task_heartbeat(taskToken="garbage")
    assert err.value.response["Error"]["Code"] == "InvalidToken"


def test_test_state_with_a_mocked_task(endpoint):
    # TestState is sent to the `sync-` host, like StartSyncExecution (see the README).
    sfn = sfn_client(endpoint, inject_host_prefix=False)
    answer = sfn.test_state(
        definition=json.dumps({
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "ResultSelector": {"value.$": "$.Payload"}, "ResultPath": "$.out", "Next": "Next",
        }),
        input='{"a": 1}',
        inspectionLevel="DEBUG",
        mock={"result": '{"Payload": 42}'},
    )
    assert answer["status"] == "SUCCEEDED"
    assert answer["nextState"] == "Next"
    assert json.loads(answer["output"]) == {"a": 1, "out": {"value": 42}}
    assert json.loads(answer["inspectionData"]["result"]) == {"Payload": 42}
    with pytest.raises(ClientError) as err:
        sfn.test_state(definition='{"Type": "Succeed"}', mock={"result": "{}"})
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_redrive_and_map_runs(sfn):
    arn = machine(sfn, "flaky", {
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": [{
                "Variable": "$$.Execution.RedriveCount", "NumericEquals": 1, "Next": "Map"}]},
            "Map": {"Type": "Map", "Label": "Rows", "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True},
        },
    })
    execution = sfn.start_execution(stateMachineArn=arn, input="[1, 2]")["executionArn"]
    assert finished(sfn, execution)["status"] == "FAILED"
    sfn.redrive_execution(executionArn=execution)
    done = finished(sfn, execution)
    assert done["status"] == "SUCCEEDED"
    assert done["redriveCount"] == 1
    runs = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    assert len(runs) == 1
    described = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])
    assert described["status"] == "SUCCEEDED"
    assert described["itemCounts"]["succeeded"] == 2
    assert runs[0]["mapRunArn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT_ID}:mapRun:flaky/Rows:")

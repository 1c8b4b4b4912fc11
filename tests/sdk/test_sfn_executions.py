"""boto3 (JSON 1.0 protocol): Step Functions executions — run, fail, stop, list, history, sync."""

import json
import time

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from conftest import ACCOUNT_ID, REGION, SFN_ROLE_ARN, sfn_client, wait_until

CHOICE = {
    "StartAt": "Tag",
    "States": {
        "Tag": {"Type": "Pass", "Result": {"seen": True}, "ResultPath": "$.tag", "Next": "Route"},
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
            "Default": "Small",
        },
        "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
    },
}
FAILING = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Custom.Broken", "Cause": "it broke"}}}
WAITING = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 300, "End": True}}}
ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": True}}}


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def create(sfn, name, definition, **kwargs) -> str:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=SFN_ROLE_ARN, **kwargs)["stateMachineArn"]


def finished(sfn, execution_arn, timeout=3.0):
    """DescribeExecution once the execution has left RUNNING (fails the test after timeout seconds)."""
    described = wait_until(
        lambda: (d := sfn.describe_execution(executionArn=execution_arn))["status"] != "RUNNING" and d,
        timeout=timeout,
    )
    assert described, f"{execution_arn} still RUNNING after {timeout}s"
    return described


def test_execution_runs_to_succeeded_with_the_expected_output(sfn):
    arn = create(sfn, "router", CHOICE)
    started = sfn.start_execution(stateMachineArn=arn, name="run-1", input=json.dumps({"n": 42}))
    assert started["executionArn"] == f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:router:run-1"

    done = finished(sfn, started["executionArn"])
    assert done["status"] == "SUCCEEDED"
    assert done["name"] == "run-1"
    assert done["stateMachineArn"] == arn
    assert json.loads(done["input"]) == {"n": 42}
    assert json.loads(done["output"]) == {"n": 42, "tag": {"seen": True}, "size": "big"}
    assert done["stopDate"] >= done["startDate"]


def test_choice_default_branch_and_intrinsics_shape_the_output(sfn):
    small = sfn.start_execution(stateMachineArn=create(sfn, "router", CHOICE), input='{"n": 3}')["executionArn"]
    assert json.loads(finished(sfn, small)["output"]) == {"n": 3, "tag": {"seen": True}, "size": "small"}
    echo = sfn.start_execution(stateMachineArn=create(sfn, "echo", ECHO), input='{"n": 21}')["executionArn"]
    assert json.loads(finished(sfn, echo)["output"]) == {"doubled": 42}


def test_fail_state_fails_the_execution_with_its_error_and_cause(sfn):
    arn = create(sfn, "failing", FAILING)
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    done = finished(sfn, execution)
    assert done["status"] == "FAILED"
    assert done["error"] == "Custom.Broken"
    assert done["cause"] == "it broke"
    assert "output" not in done

    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events] == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert events[-1]["executionFailedEventDetails"] == {"error": "Custom.Broken", "cause": "it broke"}


def test_task_state_fails_with_states_runtime_for_now(sfn):
    task = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}}}
    execution = sfn.start_execution(stateMachineArn=create(sfn, "tasky", task))["executionArn"]
    done = finished(sfn, execution)
    assert done["status"] == "FAILED"
    assert done["error"] == "States.Runtime"


def test_stop_execution_aborts_a_running_execution(sfn):
    arn = create(sfn, "sleepy", WAITING)
    execution = sfn.start_execution(stateMachineArn=arn, name="nap")["executionArn"]
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"

    stopped = sfn.stop_execution(executionArn=execution, error="Manual.Stop", cause="enough")
    done = finished(sfn, execution)
    assert done["status"] == "ABORTED"
    assert done["error"] == "Manual.Stop"
    assert done["cause"] == "enough"
    assert done["stopDate"] == stopped["stopDate"]

    types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert types == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]


def test_list_executions_filters_by_status(sfn):
    waiting = create(sfn, "mixed", WAITING)
    running = sfn.start_execution(stateMachineArn=waiting, name="still-running")["executionArn"]
    aborted = sfn.start_execution(stateMachineArn=waiting, name="to-abort")["executionArn"]
    sfn.stop_execution(executionArn=aborted)
    finished(sfn, aborted)

    everything = sfn.list_executions(stateMachineArn=waiting)["executions"]
    assert sorted(e["name"] for e in everything) == ["still-running", "to-abort"]
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=waiting, statusFilter="RUNNING")["executions"]] == [running]
    only_aborted = sfn.list_executions(stateMachineArn=waiting, statusFilter="ABORTED")["executions"]
    assert [(e["executionArn"], e["status"]) for e in only_aborted] == [(aborted, "ABORTED")]
    assert sfn.list_executions(stateMachineArn=waiting, statusFilter="SUCCEEDED")["executions"] == []
    sfn.stop_execution(executionArn=running)


def test_list_executions_of_succeeded_and_failed_runs(sfn):
    good = create(sfn, "good", CHOICE)
    ok = sfn.start_execution(stateMachineArn=good, input='{"n": 1}')["executionArn"]
    finished(sfn, ok)
    succeeded = sfn.list_executions(stateMachineArn=good, statusFilter="SUCCEEDED")["executions"]
    assert [e["executionArn"] for e in succeeded] == [ok]
    assert sfn.list_executions(stateMachineArn=good, statusFilter="FAILED")["executions"] == []


def test_execution_history_of_a_pass_choice_machine_is_the_exact_event_sequence(sfn):
    arn = create(sfn, "historic", CHOICE)
    execution = sfn.start_execution(stateMachineArn=arn, input='{"n": 11}')["executionArn"]
    finished(sfn, execution)

    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ChoiceStateEntered",
        "ChoiceStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [e["id"] for e in events] == list(range(1, 9))
    assert events[0]["executionStartedEventDetails"]["roleArn"] == SFN_ROLE_ARN
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"n": 11}
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    assert entered == ["Tag", "Route", "Big"]
    assert json.loads(events[2]["stateExitedEventDetails"]["output"]) == {"n": 11, "tag": {"seen": True}}
    assert json.loads(events[-1]["executionSucceededEventDetails"]["output"])["size"] == "big"

    newest_first = sfn.get_execution_history(executionArn=execution, reverseOrder=True)["events"]
    assert [e["id"] for e in newest_first] == list(range(8, 0, -1))


def test_execution_history_pages(sfn):
    execution = sfn.start_execution(stateMachineArn=create(sfn, "paged", CHOICE), input='{"n": 0}')["executionArn"]
    finished(sfn, execution)
    first = sfn.get_execution_history(executionArn=execution, maxResults=5)
    assert [e["id"] for e in first["events"]] == [1, 2, 3, 4, 5]
    rest = sfn.get_execution_history(executionArn=execution, maxResults=5, nextToken=first["nextToken"])
    assert [e["id"] for e in rest["events"]] == [6, 7, 8]
    assert "nextToken" not in rest


def test_describe_state_machine_for_execution(sfn):
    arn = create(sfn, "owner", CHOICE)
    execution = sfn.start_execution(stateMachineArn=arn, input='{"n": 0}')["executionArn"]
    described = sfn.describe_state_machine_for_execution(executionArn=execution)
    assert described["stateMachineArn"] == arn
    assert json.loads(described["definition"]) == CHOICE


def test_unknown_execution_is_execution_does_not_exist(sfn):
    arn = create(sfn, "lonely", CHOICE)
    missing = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:lonely:nope"
    for call in (sfn.describe_execution, sfn.get_execution_history, sfn.stop_execution):
        with pytest.raises(ClientError) as err:
            call(executionArn=missing)
        assert error_code(err) == "ExecutionDoesNotExist", call.__name__
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == []


def test_reusing_an_execution_name_with_other_input_is_execution_already_exists(sfn):
    arn = create(sfn, "named", WAITING)
    first = sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 1}')["executionArn"]
    with pytest.raises(ClientError) as err:
        sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 2}')
    assert error_code(err) == "ExecutionAlreadyExists"
    sfn.stop_execution(executionArn=first)


def test_start_execution_rejects_input_that_is_not_json(sfn):
    arn = create(sfn, "strict", CHOICE)
    with pytest.raises(ClientError) as err:
        sfn.start_execution(stateMachineArn=arn, input="{nope")
    assert error_code(err) == "InvalidExecutionInput"


# StartSyncExecution is modelled with endpoint hostPrefix "sync-". botocore applies it to the
# netloc of whatever endpoint the client has, endpoint_url included, so against
# http://127.0.0.1:PORT the request goes to http://sync-127.0.0.1:PORT/, which does not resolve.
# Config(inject_host_prefix=False) drops the prefix; stepyard does not route by host.


def test_start_sync_execution_with_inject_host_prefix_false_runs_an_express_machine(sfn, endpoint):
    arn = create(sfn, "express", CHOICE, type="EXPRESS")
    unprefixed = sfn_client(endpoint, inject_host_prefix=False)
    result = unprefixed.start_sync_execution(stateMachineArn=arn, name="sync-1", input=json.dumps({"n": 50}))
    assert result["status"] == "SUCCEEDED"
    assert result["stateMachineArn"] == arn
    assert result["name"] == "sync-1"
    assert result["executionArn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT_ID}:express:express:sync-1:")
    assert json.loads(result["output"]) == {"n": 50, "tag": {"seen": True}, "size": "big"}


def test_start_sync_execution_reports_a_fail_state_in_the_response(sfn, endpoint):
    arn = create(sfn, "express-fail", FAILING, type="EXPRESS")
    result = sfn_client(endpoint, inject_host_prefix=False).start_sync_execution(stateMachineArn=arn)
    assert result["status"] == "FAILED"
    assert (result["error"], result["cause"]) == ("Custom.Broken", "it broke")


def test_start_sync_execution_on_a_standard_machine_is_rejected(sfn, endpoint):
    arn = create(sfn, "standard", CHOICE)
    with pytest.raises(ClientError) as err:
        sfn_client(endpoint, inject_host_prefix=False).start_sync_execution(stateMachineArn=arn)
    assert error_code(err) == "StateMachineTypeNotSupported"


def test_start_sync_execution_with_default_config_goes_to_the_sync_prefixed_host(sfn, endpoint):
    """Documents botocore's default: the host prefix is injected even with endpoint_url, so it fails."""
    arn = create(sfn, "express", CHOICE, type="EXPRESS")
    default = sfn_client(endpoint, retries={"total_max_attempts": 1})
    sent = []
    default.meta.events.register("before-send.sfn.*", lambda request, **_: sent.append(request.url))
    with pytest.raises(EndpointConnectionError) as err:
        default.start_sync_execution(stateMachineArn=arn, input='{"n": 1}')
    host = endpoint.split("://", 1)[1]
    assert sent == [f"http://sync-{host}/"]
    assert f"sync-{host}" in str(err.value)
    # Only the sync operations carry the prefix: StartExecution on the same client reaches stepyard.
    default.start_execution(stateMachineArn=create(sfn, "standard", CHOICE), input='{"n": 1}')
    assert sent[-1] == f"http://{host}/"

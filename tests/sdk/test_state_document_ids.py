"""State documents whose numbers the data directory could not keep apart are refused with a
400 naming what is wrong, and change nothing (they used to load and then overwrite other rows
or hand an old version back)."""

import json

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
PASS_TWO = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 2, "End": True}}})
ROLE = "arn:aws:iam::000000000000:role/sfn"
RUN = "arn:aws:states:us-east-1:000000000000:mapRun:flow/map:1"


def load_state(server, document):
    raw = json.dumps(document).encode()
    status, _, body = server.http("POST", "/_stepyard/state", raw, {"Content-Type": "application/json"})
    return status, json.loads(body)


def state_of(server):
    status, _, body = server.http("GET", "/_stepyard/state")
    assert status == 200
    return json.loads(body)


def map_run_with_child(event_id):
    return {
        "arn": RUN,
        "execution_arn": "arn:aws:states:us-east-1:000000000000:execution:flow:e",
        "state_machine_arn": "arn:aws:states:us-east-1:000000000000:stateMachine:flow/map",
        "status": "RUNNING", "start_ms": 1, "stop_ms": None, "max_concurrency": 0,
        "tolerated_failure_count": 0, "tolerated_failure_percentage": 0.0,
        "pending": 0, "running": 1, "succeeded": 0, "failed": 0, "aborted": 0, "total": 1,
        "children": [{"index": 0, "history": [
            {"id": event_id, "prev": 0, "ms": 1, "type": "ExecutionStarted", "details": None}]}],
    }


def test_a_map_run_child_event_id_past_32_bits_is_refused_with_400(stepyard, sfn):
    sfn.create_state_machine(name="kept", definition=PASS, roleArn=ROLE)
    document = {"version": 1, "stepfunctions": {"map_runs": [map_run_with_child(2**32)]}}
    status, body = load_state(stepyard, document)
    assert status == 400
    assert "stepfunctions.map_runs" in body["error"] and "event id 4294967296 is too large" in body["error"]
    assert [m["name"] for m in sfn.list_state_machines()["stateMachines"]] == ["kept"]
    # The same run with an id that fits loads.
    document["stepfunctions"]["map_runs"] = [map_run_with_child(1)]
    assert load_state(stepyard, document)[0] == 200
    assert [r["arn"] for r in state_of(stepyard)["stepfunctions"]["map_runs"]] == [RUN]


def test_a_machine_whose_last_version_is_below_its_versions_is_refused_with_400(stepyard, sfn):
    arn = sfn.create_state_machine(name="flow", definition=PASS, roleArn=ROLE, publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=PASS_TWO, publish=True)
    document = state_of(stepyard)
    [machine] = document["stepfunctions"]["regions"][0]["machines"]
    assert machine["last_version"] == 2
    machine["last_version"] = 1
    status, body = load_state(stepyard, document)
    assert status == 400
    assert "last_version 1 does not follow its versions (highest 2)" in body["error"]
    # Nothing changed: the next version is still 3.
    third = sfn.update_state_machine(stateMachineArn=arn, definition=PASS, publish=True)
    assert third["stateMachineVersionArn"] == f"{arn}:3"

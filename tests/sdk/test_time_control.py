"""Time control from boto3: a server started frozen in 2030 (STEPYARD_CLOCK, STEPYARD_CLOCK_START),
moved with POST /_stepyard/clock/advance, waited on with POST /_stepyard/settle. No test sleeps."""

import datetime
import json

import boto3
import pytest

from conftest import CLIENT_CONFIG, REGION, _start, _stop, sfn_client
from sfn_helpers import ROLE

START_MS = 1_893_456_000_000  # 2030-01-01T00:00:00Z


@pytest.fixture(scope="module")
def frozen():
    """A second stepyard, frozen at 2030-01-01T00:00:00Z, for this module only."""
    server = _start({"STEPYARD_CLOCK": "frozen", "STEPYARD_CLOCK_START": "2030-01-01T00:00:00Z"})
    try:
        yield server
    finally:
        _stop(server)


def call(server, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    status, _, raw = server.http("POST" if path != "/_stepyard/clock" else "GET", path, data,
                                 {"content-type": "application/json"})
    return status, json.loads(raw)


def advance(server, seconds):
    status, reading = call(server, "/_stepyard/clock/advance", {"seconds": seconds})
    assert status == 200, reading
    return reading


def client(server, name):
    return boto3.session.Session().client(
        name, endpoint_url=server.url, aws_access_key_id="test", aws_secret_access_key="test",
        region_name=REGION, config=CLIENT_CONFIG)


def test_a_server_started_frozen_from_the_environment_reads_2030_and_stays_put(frozen):
    status, first = call(frozen, "/_stepyard/clock")
    assert status == 200 and first["frozen"] is True
    assert first["now"].startswith("2030-01-01T") and first["now"].endswith("Z")
    status, again = call(frozen, "/_stepyard/clock")
    assert again["epochMillis"] == first["epochMillis"]
    moved = advance(frozen, 0.25)
    assert moved["epochMillis"] == first["epochMillis"] + 250


def test_a_one_day_wait_succeeds_right_after_advancing_a_day(frozen):
    sfn = sfn_client(frozen.url)
    machine = sfn.create_state_machine(
        name="one-day", roleArn=ROLE,
        definition=json.dumps({"StartAt": "Day", "States": {"Day": {"Type": "Wait", "Seconds": 86400, "End": True}}}),
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert call(frozen, "/_stepyard/settle", {"timeoutSeconds": 10}) == (200, {"settled": True})
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    advance(frozen, 86400)
    done = sfn.describe_execution(executionArn=arn)
    assert done["status"] == "SUCCEEDED"
    assert done["stopDate"] - done["startDate"] == datetime.timedelta(days=1)
    assert done["startDate"].year == 2030


def test_a_message_delayed_15_minutes_arrives_after_advancing_15_minutes(frozen):
    sqs = client(frozen, "sqs")
    url = sqs.create_queue(QueueName="delayed")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    advance(frozen, 900)
    got = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["SentTimestamp"])["Messages"]
    assert got[0]["Body"] == "later"
    assert int(got[0]["Attributes"]["SentTimestamp"]) >= START_MS


def test_advancing_backwards_is_a_400_that_says_why(frozen):
    status, body = call(frozen, "/_stepyard/clock/advance", {"to": "2029-01-01T00:00:00Z"})
    assert status == 400
    assert "only moves forward" in body["message"]
    status, body = call(frozen, "/_stepyard/clock/advance", {"hours": 1})
    assert status == 400 and "seconds" in body["message"]

"""Configurations that the stores keep typed (EventBridge global endpoints, a bus's
DeadLetterConfig and LogConfig, a replay's Destination; a state machine's logging, tracing and
encryption, an activity's encryption) read back from the state document and from --data-dir
exactly as the Describe calls showed them before."""

import json
import time

import boto3

from conftest import CLIENT_CONFIG, REGION, _start


def client(service, url):
    return boto3.session.Session().client(
        service, endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
        region_name=REGION, config=CLIENT_CONFIG)


BUSES = [{"EventBusArn": "arn:aws:events:us-east-1:000000000000:event-bus/default"},
         {"EventBusArn": "arn:aws:events:us-west-2:000000000000:event-bus/default"}]
ROUTING = {"FailoverConfig": {"Primary": {"HealthCheck": "arn:aws:route53:::healthcheck/abc"},
                              "Secondary": {"Route": "us-west-2"}}}
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
LOG_GROUP = "arn:aws:logs:us-east-1:000000000000:log-group:flows:*"


def seed(url):
    ev, sfn = client("events", url), client("stepfunctions", url)
    ev.create_endpoint(Name="global", RoutingConfig=ROUTING, EventBuses=BUSES,
                       RoleArn="arn:aws:iam::000000000000:role/replication")
    ev.create_endpoint(Name="quiet", RoutingConfig=ROUTING, EventBuses=BUSES,
                       ReplicationConfig={"State": "DISABLED"})
    ev.update_endpoint(Name="quiet", Description="added later")
    bus = ev.create_event_bus(Name="typed", DeadLetterConfig={"Arn": "arn:aws:sqs:us-east-1:000000000000:dlq"},
                              LogConfig={"IncludeDetail": "FULL", "Level": "INFO"})["EventBusArn"]
    archive = ev.create_archive(ArchiveName="typed-all", EventSourceArn=bus)["ArchiveArn"]
    ev.start_replay(ReplayName="again", EventSourceArn=archive, EventStartTime=0,
                    EventEndTime=time.time() + 60,
                    Destination={"Arn": bus, "FilterArns": [
                        "arn:aws:events:us-east-1:000000000000:rule/typed/nothing"]})
    machine = sfn.create_state_machine(
        name="typed", definition=PASS, roleArn="arn:aws:iam::000000000000:role/sfn",
        loggingConfiguration={"level": "ERROR", "includeExecutionData": True,
                              "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": LOG_GROUP}}]},
        tracingConfiguration={"enabled": True},
        encryptionConfiguration={"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/flows",
                                 "kmsDataKeyReusePeriodSeconds": 120},
        publish=True)
    activity = sfn.create_activity(name="typed", encryptionConfiguration={
        "type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/work", "kmsDataKeyReusePeriodSeconds": 300})
    return {"machine": machine["stateMachineArn"], "version": machine["stateMachineVersionArn"],
            "activity": activity["activityArn"]}


def described(url, seeded):
    """What the Describe calls answer for everything `seed` made (times left out of replays,
    whose state moves on by itself)."""
    ev, sfn = client("events", url), client("stepfunctions", url)
    strip = lambda answer: {k: v for k, v in answer.items() if k != "ResponseMetadata"}  # noqa: E731
    machine = strip(sfn.describe_state_machine(stateMachineArn=seeded["machine"]))
    version = strip(sfn.describe_state_machine(stateMachineArn=seeded["version"]))
    return {
        "endpoints": [strip(ev.describe_endpoint(Name=n)) for n in ("global", "quiet")],
        "listed": strip(ev.list_endpoints()),
        "bus": strip(ev.describe_event_bus(Name="typed")),
        "replay": ev.describe_replay(ReplayName="again")["Destination"],
        "machine": {k: machine[k] for k in ("loggingConfiguration", "tracingConfiguration",
                                            "encryptionConfiguration")},
        "version": {k: version[k] for k in ("loggingConfiguration", "tracingConfiguration")},
        "activity": strip(sfn.describe_activity(activityArn=seeded["activity"])),
    }


def test_typed_configurations_are_described_as_they_were_given():
    server = _start()
    try:
        seeded = seed(server.url)
        got = described(server.url, seeded)
        quiet = got["endpoints"][1]
        assert (quiet["Description"], quiet["ReplicationConfig"]) == ("added later", {"State": "DISABLED"})
        assert got["endpoints"][0]["RoleArn"] == "arn:aws:iam::000000000000:role/replication"
        assert got["endpoints"][0]["ReplicationConfig"] == {"State": "ENABLED"}
        assert got["bus"]["DeadLetterConfig"] == {"Arn": "arn:aws:sqs:us-east-1:000000000000:dlq"}
        assert got["bus"]["LogConfig"] == {"IncludeDetail": "FULL", "Level": "INFO"}
        assert got["replay"]["FilterArns"] == ["arn:aws:events:us-east-1:000000000000:rule/typed/nothing"]
        assert got["machine"]["loggingConfiguration"]["destinations"] == [
            {"cloudWatchLogsLogGroup": {"logGroupArn": LOG_GROUP}}]
        assert got["machine"]["tracingConfiguration"] == {"enabled": True}
        assert got["machine"]["encryptionConfiguration"]["kmsDataKeyReusePeriodSeconds"] == 120
        assert got["activity"]["encryptionConfiguration"]["kmsKeyId"] == "alias/work"
    finally:
        server.proc.kill()
        server.proc.wait()


def test_typed_configurations_come_back_the_same_from_the_state_document():
    server = _start()
    try:
        seeded = seed(server.url)
        before = described(server.url, seeded)
        status, _, document = server.http("GET", "/_stepyard/state")
        assert status == 200
        server.reset()
        assert client("events", server.url).list_endpoints()["Endpoints"] == []
        status, _, _ = server.http("POST", "/_stepyard/state", document, {"Content-Type": "application/json"})
        assert status == 200
        assert described(server.url, seeded) == before
    finally:
        server.proc.kill()
        server.proc.wait()


def test_typed_configurations_come_back_the_same_from_the_data_dir_after_kill_9(tmp_path):
    data = {"STEPYARD_DATA_DIR": str(tmp_path / "data")}
    server = _start(data)
    try:
        seeded = seed(server.url)
        before = described(server.url, seeded)
    finally:
        server.proc.kill()  # SIGKILL: no shutdown, no flush
        server.proc.wait()
    server = _start(data)
    try:
        assert described(server.url, seeded) == before
    finally:
        server.proc.kill()
        server.proc.wait()

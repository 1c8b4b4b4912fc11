"""boto3 (JSON 1.1 protocol): EventBridge buses, rules, targets, PutEvents to an SQS queue,
TestEventPattern, archives and schedules' validation."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, queue_arn, wait_until
from events_fixtures import events  # noqa: F401  (fixture)


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def bus_arn(name):
    return f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}"


def test_default_bus_exists_and_custom_buses_come_and_go(events):
    assert events.describe_event_bus()["Arn"] == bus_arn("default")
    created = events.create_event_bus(Name="orders", Description="d")
    assert created["EventBusArn"] == bus_arn("orders")
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert names == ["default", "orders"]
    with pytest.raises(ClientError) as e:
        events.create_event_bus(Name="orders")
    assert error(e) == ("ResourceAlreadyExistsException", "Event bus orders already exists.")
    events.delete_event_bus(Name="orders")
    with pytest.raises(ClientError) as e:
        events.describe_event_bus(Name="orders")
    assert error(e) == ("ResourceNotFoundException", "Event bus orders does not exist.")
    with pytest.raises(ClientError) as e:
        events.delete_event_bus(Name="default")
    assert error(e) == ("ValidationException", "Cannot delete event bus default.")


def test_rules_and_targets_round_trip(events):
    arn = events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}), Description="x")["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/r"
    described = events.describe_rule(Name="r")
    assert described["State"] == "ENABLED" and described["Description"] == "x"
    out = events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": queue_arn("q"), "Input": '{"a": 1}'}])
    assert out["FailedEntryCount"] == 0
    targets = events.list_targets_by_rule(Rule="r")["Targets"]
    assert targets == [{"Id": "t", "Arn": queue_arn("q"), "Input": '{"a": 1}'}]
    assert events.list_rule_names_by_target(TargetArn=queue_arn("q"))["RuleNames"] == ["r"]
    with pytest.raises(ClientError) as e:
        events.delete_rule(Name="r")
    assert error(e) == ("ValidationException", "Rule can't be deleted since it has targets.")
    events.remove_targets(Rule="r", Ids=["t"])
    events.delete_rule(Name="r")
    with pytest.raises(ClientError) as e:
        events.describe_rule(Name="r")
    assert error(e) == ("ResourceNotFoundException", "Rule r does not exist on EventBus default.")


def test_put_events_delivers_matching_events_to_a_queue(events, sqs):
    url = sqs.create_queue(QueueName="eventq")["QueueUrl"]
    events.put_rule(Name="orders", EventPattern=json.dumps({"detail": {"kind": ["order"]}}))
    events.put_targets(Rule="orders", Targets=[{"Id": "q", "Arn": queue_arn("eventq")}])
    out = events.put_events(
        Entries=[
            {"Source": "app", "DetailType": "t", "Detail": json.dumps({"kind": "order"})},
            {"Source": "app", "DetailType": "t", "Detail": json.dumps({"kind": "other"})},
            {"Source": "app", "DetailType": "t"},
        ]
    )
    assert out["FailedEntryCount"] == 1
    assert out["Entries"][2] == {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": "Parameter Detail is not valid. Reason: Detail is a required argument.",
    }
    got = wait_until(lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"))
    assert got, "the matching event arrives"
    event = json.loads(got[0]["Body"])
    assert event["id"] == out["Entries"][0]["EventId"]
    assert event["detail"] == {"kind": "order"}
    assert event["source"] == "app" and event["detail-type"] == "t"
    assert event["account"] == ACCOUNT_ID and event["region"] == REGION


def test_test_event_pattern_and_its_errors(events):
    event = {
        "id": "1", "source": "app", "detail-type": "t", "account": ACCOUNT_ID,
        "region": REGION, "time": "2024-01-01T00:00:00Z", "detail": {"n": 5},
    }
    pattern = {"detail": {"n": [{"numeric": [">", 3]}]}}
    assert events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"] is True
    pattern = {"detail": {"n": [{"numeric": ["<", 3]}]}}
    assert events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"] is False
    with pytest.raises(ClientError) as e:
        events.test_event_pattern(EventPattern=json.dumps({"resources": []}), Event=json.dumps(event))
    code, message = error(e)
    assert code == "InvalidEventPatternException"
    assert message.startswith("Event pattern is not valid. Reason: Empty arrays are not allowed")
    with pytest.raises(ClientError) as e:
        events.test_event_pattern(EventPattern=json.dumps({"source": ["app"]}), Event=json.dumps({"x": 1}))
    assert error(e) == ("ValidationException", "Parameter Event is not valid.")


def test_schedule_expressions_are_validated(events):
    events.put_rule(Name="s", ScheduleExpression="cron(0 12 ? * MON-FRI *)")
    assert events.describe_rule(Name="s")["ScheduleExpression"] == "cron(0 12 ? * MON-FRI *)"
    with pytest.raises(ClientError) as e:
        events.put_rule(Name="bad", ScheduleExpression="cron(0 12 * * * *)")
    assert error(e) == ("ValidationException", "Parameter ScheduleExpression is not valid.")


def test_archives_and_connections(events):
    arn = events.create_archive(ArchiveName="a", EventSourceArn=bus_arn("default"), RetentionDays=1)["ArchiveArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT_ID}:archive/a"
    assert events.describe_archive(ArchiveName="a")["RetentionDays"] == 1
    created = events.create_connection(
        Name="c",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "secret"}},
    )
    assert created["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name="c")
    assert described["AuthParameters"] == {"ApiKeyAuthParameters": {"ApiKeyName": "x-key"}}
    assert events.list_event_sources()["EventSources"] == []

"""An event that a rule forwards to another bus is archived by that bus's archive, and with
--data-dir the archived event is on disk without any later EventBridge write: it is there
after kill -9."""

import json
import time

import boto3

from conftest import CLIENT_CONFIG, REGION, _start


def events(url):
    return boto3.session.Session().client(
        "events", endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
        region_name=REGION, config=CLIENT_CONFIG)


def archived(ev, name):
    return ev.describe_archive(ArchiveName=name)["EventCount"]


def test_data_dir_an_event_forwarded_to_a_bus_with_an_archive_is_archived_after_kill_9(tmp_path):
    data = {"STEPYARD_DATA_DIR": str(tmp_path / "data")}
    server = _start(data)
    try:
        ev = events(server.url)
        target = ev.create_event_bus(Name="downstream")["EventBusArn"]
        ev.create_archive(ArchiveName="kept", EventSourceArn=target)
        ev.put_rule(Name="forward", EventPattern=json.dumps({"source": ["app"]}))
        ev.put_targets(Rule="forward", Targets=[{
            "Id": "bus", "Arn": target, "RoleArn": "arn:aws:iam::000000000000:role/events"}])
        answer = ev.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": "{}"}])
        assert answer["FailedEntryCount"] == 0
        deadline = time.monotonic() + 10
        while archived(ev, "kept") != 1:
            assert time.monotonic() < deadline, archived(ev, "kept")
            time.sleep(0.05)
        # The group commit's delay, then no shutdown and no flush.
        time.sleep(0.5)
    finally:
        server.proc.kill()
        server.proc.wait()
    server = _start(data)
    try:
        assert archived(events(server.url), "kept") == 1
    finally:
        server.proc.kill()
        server.proc.wait()

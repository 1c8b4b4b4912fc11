"""Durable state: the state document (GET/POST /_stepyard/state, --init-state) and --data-dir,
where a server killed with SIGKILL comes back with everything it acknowledged.

The data-directory tests start their own stepyard processes (the session server is in memory)."""

import base64
import contextlib
import json
import os
import subprocess
import time

import boto3
import pytest

from conftest import CLIENT_CONFIG, REGION, _start, binary_path


def sqs_client(url):
    return boto3.session.Session().client(
        "sqs",
        endpoint_url=url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=REGION,
        config=CLIENT_CONFIG,
    )


def state_of(server):
    status, _, body = server.http("GET", "/_stepyard/state")
    assert status == 200
    return json.loads(body)


def load_state(server, document):
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    status, _, body = server.http("POST", "/_stepyard/state", raw, {"Content-Type": "application/json"})
    return status, json.loads(body)


def seed(sqs):
    """A standard queue with tags, a policy, a DLQ, visible, delayed and in-flight messages,
    and a FIFO queue with two groups: what every test below expects to come back."""
    dlq = sqs.create_queue(QueueName="seed-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="seed",
        Attributes={
            "VisibilityTimeout": "120",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}),
        },
        tags={"team": "payments"},
    )["QueueUrl"]
    sqs.add_permission(QueueUrl=url, Label="all", AWSAccountIds=["000000000000"], Actions=["SendMessage"])
    sqs.send_message(
        QueueUrl=url,
        MessageBody="held",
        MessageAttributes={"blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"}},
    )
    held = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"visible-{i}", MessageAttributes={
            "n": {"DataType": "Number", "StringValue": str(i)}})
    deleted = sqs.send_message(QueueUrl=url, MessageBody="deleted")["MessageId"]
    for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]:
        if m["MessageId"] == deleted:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=3)
    fifo = sqs.create_queue(QueueName="seed.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sent = {}
    for group, body in [("a", "a1"), ("b", "b1"), ("a", "a2"), ("b", "b2")]:
        sent[body] = sqs.send_message(
            QueueUrl=fifo, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body)
    return {"url": url, "dlq": dlq, "fifo": fifo, "held": held, "sent": sent}


def check_seeded(sqs, seeded):
    """Everything `seed` made is there, through the real APIs."""
    url, fifo = seeded["url"], seeded["fifo"]
    names = sorted(u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"])
    assert names == ["seed", "seed-dlq", "seed.fifo"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "120"
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 5
    assert json.loads(attrs["Policy"])["Statement"][0]["Sid"] == "all"
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "payments"}
    assert sqs.list_dead_letter_source_queues(QueueUrl=seeded["dlq"])["queueUrls"][0].endswith("/seed")
    # The in-flight message is still hidden, the delayed one still delayed, the deleted one gone.
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                              AttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in got) == ["visible-0", "visible-1", "visible-2"]
    first = next(m for m in got if m["Body"] == "visible-0")
    assert first["MessageAttributes"]["n"] == {"StringValue": "0", "DataType": "Number"}
    # Received once by the seeding, with VisibilityTimeout 0, and now again.
    assert first["Attributes"]["ApproximateReceiveCount"] == "2"
    # The receipt handle issued before is still the message's handle.
    held = seeded["held"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=held["ReceiptHandle"], VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
    assert [m["MessageId"] for m in again] == [held["MessageId"]]
    assert again[0]["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01\xff"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=held["ReceiptHandle"])
    # FIFO: order per group, and the deduplication window still answers with the original id.
    dup = sqs.send_message(QueueUrl=fifo, MessageBody="a1", MessageGroupId="a", MessageDeduplicationId="a1")
    assert dup["MessageId"] == seeded["sent"]["a1"]["MessageId"]
    assert dup["SequenceNumber"] == seeded["sent"]["a1"]["SequenceNumber"]
    fresh = sqs.send_message(QueueUrl=fifo, MessageBody="a3", MessageGroupId="a", MessageDeduplicationId="a3")
    assert int(fresh["SequenceNumber"]) > int(seeded["sent"]["b2"]["SequenceNumber"])
    bodies = []
    for _ in range(4):
        batch = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10).get("Messages", [])
        bodies += [m["Body"] for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=fifo, ReceiptHandle=m["ReceiptHandle"])
    assert [b for b in bodies if b.startswith("a")] == ["a1", "a2", "a3"]
    assert [b for b in bodies if b.startswith("b")] == ["b1", "b2"]
    # The delayed message becomes visible at its time.
    delayed = None
    deadline = time.monotonic() + 10
    while delayed is None and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []):
            delayed = m["Body"]
    assert delayed == "delayed"


def test_state_export_reset_import_brings_every_queue_and_message_back(stepyard, sqs):
    seeded = seed(sqs)
    document = state_of(stepyard)
    assert document["version"] == 1
    stepyard.reset()
    assert "QueueUrls" not in sqs.list_queues()
    status, body = load_state(stepyard, document)
    assert (status, body) == (200, {"loaded": True})
    check_seeded(sqs, seeded)


def test_state_document_is_plain_json_with_binary_as_base64(stepyard, sqs):
    url = sqs.create_queue(QueueName="doc")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x",
                     MessageAttributes={"b": {"DataType": "Binary", "BinaryValue": b"hi"}})
    (queue,) = state_of(stepyard)["sqs"]["queues"]
    assert (queue["account"], queue["region"], queue["name"]) == ("000000000000", REGION, "doc")
    (message,) = queue["messages"]
    assert message["state"] == {"kind": "visible"}
    assert message["message"]["body"] == "x"
    assert message["message"]["attributes"]["b"]["data"] == {"binary": base64.b64encode(b"hi").decode()}


@pytest.mark.parametrize(
    "document, says",
    [
        (b"{not json", "not JSON"),
        ({"sqs": {"queues": []}}, "no \"version\""),
        ({"version": 2}, "version 2 is not supported"),
        ({"version": 1, "lambda": {}}, "unknown section \"lambda\""),
        ({"version": 1, "sqs": {"queues": [{"account": "000000000000", "region": "us-east-1"}]}}, "sqs.queues"),
        ({"version": 1, "sqs": {"queues": [{"account": "000000000000", "region": "us-east-1", "name": "a/b",
                                             "attributes": {}}]}}, "sqs.queues"),
    ],
)
def test_a_bad_state_document_is_refused_with_400_and_changes_nothing(stepyard, sqs, document, says):
    sqs.create_queue(QueueName="kept")
    status, body = load_state(stepyard, document)
    assert status == 400
    assert says in body["error"]
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]] == ["kept"]


def test_loading_a_document_replaces_the_current_state(stepyard, sqs):
    sqs.create_queue(QueueName="before")
    status, _ = load_state(stepyard, {"version": 1})
    assert status == 200
    assert "QueueUrls" not in sqs.list_queues()


def test_init_state_loads_a_document_at_start(stepyard, sqs, tmp_path):
    seeded = seed(sqs)
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state_of(stepyard)))
    server = _start({"STEPYARD_INIT_STATE": str(path)})
    try:
        check_seeded(sqs_client(server.url), seeded)
    finally:
        server.proc.kill()
        server.proc.wait()


def kill9(server):
    server.proc.kill()  # SIGKILL: no shutdown, no flush
    server.proc.wait()


def test_data_dir_brings_back_queues_and_messages_after_kill_9(stepyard, tmp_path):
    data = tmp_path / "data"
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        seeded = seed(sqs_client(server.url))
    finally:
        kill9(server)
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        check_seeded(sqs_client(server.url), seeded)
        # And what the checks changed (deletes, a new FIFO message) is durable in turn.
    finally:
        kill9(server)
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        sqs = sqs_client(server.url)
        url = sqs.get_queue_url(QueueName="seed")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "4")
        fifo = sqs.get_queue_url(QueueName="seed.fifo")["QueueUrl"]
        assert "Messages" not in sqs.receive_message(QueueUrl=fifo)
    finally:
        kill9(server)


def test_data_dir_reset_deleted_queues_and_purges_stay_gone_after_kill_9(stepyard, tmp_path):
    data = tmp_path / "data"
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        sqs = sqs_client(server.url)
        gone = sqs.create_queue(QueueName="gone")["QueueUrl"]
        sqs.send_message(QueueUrl=gone, MessageBody="x")
        sqs.delete_queue(QueueUrl=gone)
        # A queue of the same name created again does not inherit the old one's messages.
        again = sqs.create_queue(QueueName="gone")["QueueUrl"]
        sqs.send_message(QueueUrl=again, MessageBody="new")
        purged = sqs.create_queue(QueueName="purged")["QueueUrl"]
        sqs.send_message(QueueUrl=purged, MessageBody="x")
        sqs.purge_queue(QueueUrl=purged)
        sqs.send_message(QueueUrl=purged, MessageBody="after-purge")
        sqs.tag_queue(QueueUrl=purged, Tags={"a": "1", "b": "2"})
        sqs.untag_queue(QueueUrl=purged, TagKeys=["a"])
        sqs.set_queue_attributes(QueueUrl=purged, Attributes={"DelaySeconds": "0", "VisibilityTimeout": "7"})
    finally:
        kill9(server)
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        sqs = sqs_client(server.url)
        again = sqs.get_queue_url(QueueName="gone")["QueueUrl"]
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=again, MaxNumberOfMessages=10)["Messages"]] == ["new"]
        purged = sqs.get_queue_url(QueueName="purged")["QueueUrl"]
        got = sqs.receive_message(QueueUrl=purged, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in got] == ["after-purge"]
        assert sqs.list_queue_tags(QueueUrl=purged)["Tags"] == {"b": "2"}
        attrs = sqs.get_queue_attributes(QueueUrl=purged, AttributeNames=["VisibilityTimeout"])["Attributes"]
        assert attrs["VisibilityTimeout"] == "7"
        status, _, _ = server.http("POST", "/_stepyard/reset")
        assert status == 200
    finally:
        kill9(server)
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        assert "QueueUrls" not in sqs_client(server.url).list_queues()
    finally:
        kill9(server)


def test_data_dir_with_state_ignores_init_state_and_an_empty_one_loads_it(stepyard, sqs, tmp_path):
    sqs.create_queue(QueueName="from-document")
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state_of(stepyard)))
    data = tmp_path / "data"
    env = {"STEPYARD_DATA_DIR": str(data), "STEPYARD_INIT_STATE": str(path)}
    server = _start(env)
    try:
        client = sqs_client(server.url)
        assert [u.rsplit("/", 1)[1] for u in client.list_queues()["QueueUrls"]] == ["from-document"]
        client.create_queue(QueueName="made-later")
    finally:
        kill9(server)
    server = _start(env)
    try:
        names = sorted(u.rsplit("/", 1)[1] for u in sqs_client(server.url).list_queues()["QueueUrls"])
        assert names == ["from-document", "made-later"]
    finally:
        kill9(server)


def start_fails(env):
    """(exit code, output) of a start expected to fail."""
    done = subprocess.run(
        [str(binary_path()), "--host", "127.0.0.1", "--port", "0"],
        env=dict(os.environ, NO_COLOR="1", **env),
        capture_output=True,
        text=True,
        timeout=20,
    )
    return done.returncode, done.stdout + done.stderr


def test_a_corrupt_data_dir_stops_the_start_says_how_to_recover_and_is_left_alone(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    garbage = b"this is not a database" * 100
    (data / "stepyard.db").write_bytes(garbage)
    code, output = start_fails({"STEPYARD_DATA_DIR": str(data)})
    assert code != 0
    assert "cannot open" in output and "move" in output and "stepyard.db" in output
    assert (data / "stepyard.db").read_bytes() == garbage


def test_init_state_that_is_not_a_valid_document_stops_the_start(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 7}))
    code, output = start_fails({"STEPYARD_INIT_STATE": str(path)})
    assert code != 0
    assert "version 7 is not supported" in output


def sns_client(url):
    return boto3.session.Session().client(
        "sns", endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
        region_name=REGION, config=CLIENT_CONFIG)


def seed_sns(url):
    """A topic with attributes and tags, an SQS subscription with a filter policy, and an HTTP
    subscription left pending confirmation (its token recorded from the delivery log)."""
    sns, sqs = sns_client(url), sqs_client(url)
    queue = sqs.create_queue(QueueName="fanout")["QueueUrl"]
    topic = sns.create_topic(Name="orders", Attributes={"DisplayName": "Orders"},
                             Tags=[{"Key": "team", "Value": "shop"}])["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:fanout",
                        Attributes={"FilterPolicy": json.dumps({"kind": ["big"]}), "RawMessageDelivery": "true"},
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    pending = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/hook",
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
    fifo = sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    return {"topic": topic, "sub": sub, "pending": pending, "fifo": fifo, "queue": queue}


def token_of(server, subscription_arn):
    state = state_of(server)
    for topic in state["sns"]["topics"]:
        for sub in topic["subscriptions"]:
            if sub["arn"] == subscription_arn:
                return sub["token"]
    raise AssertionError("no subscription " + subscription_arn)


def check_sns(url, seeded, token):
    sns, sqs = sns_client(url), sqs_client(url)
    topics = sorted(t["TopicArn"] for t in sns.list_topics()["Topics"])
    assert topics == sorted([seeded["topic"], seeded["fifo"]])
    attrs = sns.get_topic_attributes(TopicArn=seeded["topic"])["Attributes"]
    assert attrs["DisplayName"] == "Orders"
    assert sns.list_tags_for_resource(ResourceArn=seeded["topic"])["Tags"] == [{"Key": "team", "Value": "shop"}]
    assert sns.get_topic_attributes(TopicArn=seeded["fifo"])["Attributes"]["FifoTopic"] == "true"
    sub_attrs = sns.get_subscription_attributes(SubscriptionArn=seeded["sub"])["Attributes"]
    assert json.loads(sub_attrs["FilterPolicy"]) == {"kind": ["big"]}
    assert sns.get_subscription_attributes(SubscriptionArn=seeded["pending"])["Attributes"]["PendingConfirmation"] == "true"
    # The filter policy still filters, and the subscription still delivers.
    sns.publish(TopicArn=seeded["topic"], Message="small",
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "small"}})
    sns.publish(TopicArn=seeded["topic"], Message="big",
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "big"}})
    got = sqs.receive_message(QueueUrl=seeded["queue"], WaitTimeSeconds=5, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["big"]
    # The pending subscription's confirmation token still confirms it.
    confirmed = sns.confirm_subscription(TopicArn=seeded["topic"], Token=token)
    assert confirmed["SubscriptionArn"] == seeded["pending"]


def test_state_export_reset_import_brings_topics_and_subscriptions_back(stepyard):
    seeded = seed_sns(stepyard.url)
    token = token_of(stepyard, seeded["pending"])
    document = state_of(stepyard)
    stepyard.reset()
    assert sns_client(stepyard.url).list_topics()["Topics"] == []
    assert load_state(stepyard, document)[0] == 200
    check_sns(stepyard.url, seeded, token)


def test_data_dir_brings_back_topics_and_subscriptions_after_kill_9(stepyard, tmp_path):
    data = tmp_path / "data"
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        seeded = seed_sns(server.url)
        token = token_of(server, seeded["pending"])
    finally:
        kill9(server)
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        check_sns(server.url, seeded, token)
        sns_client(server.url).delete_topic(TopicArn=seeded["fifo"])
    finally:
        kill9(server)
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        sns = sns_client(server.url)
        assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [seeded["topic"]]
        attrs = sns.get_subscription_attributes(SubscriptionArn=seeded["pending"])["Attributes"]
        assert attrs["PendingConfirmation"] == "false"
    finally:
        kill9(server)


def events_client(url):
    return boto3.session.Session().client(
        "events", endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
        region_name=REGION, config=CLIENT_CONFIG)


def seed_events(url):
    """A custom bus with a tag and a policy, a pattern rule targeting an SQS queue with an input
    transformer, a scheduled rule, an archive holding an event, a connection and an API
    destination."""
    ev, sqs = events_client(url), sqs_client(url)
    queue = sqs.create_queue(QueueName="ev-target")["QueueUrl"]
    bus = ev.create_event_bus(Name="shop", Tags=[{"Key": "team", "Value": "shop"}])["EventBusArn"]
    ev.put_permission(EventBusName="shop", Action="events:PutEvents", Principal="111122223333", StatementId="other")
    ev.put_rule(Name="orders", EventBusName="shop", EventPattern=json.dumps({"source": ["shop"]}))
    ev.put_targets(Rule="orders", EventBusName="shop", Targets=[{
        "Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:ev-target",
        "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '"order <id>"'}}])
    ev.put_rule(Name="tick", ScheduleExpression="rate(5 minutes)", State="DISABLED")
    archive = ev.create_archive(ArchiveName="all-shop", EventSourceArn=bus, RetentionDays=3)["ArchiveArn"]
    ev.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": json.dumps({"id": "1"}),
                            "EventBusName": "shop"}])
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
    assert got[0]["Body"] == '"order 1"'
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=got[0]["ReceiptHandle"])
    # The archive is filled asynchronously: wait until it counts the event.
    deadline = time.monotonic() + 5
    while ev.describe_archive(ArchiveName="all-shop")["EventCount"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    connection = ev.create_connection(Name="api", AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "secret"}})["ConnectionArn"]
    ev.create_api_destination(Name="hook", ConnectionArn=connection, InvocationEndpoint="http://127.0.0.1:9/h",
                              HttpMethod="POST")
    return {"bus": bus, "archive": archive, "queue": queue}


def check_events(url, seeded):
    ev, sqs = events_client(url), sqs_client(url)
    buses = sorted(b["Name"] for b in ev.list_event_buses()["EventBuses"])
    assert buses == ["default", "shop"]
    assert ev.list_tags_for_resource(ResourceARN=seeded["bus"])["Tags"] == [{"Key": "team", "Value": "shop"}]
    assert "111122223333" in ev.describe_event_bus(Name="shop")["Policy"]
    rules = sorted(r["Name"] for r in ev.list_rules(EventBusName="shop")["Rules"])
    assert "orders" in rules
    tick = ev.describe_rule(Name="tick")
    assert (tick["ScheduleExpression"], tick["State"]) == ("rate(5 minutes)", "DISABLED")
    assert ev.describe_archive(ArchiveName="all-shop")["EventCount"] == 1
    assert ev.describe_connection(Name="api")["AuthorizationType"] == "API_KEY"
    assert ev.describe_api_destination(Name="hook")["InvocationEndpoint"] == "http://127.0.0.1:9/h"
    # The rule and its target with the input transformer still deliver.
    ev.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": json.dumps({"id": "2"}),
                            "EventBusName": "shop"}])
    got = sqs.receive_message(QueueUrl=seeded["queue"], WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in got] == ['"order 2"']


def test_state_export_reset_import_brings_eventbridge_resources_back(stepyard):
    seeded = seed_events(stepyard.url)
    document = state_of(stepyard)
    stepyard.reset()
    assert [b["Name"] for b in events_client(stepyard.url).list_event_buses()["EventBuses"]] == ["default"]
    assert load_state(stepyard, document)[0] == 200
    check_events(stepyard.url, seeded)


def test_data_dir_brings_back_eventbridge_resources_after_kill_9(stepyard, tmp_path):
    data = tmp_path / "data"
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        seeded = seed_events(server.url)
        # Changing anything rewrites EventBridge's record, archive contents included.
        events_client(server.url).enable_rule(Name="orders", EventBusName="shop")
    finally:
        kill9(server)
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        check_events(server.url, seeded)
    finally:
        kill9(server)


def sfn_of(url):
    return boto3.session.Session().client(
        "stepfunctions", endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
        region_name=REGION, config=CLIENT_CONFIG)


PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 1}, "End": True}}})
PASS2 = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 2}, "End": True}}})
ROLE = "arn:aws:iam::000000000000:role/sfn"


def seed_sfn(url):
    """A machine with two published versions, an alias routing between them, tags, and an
    activity."""
    sfn = sfn_of(url)
    machine = sfn.create_state_machine(name="flow", definition=PASS, roleArn=ROLE, publish=True,
                                       versionDescription="first",
                                       tags=[{"key": "team", "value": "ops"}])
    sfn.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=PASS2, publish=True)
    versions = sorted(v["stateMachineVersionArn"] for v in
                      sfn.list_state_machine_versions(stateMachineArn=machine["stateMachineArn"])["stateMachineVersions"])
    alias = sfn.create_state_machine_alias(name="live", routingConfiguration=[
        {"stateMachineVersionArn": versions[0], "weight": 100}])["stateMachineAliasArn"]
    activity = sfn.create_activity(name="work", tags=[{"key": "k", "value": "v"}])["activityArn"]
    return {"machine": machine["stateMachineArn"], "versions": versions, "alias": alias, "activity": activity}


def check_sfn(url, seeded):
    sfn = sfn_of(url)
    machines = sfn.list_state_machines()["stateMachines"]
    assert [m["name"] for m in machines] == ["flow"]
    described = sfn.describe_state_machine(stateMachineArn=seeded["machine"])
    assert json.loads(described["definition"]) == json.loads(PASS2)
    assert sfn.list_tags_for_resource(resourceArn=seeded["machine"])["tags"] == [{"key": "team", "value": "ops"}]
    versions = sorted(v["stateMachineVersionArn"] for v in
                      sfn.list_state_machine_versions(stateMachineArn=seeded["machine"])["stateMachineVersions"])
    assert versions == seeded["versions"]
    first = sfn.describe_state_machine(stateMachineArn=seeded["versions"][0])
    assert json.loads(first["definition"]) == json.loads(PASS)
    assert first["description"] == "first"
    alias = sfn.describe_state_machine_alias(stateMachineAliasArn=seeded["alias"])
    assert alias["routingConfiguration"][0]["stateMachineVersionArn"] == seeded["versions"][0]
    assert sfn.describe_activity(activityArn=seeded["activity"])["name"] == "work"
    # The alias still runs the version it routes to.
    run = sfn.start_execution(stateMachineArn=seeded["alias"], input="{}")
    deadline = time.monotonic() + 10
    while True:
        done = sfn.describe_execution(executionArn=run["executionArn"])
        if done["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"v": 1})
    # Version numbers are not reused after a restart or a load.
    changed = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    again = sfn.update_state_machine(stateMachineArn=seeded["machine"], definition=changed, publish=True)
    assert again["stateMachineVersionArn"].endswith(":3")


def test_state_export_reset_import_brings_state_machines_back(stepyard):
    seeded = seed_sfn(stepyard.url)
    document = state_of(stepyard)
    stepyard.reset()
    assert sfn_of(stepyard.url).list_state_machines()["stateMachines"] == []
    assert load_state(stepyard, document)[0] == 200
    check_sfn(stepyard.url, seeded)


def test_data_dir_brings_back_state_machines_after_kill_9(stepyard, tmp_path):
    data = tmp_path / "data"
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        seeded = seed_sfn(server.url)
    finally:
        kill9(server)
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        check_sfn(server.url, seeded)
        sfn_of(server.url).delete_activity(activityArn=seeded["activity"])
    finally:
        kill9(server)
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        assert sfn_of(server.url).list_activities()["activities"] == []
    finally:
        kill9(server)


def test_a_data_dir_in_use_by_another_stepyard_is_refused(stepyard, tmp_path):
    data = tmp_path / "data"
    server = _start({"STEPYARD_DATA_DIR": str(data)})
    try:
        code, output = start_fails({"STEPYARD_DATA_DIR": str(data)})
        assert code != 0
        assert "in use by another process" in output
    finally:
        kill9(server)


FROZEN = {"STEPYARD_CLOCK": "frozen", "STEPYARD_CLOCK_START": "2030-01-01T00:00:00Z"}
WAIT = json.dumps({"StartAt": "Before", "States": {
    "Before": {"Type": "Pass", "Result": {"step": 1}, "Next": "Hold"},
    "Hold": {"Type": "Wait", "Seconds": 30, "Next": "After"},
    "After": {"Type": "Pass", "Result": {"done": True}, "End": True}}})


def advance_clock(server, seconds):
    status, _, body = server.http("POST", "/_stepyard/clock/advance", json.dumps({"seconds": seconds}).encode(),
                                  {"content-type": "application/json"})
    assert status == 200, body


def finished(sfn, arn, seconds=10):
    deadline = time.monotonic() + seconds
    while True:
        done = sfn.describe_execution(executionArn=arn)
        if done["status"] != "RUNNING" or time.monotonic() > deadline:
            return done
        time.sleep(0.05)


def history_of(sfn, arn):
    return sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]


def wait_for_event(sfn, arn, event_type, seconds=10):
    deadline = time.monotonic() + seconds
    while not any(e["type"] == event_type for e in history_of(sfn, arn)):
        assert time.monotonic() < deadline, history_of(sfn, arn)
        time.sleep(0.05)


def test_data_dir_a_waiting_execution_resumes_after_kill_9_and_ends_at_its_deadline(stepyard, tmp_path):
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), **FROZEN}
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        machine = sfn.create_state_machine(name="waits", definition=WAIT, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="run", input='{"a": 1}')["executionArn"]
        wait_for_event(sfn, arn, "WaitStateEntered")
        advance_clock(server, 10)
        before = history_of(sfn, arn)
    finally:
        kill9(server)
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        assert history_of(sfn, arn) == before
        # The restarted clock is back at the start: 29 s more is still before the deadline.
        advance_clock(server, 29)
        time.sleep(0.3)
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        advance_clock(server, 2)
        done = finished(sfn, arn)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"done": True})
        events = history_of(sfn, arn)
        assert events[:len(before)] == before
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        assert [e["type"] for e in events] == [
            "ExecutionStarted", "PassStateEntered", "PassStateExited", "WaitStateEntered",
            "WaitStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
        assert events[4]["previousEventId"] == events[3]["id"]
        described = sfn.describe_execution(executionArn=arn)
        described.pop("ResponseMetadata")
    finally:
        kill9(server)
    # A finished execution reads the same after another restart.
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        again = sfn.describe_execution(executionArn=arn)
        again.pop("ResponseMetadata")
        assert again == described
        assert history_of(sfn, arn) == events
        listed = sfn.list_executions(stateMachineArn=machine)["executions"]
        assert [e["executionArn"] for e in listed] == [arn]
    finally:
        kill9(server)


def test_data_dir_a_task_token_still_works_and_its_message_is_not_sent_again_after_kill_9(stepyard, tmp_path):
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data")}
    server = _start(env)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        queue = sqs.create_queue(QueueName="tokens")["QueueUrl"]
        definition = json.dumps({"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": True}}})
        machine = sfn.create_state_machine(name="asks", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="ask")["executionArn"]
        message = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"][0]
        token = json.loads(message["Body"])["token"]
        wait_for_event(sfn, arn, "TaskSubmitted")
    finally:
        kill9(server)
    server = _start(env)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        # The resumed task registers its token again; its message went out before the kill
        # (TaskSubmitted) and is not sent a second time.
        deadline = time.monotonic() + 10
        while True:
            try:
                sfn.send_task_success(taskToken=token, output='{"answer": 42}')
                break
            except sfn.exceptions.TaskTimedOut:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        done = finished(sfn, arn)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"answer": 42})
        events = history_of(sfn, arn)
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        assert [e["type"] for e in events] == [
            "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
            "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        # The one message sent before the kill, still in flight with the client that took it.
        assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
    finally:
        kill9(server)


def test_data_dir_an_activity_task_can_be_fetched_again_after_kill_9(stepyard, tmp_path):
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data")}
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        activity = sfn.create_activity(name="worker")["activityArn"]
        definition = json.dumps({"StartAt": "Do", "States": {"Do": {
            "Type": "Task", "Resource": activity, "End": True}}})
        machine = sfn.create_state_machine(name="acts", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="act", input='{"job": 7}')["executionArn"]
        task = sfn.get_activity_task(activityArn=activity, workerName="w1")
        assert json.loads(task["input"]) == {"job": 7}
    finally:
        kill9(server)
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        again = sfn.get_activity_task(activityArn=activity, workerName="w2")
        assert again["taskToken"] == task["taskToken"]
        assert json.loads(again["input"]) == {"job": 7}
        sfn.send_task_success(taskToken=again["taskToken"], output='{"ok": true}')
        done = finished(sfn, arn)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"ok": True})
    finally:
        kill9(server)


def test_state_export_reset_import_brings_executions_back_and_a_waiting_one_resumes(stepyard):
    server = _start(FROZEN)
    try:
        sfn = sfn_of(server.url)
        passes = sfn.create_state_machine(name="passes", definition=PASS, roleArn=ROLE)["stateMachineArn"]
        waits = sfn.create_state_machine(name="waits", definition=WAIT, roleArn=ROLE)["stateMachineArn"]
        done_arn = sfn.start_execution(stateMachineArn=passes, name="done", input='{"x": 1}')["executionArn"]
        assert finished(sfn, done_arn)["status"] == "SUCCEEDED"
        waiting = sfn.start_execution(stateMachineArn=waits, name="run", input='{"a": 1}')["executionArn"]
        wait_for_event(sfn, waiting, "WaitStateEntered")
        described = sfn.describe_execution(executionArn=done_arn)
        described.pop("ResponseMetadata")
        done_history = history_of(sfn, done_arn)
        before = history_of(sfn, waiting)
        document = state_of(server)
        assert {e["execution"]["arn"] for e in document["stepfunctions"]["executions"]} == {done_arn, waiting}
        server.reset()
        assert sfn.list_state_machines()["stateMachines"] == []
        assert load_state(server, document)[0] == 200
        again = sfn.describe_execution(executionArn=done_arn)
        again.pop("ResponseMetadata")
        assert again == described
        assert history_of(sfn, done_arn) == done_history
        assert sfn.describe_execution(executionArn=waiting)["status"] == "RUNNING"
        assert history_of(sfn, waiting) == before
        advance_clock(server, 31)
        done = finished(sfn, waiting)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"done": True})
        events = history_of(sfn, waiting)
        assert events[:len(before)] == before
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    finally:
        kill9(server)


def test_executions_loaded_from_a_document_are_written_to_the_data_dir(stepyard, tmp_path):
    sfn = sfn_of(stepyard.url)
    machine = sfn.create_state_machine(name="loaded", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, name="once", input="{}")["executionArn"]
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    document = state_of(stepyard)
    history = history_of(sfn, arn)
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data")}
    server = _start(env)
    try:
        assert load_state(server, document)[0] == 200
    finally:
        kill9(server)
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
        assert history_of(sfn, arn) == history
    finally:
        kill9(server)


def run_across_kill_9(tmp_path, definition, advance_before=10, advance_after=31, restart_env=None,
                      input_text="{}"):
    """Starts `definition` on a frozen clock with a data dir, advances `advance_before` s, kills
    the server with SIGKILL, restarts it (with `restart_env` on top; the frozen clock starts
    again at STEPYARD_CLOCK_START), advances `advance_after` s, and returns (the history before the kill, the execution at its end, its history)."""
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), **FROZEN}
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        machine = sfn.create_state_machine(name="resumes", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="run", input=input_text)["executionArn"]
        wait_for_event(sfn, arn, "WaitStateEntered")
        advance_clock(server, advance_before)
        time.sleep(0.3)
        before = history_of(sfn, arn)
    finally:
        kill9(server)
    server = _start({**env, **(restart_env or {})})
    try:
        sfn = sfn_of(server.url)
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        advance_clock(server, advance_after)
        done = finished(sfn, arn)
        events = history_of(sfn, arn)
    finally:
        kill9(server)
    assert events[:len(before)] == before
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    return before, done, events


def test_data_dir_a_resumed_execution_keeps_its_jsonpath_assign_variables(stepyard, tmp_path):
    definition = json.dumps({"StartAt": "Remember", "States": {
        "Remember": {"Type": "Pass", "Assign": {"greeting": "hi", "n.$": "$.n"}, "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 30, "Next": "Use"},
        "Use": {"Type": "Pass", "Parameters": {"g.$": "$greeting", "n.$": "$n"}, "End": True}}})
    _, done, _ = run_across_kill_9(tmp_path, definition, input_text='{"n": 7}')
    assert done["status"] == "SUCCEEDED", done
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"g": "hi", "n": 7})


def test_data_dir_a_resumed_execution_keeps_its_jsonata_assign_variables(stepyard, tmp_path):
    definition = json.dumps({"QueryLanguage": "JSONata", "StartAt": "Remember", "States": {
        "Remember": {"Type": "Pass", "Assign": {"total": "{% $states.input.n * 2 %}"}, "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 30, "Next": "Use"},
        "Use": {"Type": "Pass", "Output": {"total": "{% $total %}"}, "End": True}}})
    _, done, _ = run_across_kill_9(tmp_path, definition, input_text='{"n": 21}')
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"total": 42})


def test_data_dir_a_resumed_execution_times_out_counting_from_its_original_start(stepyard, tmp_path):
    definition = json.dumps({"TimeoutSeconds": 60, "StartAt": "Hold", "States": {
        "Hold": {"Type": "Wait", "Seconds": 100, "End": True}}})
    # Killed 40 s in; the server comes back 40 s after the start, and 21 s later the execution
    # is 61 s old: past its TimeoutSeconds (counted from the restart it would have 39 s left).
    _, done, events = run_across_kill_9(
        tmp_path, definition, advance_before=40, advance_after=21,
        restart_env={"STEPYARD_CLOCK_START": "2030-01-01T00:00:40Z"})
    assert done["status"] == "TIMED_OUT"
    assert events[-1]["type"] == "ExecutionTimedOut"


def test_data_dir_a_map_keeps_finished_iterations_and_resumes_the_waiting_one_after_kill_9(stepyard, tmp_path):
    definition = json.dumps({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "Hold", "States": {
            "Hold": {"Type": "Wait", "SecondsPath": "$.w", "Next": "Done"},
            "Done": {"Type": "Pass", "Parameters": {"i.$": "$.i"}, "End": True}}}}}})
    items = {"items": [{"i": 0, "w": 0}, {"i": 1, "w": 30}, {"i": 2, "w": 0}]}
    before, done, events = run_across_kill_9(tmp_path, definition, input_text=json.dumps(items))
    assert sum(e["type"] == "MapIterationSucceeded" for e in before) == 2
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", [{"i": 0}, {"i": 1}, {"i": 2}])
    # Every iteration started, waited and ended once: the finished ones were not run again.
    types = [e["type"] for e in events]
    assert types.count("MapIterationStarted") == 3
    assert types.count("MapIterationSucceeded") == 3
    assert types.count("WaitStateEntered") == 3 and types.count("WaitStateExited") == 3
    assert types.count("MapStateStarted") == 1 and types.count("MapStateEntered") == 1
    waited = [e for e in events if e["type"] == "WaitStateExited"]
    # The waiting iteration ended at its original deadline (entered at 0 s, 30 s wait).
    assert max(e["timestamp"] for e in waited).timestamp() - min(e["timestamp"] for e in events).timestamp() >= 30


def test_data_dir_a_parallel_keeps_its_finished_branch_and_resumes_the_waiting_one_after_kill_9(stepyard, tmp_path):
    definition = json.dumps({"StartAt": "Both", "States": {"Both": {
        "Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Quick", "States": {"Quick": {"Type": "Pass", "Result": "quick", "End": True}}},
            {"StartAt": "Hold", "States": {
                "Hold": {"Type": "Wait", "Seconds": 30, "Next": "Slow"},
                "Slow": {"Type": "Pass", "Result": "slow", "End": True}}}]}}})
    before, done, events = run_across_kill_9(tmp_path, definition)
    assert "PassStateExited" in [e["type"] for e in before]
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", ["quick", "slow"])
    types = [e["type"] for e in events]
    assert types.count("ParallelStateStarted") == 1
    assert types.count("PassStateEntered") == 2  # Quick once, Slow once
    assert types.count("WaitStateEntered") == 1


def test_state_document_carries_task_tokens_so_a_loaded_waiting_execution_keeps_its_token(stepyard):
    server = _start()
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        queue = sqs.create_queue(QueueName="tokens")["QueueUrl"]
        definition = json.dumps({"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": True}}})
        machine = sfn.create_state_machine(name="asks", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="ask")["executionArn"]
        message = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"][0]
        token = json.loads(message["Body"])["token"]
        wait_for_event(sfn, arn, "TaskSubmitted")
        document = state_of(server)
        [execution] = document["stepfunctions"]["executions"]
        assert [t for _, t in execution["tokens"]] == [token]
        server.reset()
        assert load_state(server, document)[0] == 200
        deadline = time.monotonic() + 10
        while True:
            try:
                sfn.send_task_success(taskToken=token, output='{"answer": 42}')
                break
            except sfn.exceptions.TaskTimedOut:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        done = finished(sfn, arn)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"answer": 42})
        # Its message had gone out before the export: loading the document did not send it again.
        assert [e["type"] for e in history_of(sfn, arn)].count("TaskScheduled") == 1
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0"
    finally:
        kill9(server)


def test_state_document_carries_activity_tokens_so_a_loaded_activity_task_keeps_its_token(stepyard):
    server = _start()
    try:
        sfn = sfn_of(server.url)
        activity = sfn.create_activity(name="worker")["activityArn"]
        definition = json.dumps({"StartAt": "Do", "States": {"Do": {
            "Type": "Task", "Resource": activity, "End": True}}})
        machine = sfn.create_state_machine(name="acts", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="act", input='{"job": 7}')["executionArn"]
        task = sfn.get_activity_task(activityArn=activity, workerName="w1")
        document = state_of(server)
        [execution] = document["stepfunctions"]["executions"]
        assert [t for _, t in execution["tokens"]] == [task["taskToken"]]
        server.reset()
        assert load_state(server, document)[0] == 200
        again = sfn.get_activity_task(activityArn=activity, workerName="w2")
        assert (again["taskToken"], json.loads(again["input"])) == (task["taskToken"], {"job": 7})
        sfn.send_task_success(taskToken=task["taskToken"], output='{"ok": true}')
        done = finished(sfn, arn)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"ok": True})
        assert [e["type"] for e in history_of(sfn, arn)].count("ActivityScheduled") == 1
    finally:
        kill9(server)


def test_state_document_carries_move_tasks_and_a_loaded_running_one_goes_on_moving(stepyard):
    server = _start(FROZEN)
    try:
        sqs = sqs_client(server.url)
        dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.create_queue(QueueName="work", Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})
        back = sqs.create_queue(QueueName="back")["QueueUrl"]
        back_arn = sqs.get_queue_attributes(QueueUrl=back, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for i in range(4):
            sqs.send_message(QueueUrl=dlq, MessageBody=f"m{i}")
        # One message a second on the frozen clock: the first at once.
        handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=back_arn,
                                             MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
        deadline = time.monotonic() + 5
        while sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["ApproximateNumberOfMessagesMoved"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        document = state_of(server)
        [task] = document["sqs"]["move_tasks"]
        assert (task["handle"], task["status"], task["moved"], task["to_move"]) == (handle, "RUNNING", 1, 4)
        server.reset()
        assert sqs.list_queues().get("QueueUrls") is None
        assert load_state(server, document)[0] == 200
        [listed] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        assert (listed["Status"], listed["TaskHandle"]) == ("RUNNING", handle)
        advance_clock(server, 10)
        deadline = time.monotonic() + 5
        while (listed := sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0])["Status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert (listed["Status"], listed["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 4)
        moved = []
        while got := sqs.receive_message(QueueUrl=back, MaxNumberOfMessages=10).get("Messages", []):
            moved += [m["Body"] for m in got]
        assert sorted(moved) == ["m0", "m1", "m2", "m3"]
    finally:
        kill9(server)


def test_data_dir_archived_events_are_rows_of_their_own_and_the_bound_holds_after_kill_9(stepyard, tmp_path):
    """Each archived event is written as it arrives (EventBridge's record is not rewritten with
    every event), events dropped for --max-archive-events go from disk too, and a deleted
    archive's events go with it."""
    import sqlite3
    from datetime import datetime, timezone
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), "STEPYARD_MAX_ARCHIVE_EVENTS": "20", **FROZEN}
    server = _start(env)
    try:
        ev = events_client(server.url)
        bus = ev.describe_event_bus(Name="default")["Arn"]
        archive = ev.create_archive(ArchiveName="kept", EventSourceArn=bus)["ArchiveArn"]
        ev.create_archive(ArchiveName="gone", EventSourceArn=bus)
        for batch in range(3):
            ev.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": json.dumps({"n": batch * 10 + i})}
                                   for i in range(10)])
        ev.delete_archive(ArchiveName="gone")
    finally:
        kill9(server)
    db = sqlite3.connect(tmp_path / "data" / "stepyard.db")
    record = b"".join(v for [v] in db.execute("SELECT value FROM resources WHERE key LIKE 'events/cfg/%'"))
    rows = db.execute("SELECT parent, count(*) FROM items WHERE parent LIKE 'events/archive/%' "
                      "GROUP BY parent").fetchall()
    db.close()
    assert b'"n\\":' not in record and b'"n":' not in record, "events are not in the record"
    assert [count for _, count in rows] == [20], rows
    server = _start(env)
    try:
        ev, sqs = events_client(server.url), sqs_client(server.url)
        assert ev.describe_archive(ArchiveName="kept")["EventCount"] == 20
        queue = sqs.create_queue(QueueName="replayed")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        ev.put_rule(Name="replays", EventPattern=json.dumps({"source": ["shop"]}))
        ev.put_targets(Rule="replays", Targets=[{"Id": "q", "Arn": queue_arn}])
        ev.start_replay(ReplayName="all", EventSourceArn=archive, Destination={"Arn": bus},
                        EventStartTime=datetime(2029, 12, 31, tzinfo=timezone.utc),
                        EventEndTime=datetime(2030, 1, 2, tzinfo=timezone.utc))
        advance_clock(server, 2)
        seen = []
        deadline = time.monotonic() + 10
        while len(seen) < 20:
            assert time.monotonic() < deadline, sorted(seen)
            for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         VisibilityTimeout=60).get("Messages", []):
                seen.append(json.loads(m["Body"])["detail"]["n"])
        # The 20 newest: the oldest 10 were dropped for the bound.
        assert sorted(seen) == list(range(10, 30))
    finally:
        kill9(server)


def test_a_data_dir_whose_archived_event_has_the_last_possible_id_is_refused_with_a_message_not_a_panic(
        stepyard, tmp_path):
    """An archive's next row id is its last row's id plus one: a crafted database whose row has
    the highest id (-1 to SQLite) stops the start with a message naming the archive."""
    import sqlite3
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), **FROZEN}
    server = _start(env)
    try:
        ev = events_client(server.url)
        bus = ev.describe_event_bus(Name="default")["Arn"]
        ev.create_archive(ArchiveName="crafted", EventSourceArn=bus)
        ev.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": "{}"}])
    finally:
        kill9(server)
    db = sqlite3.connect(tmp_path / "data" / "stepyard.db")
    changed = db.execute("UPDATE items SET id = -1 WHERE parent LIKE 'events/archive/%'").rowcount
    db.commit()
    db.close()
    assert changed == 1
    code, output = start_fails(env)
    assert code != 0
    assert "archive crafted: event id 18446744073709551615 is out of range" in output, output
    assert "panicked" not in output, output


def test_data_dir_a_message_a_receive_moved_to_its_dead_letter_queue_is_there_after_kill_9(stepyard, tmp_path):
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data")}
    server = _start(env)
    try:
        sqs = sqs_client(server.url)
        dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        source = sqs.create_queue(QueueName="work", Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})["QueueUrl"]
        sent = sqs.send_message(QueueUrl=source, MessageBody="poison")["MessageId"]
        assert len(sqs.receive_message(QueueUrl=source)["Messages"]) == 1
        # The second receive moves it (receive count 1 = maxReceiveCount) and answers after
        # the move is committed.
        assert sqs.receive_message(QueueUrl=source).get("Messages", []) == []
    finally:
        kill9(server)
    server = _start(env)
    try:
        sqs = sqs_client(server.url)
        assert sqs.receive_message(QueueUrl=source).get("Messages", []) == []
        [moved] = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
        assert (moved["MessageId"], moved["Body"]) == (sent, "poison")
    finally:
        kill9(server)


def test_data_dir_a_schedule_that_came_due_while_down_fires_once_at_start(stepyard, tmp_path):
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), **FROZEN}
    server = _start(env)
    try:
        ev, sqs = events_client(server.url), sqs_client(server.url)
        queue = sqs.create_queue(QueueName="ticks")["QueueUrl"]
        ev.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")
        ev.put_targets(Rule="every-minute", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:ticks"}])
        advance_clock(server, 61)  # one firing; the next is planned at 2 minutes
        got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, MaxNumberOfMessages=10)["Messages"]
        assert len(got) == 1
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=got[0]["ReceiptHandle"])
    finally:
        kill9(server)
    # Down for ten minutes: eight firings were missed; one is fired at start.
    server = _start({**env, "STEPYARD_CLOCK_START": "2030-01-01T00:10:00Z"})
    try:
        sqs = sqs_client(server.url)
        got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, MaxNumberOfMessages=10)["Messages"]
        assert len(got) == 1
        assert json.loads(got[0]["Body"])["detail-type"] == "Scheduled Event"
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=got[0]["ReceiptHandle"])
        assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []) == []
        # Then it goes on a minute at a time from the start.
        advance_clock(server, 60)
        assert len(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, MaxNumberOfMessages=10)["Messages"]) == 1
    finally:
        kill9(server)


def test_data_dir_an_archived_event_is_kept_once_put_events_answered_after_kill_9(stepyard, tmp_path):
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data")}
    server = _start(env)
    try:
        ev = events_client(server.url)
        bus = ev.describe_event_bus(Name="default")["Arn"]
        ev.create_archive(ArchiveName="everything", EventSourceArn=bus)
        ev.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": "{}"}])
    finally:
        kill9(server)  # at once: no other EventBridge write after the PutEvents
    server = _start(env)
    try:
        assert events_client(server.url).describe_archive(ArchiveName="everything")["EventCount"] == 1
    finally:
        kill9(server)


def test_data_dir_a_message_move_task_survives_kill_9_and_goes_on_moving(stepyard, tmp_path):
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), **FROZEN}
    server = _start(env)
    try:
        sqs = sqs_client(server.url)
        dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.create_queue(QueueName="work", Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})
        back = sqs.create_queue(QueueName="back")["QueueUrl"]
        back_arn = sqs.get_queue_attributes(QueueUrl=back, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bodies = {f"m{i}" for i in range(5)}
        for body in sorted(bodies):
            sqs.send_message(QueueUrl=dlq, MessageBody=body)
        # One message a second on the frozen clock: one now, one more per second advanced.
        handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=back_arn,
                                             MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
        advance_clock(server, 1)
        deadline = time.monotonic() + 5
        while sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["ApproximateNumberOfMessagesMoved"] < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        kill9(server)
    server = _start(env)
    try:
        sqs = sqs_client(server.url)
        [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        assert (task["Status"], task["TaskHandle"], task["ApproximateNumberOfMessagesToMove"]) == ("RUNNING", handle, 5)
        # It goes on from the 2 it had moved (and moves its next one at once).
        assert task["ApproximateNumberOfMessagesMoved"] in (2, 3)
        advance_clock(server, 10)
        deadline = time.monotonic() + 5
        while sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["Status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 5)
        moved = []
        while True:
            got = sqs.receive_message(QueueUrl=back, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                break
            moved += [m["Body"] for m in got]
        # Every message once: none lost, none moved twice.
        assert sorted(moved) == sorted(bodies)
        assert sqs.receive_message(QueueUrl=dlq).get("Messages", []) == []
    finally:
        kill9(server)


def test_data_dir_replays_survive_kill_9_a_finished_one_as_it_ended_a_running_one_goes_on(stepyard, tmp_path):
    from datetime import datetime, timezone
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), **FROZEN}
    window = {"EventStartTime": datetime(2029, 12, 31, tzinfo=timezone.utc),
              "EventEndTime": datetime(2030, 1, 2, tzinfo=timezone.utc)}
    server = _start(env)
    try:
        ev = events_client(server.url)
        bus = ev.describe_event_bus(Name="default")["Arn"]
        archive = ev.create_archive(ArchiveName="everything", EventSourceArn=bus)["ArchiveArn"]
        ev.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": "{}"}])
        ev.start_replay(ReplayName="done", EventSourceArn=archive, Destination={"Arn": bus}, **window)
        advance_clock(server, 2)  # past its STARTING second: it sends its event and completes
        deadline = time.monotonic() + 5
        while ev.describe_replay(ReplayName="done")["State"] != "COMPLETED":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        ev.start_replay(ReplayName="cut", EventSourceArn=archive, Destination={"Arn": bus}, **window)
        assert ev.describe_replay(ReplayName="cut")["State"] == "STARTING"
    finally:
        kill9(server)
    server = _start(env)
    try:
        ev = events_client(server.url)
        assert ev.describe_replay(ReplayName="done")["State"] == "COMPLETED"
        assert ev.describe_replay(ReplayName="cut")["State"] == "STARTING"
        assert sorted(r["ReplayName"] for r in ev.list_replays()["Replays"]) == ["cut", "done"]
        advance_clock(server, 2)
        deadline = time.monotonic() + 5
        while (cut := ev.describe_replay(ReplayName="cut"))["State"] != "COMPLETED":
            assert time.monotonic() < deadline, cut
            time.sleep(0.05)
        assert "EventLastReplayedTime" in cut
    finally:
        kill9(server)


def test_a_replay_loaded_running_goes_on_after_the_last_event_it_had_sent(stepyard):
    """A replay that was running when the state was saved sends only the archived events after
    the last one it had sent, then completes (the data directory resumes it the same way)."""
    from datetime import datetime, timezone
    server = _start(FROZEN)
    try:
        ev, sqs = events_client(server.url), sqs_client(server.url)
        queue = sqs.create_queue(QueueName="replayed")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = ev.describe_event_bus(Name="default")["Arn"]
        archive = ev.create_archive(ArchiveName="everything", EventSourceArn=bus)["ArchiveArn"]
        ev.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": json.dumps({"n": n})}
                               for n in range(5)])
        # Archived before the rule exists: only replays reach the queue.
        ev.put_rule(Name="replays", EventPattern=json.dumps({"source": ["shop"]}))
        ev.put_targets(Rule="replays", Targets=[{"Id": "q", "Arn": queue_arn}])
        ev.start_replay(ReplayName="half", EventSourceArn=archive, Destination={"Arn": bus},
                        EventStartTime=datetime(2029, 12, 31, tzinfo=timezone.utc),
                        EventEndTime=datetime(2030, 1, 2, tzinfo=timezone.utc))
        document = state_of(server)
        [region] = [r for r in document["events"]["regions"] if r["replays"]]
        [replay] = region["replays"]
        [archived_ms] = {at for at, _ in next(a for a in region["archives"])["events"]}
        # As if it had sent two of the five events (all archived in the same millisecond).
        replay.update(state="RUNNING", sent=[archived_ms, 2])
        server.reset()
        assert load_state(server, document)[0] == 200
        deadline = time.monotonic() + 5
        while (got := ev.describe_replay(ReplayName="half"))["State"] != "COMPLETED":
            assert time.monotonic() < deadline, got
            time.sleep(0.05)
        bodies = []
        deadline = time.monotonic() + 5
        while len(bodies) < 3:
            assert time.monotonic() < deadline, bodies
            for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         VisibilityTimeout=60).get("Messages", []):
                bodies.append(json.loads(m["Body"]))
        time.sleep(0.3)
        assert sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []) == []
        assert sorted(b["detail"]["n"] for b in bodies) == [2, 3, 4]
        assert all(b["replay-name"] == "half" for b in bodies)
    finally:
        kill9(server)


class Endpoint:
    """A local HTTP endpoint for SNS: records every POST and answers `status` to notifications."""

    def __init__(self):
        import http.server
        import threading
        self.posts, self.status = [], 500
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                kind = self.headers.get("x-amz-sns-message-type")
                outer.posts.append((kind, self.headers.get("x-amz-sns-message-id"), body))
                self.send_response(outer.status if kind == "Notification" else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, kind):
        return [p for p in self.posts if p[0] == kind]

    def wait_for(self, kind, count, seconds=5):
        deadline = time.monotonic() + seconds
        while len(self.of(kind)) < count:
            assert time.monotonic() < deadline, self.posts
            time.sleep(0.05)


def test_data_dir_a_pending_sns_http_retry_continues_on_schedule_after_kill_9(stepyard, tmp_path):
    endpoint = Endpoint()
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), **FROZEN}
    server = _start(env)
    try:
        sns = sns_client(server.url)
        topic = sns.create_topic(Name="hooks")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
        endpoint.wait_for("SubscriptionConfirmation", 1)
        token = json.loads(endpoint.of("SubscriptionConfirmation")[0][2])["Token"]
        sns.confirm_subscription(TopicArn=topic, Token=token)
        message_id = sns.publish(TopicArn=topic, Message="hello")["MessageId"]
        endpoint.wait_for("Notification", 1)  # refused: the first retry is due 20 s later
        time.sleep(0.5)  # the kept retry is written after the refused attempt, unacknowledged
    finally:
        kill9(server)
    endpoint.status = 200
    server = _start(env)
    try:
        # The restarted clock is back at the start: the retry is not due yet.
        time.sleep(0.5)
        assert len(endpoint.of("Notification")) == 1
        advance_clock(server, 21)
        endpoint.wait_for("Notification", 2)
        _, retried_id, body = endpoint.of("Notification")[1]
        assert retried_id == message_id
        assert json.loads(body)["Message"] == "hello"
        # Delivered: nothing more is sent (the kept retry is gone).
        advance_clock(server, 100)
        time.sleep(0.5)
        assert len(endpoint.of("Notification")) == 2
    finally:
        kill9(server)
    server = _start(env)
    try:
        advance_clock(server, 100)
        time.sleep(0.5)
        assert len(endpoint.of("Notification")) == 2
    finally:
        kill9(server)
        endpoint.server.shutdown()


def test_state_document_carries_pending_sns_http_retries_and_a_loaded_one_continues_on_schedule(stepyard):
    endpoint = Endpoint()
    server = _start(FROZEN)
    try:
        sns = sns_client(server.url)
        topic = sns.create_topic(Name="hooks")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
        endpoint.wait_for("SubscriptionConfirmation", 1)
        token = json.loads(endpoint.of("SubscriptionConfirmation")[0][2])["Token"]
        sns.confirm_subscription(TopicArn=topic, Token=token)
        message_id = sns.publish(TopicArn=topic, Message="hello")["MessageId"]
        endpoint.wait_for("Notification", 1)  # refused: the first retry is due 20 s later
        deadline = time.monotonic() + 5
        while not (document := state_of(server))["sns"].get("retries"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        [retry] = document["sns"]["retries"]
        assert (retry["endpoint"], retry["attempts"]) == (endpoint.url, 1)
    finally:
        kill9(server)
    # Another server takes the document over.
    endpoint.status = 200
    server = _start(FROZEN)
    try:
        assert load_state(server, document)[0] == 200
        time.sleep(0.3)
        assert len(endpoint.of("Notification")) == 1
        advance_clock(server, 21)
        endpoint.wait_for("Notification", 2)
        _, retried_id, body = endpoint.of("Notification")[1]
        assert (retried_id, json.loads(body)["Message"]) == (message_id, "hello")
        # Delivered: no retry is pending any more.
        deadline = time.monotonic() + 5
        while state_of(server)["sns"].get("retries"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        advance_clock(server, 100)
        time.sleep(0.3)
        assert len(endpoint.of("Notification")) == 2
    finally:
        kill9(server)
        endpoint.server.shutdown()


def test_data_dir_task_tokens_inside_map_iterations_still_work_after_kill_9_and_are_not_sent_again(stepyard, tmp_path):
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data")}
    server = _start(env)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        queue = sqs.create_queue(QueueName="asks")["QueueUrl"]
        definition = json.dumps({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "End": True,
            "ItemProcessor": {"StartAt": "Ask", "States": {"Ask": {
                "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue,
                               "MessageBody": {"token.$": "$$.Task.Token", "i.$": "$.i"}},
                "End": True}}}}}})
        machine = sfn.create_state_machine(name="asks", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="ask",
                                  input=json.dumps({"items": [{"i": 0}, {"i": 1}]}))["executionArn"]
        tokens = {}
        deadline = time.monotonic() + 10
        while len(tokens) < 2:
            assert time.monotonic() < deadline
            for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=1).get("Messages", []):
                body = json.loads(m["Body"])
                tokens[body["i"]] = body["token"]
        deadline = time.monotonic() + 10
        while [e["type"] for e in history_of(sfn, arn)].count("TaskSubmitted") < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        kill9(server)
    server = _start(env)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        for i in (1, 0):
            deadline = time.monotonic() + 10
            while True:
                try:
                    sfn.send_task_success(taskToken=tokens[i], output=json.dumps({"answer": i}))
                    break
                except sfn.exceptions.TaskTimedOut:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
        done = finished(sfn, arn)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", [{"answer": 0}, {"answer": 1}])
        events = history_of(sfn, arn)
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        types = [e["type"] for e in events]
        assert (types.count("TaskScheduled"), types.count("MapIterationStarted")) == (2, 2)
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0"
    finally:
        kill9(server)


def test_data_dir_tokens_of_many_concurrent_map_iterations_all_still_work_after_kill_9(stepyard, tmp_path):
    """Concurrent iterations issue tokens at the same moment: each is kept under its own Task's
    event (the data directory once keyed them by the execution's last event id, and one
    iteration's token overwrote another's)."""
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data")}
    count = 12
    server = _start(env)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        queue = sqs.create_queue(QueueName="asks")["QueueUrl"]
        definition = json.dumps({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "End": True,
            "ItemProcessor": {"StartAt": "Ready", "States": {
                "Ready": {"Type": "Pass", "Next": "Ask"},
                "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                        "Parameters": {"QueueUrl": queue,
                                       "MessageBody": {"token.$": "$$.Task.Token", "i.$": "$.i"}},
                        "End": True}}}}}})
        machine = sfn.create_state_machine(name="asks", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="ask",
                                  input=json.dumps({"items": [{"i": i} for i in range(count)]}))["executionArn"]
        tokens = {}
        deadline = time.monotonic() + 15
        while len(tokens) < count:
            assert time.monotonic() < deadline
            for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=1).get("Messages", []):
                body = json.loads(m["Body"])
                tokens[body["i"]] = body["token"]
    finally:
        kill9(server)
    server = _start(env)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        for i in reversed(range(count)):
            deadline = time.monotonic() + 10
            while True:
                try:
                    sfn.send_task_success(taskToken=tokens[i], output=json.dumps(i))
                    break
                except sfn.exceptions.TaskTimedOut:
                    assert time.monotonic() < deadline, f"the token of iteration {i} is unknown"
                    time.sleep(0.05)
        done = finished(sfn, arn)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", list(range(count)))
        types = [e["type"] for e in history_of(sfn, arn)]
        assert types.count("TaskScheduled") == count
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0"
    finally:
        kill9(server)


def test_an_execution_loaded_after_its_call_succeeded_but_before_its_state_exited_does_not_call_again(stepyard):
    """The server stopped between a request-response Task's TaskSucceeded and its exit: the
    call (a message sent) is not made again, and the state goes on with the recorded result."""
    server = _start(FROZEN)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        queue = sqs.create_queue(QueueName="sent-once")["QueueUrl"]
        definition = json.dumps({"StartAt": "Send", "States": {
            "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                     "Parameters": {"QueueUrl": queue, "MessageBody": "once"},
                     "ResultSelector": {"id.$": "$.MessageId"}, "ResultPath": "$.sent", "Next": "Hold"},
            "Hold": {"Type": "Wait", "Seconds": 30, "End": True}}})
        machine = sfn.create_state_machine(name="sends", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="run", input="{}")["executionArn"]
        wait_for_event(sfn, arn, "WaitStateEntered")
        document = state_of(server)
        [execution] = document["stepfunctions"]["executions"]
        cut = next(i for i, e in enumerate(execution["history"]) if e["type"] == "TaskSucceeded")
        execution["history"] = execution["history"][:cut + 1]
        # The message the call sent is in the document (one of it).
        assert len([m for q in document["sqs"]["queues"] for m in q.get("messages", [])]) == 1
        server.reset()
        assert load_state(server, document)[0] == 200
        wait_for_event(sfn, arn, "WaitStateEntered")
        advance_clock(server, 31)
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED"
        message_id = json.loads(done["output"])["sent"]["id"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "1"
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        assert [(m["MessageId"], m["Body"]) for m in got] == [(message_id, "once")]
        types = [e["type"] for e in history_of(sfn, arn)]
        assert (types.count("TaskScheduled"), types.count("TaskSucceeded")) == (1, 1)
        assert types[-1] == "ExecutionSucceeded"
    finally:
        kill9(server)


def test_data_dir_a_distributed_map_resumes_its_map_run_without_running_any_item_again_after_kill_9(
        stepyard, tmp_path):
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), **FROZEN}
    server = _start(env)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        queue = sqs.create_queue(QueueName="ran")["QueueUrl"]
        # Every item says it ran; items 0-2 end at once (item 2 failing, tolerated), 3-5 wait.
        definition = json.dumps({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "End": True, "ToleratedFailureCount": 1,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Say", "States": {
                    "Say": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                            "Parameters": {"QueueUrl": queue, "MessageBody.$": "States.Format('{}', $.i)"},
                            "ResultPath": None, "Next": "Which"},
                    "Which": {"Type": "Choice", "Choices": [
                        {"Variable": "$.i", "NumericEquals": 2, "Next": "Break"},
                        {"Variable": "$.i", "NumericLessThan": 2, "Next": "Done"}],
                        "Default": "Hold"},
                    "Break": {"Type": "Fail", "Error": "Broken", "Cause": "item 2"},
                    "Hold": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
                    "Done": {"Type": "Pass", "End": True}}}}}})
        machine = sfn.create_state_machine(name="runs", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="run",
                                  input=json.dumps({"items": [{"i": i} for i in range(6)]}))["executionArn"]
        deadline = time.monotonic() + 10
        while True:
            runs = sfn.list_map_runs(executionArn=arn)["mapRuns"]
            counts = runs and sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])["itemCounts"]
            if counts and (counts["succeeded"], counts["failed"], counts["running"]) == (2, 1, 3):
                break
            assert time.monotonic() < deadline, counts
            time.sleep(0.05)
        [run] = runs
    finally:
        kill9(server)
    server = _start(env)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        assert [r["mapRunArn"] for r in sfn.list_map_runs(executionArn=arn)["mapRuns"]] == [run["mapRunArn"]]
        described = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
        assert described["status"] == "RUNNING"
        assert (described["itemCounts"]["succeeded"], described["itemCounts"]["failed"],
                described["itemCounts"]["total"]) == (2, 1, 6)
        # The waiting items resume inside their Wait (their histories are kept), its deadline
        # unchanged: no message is sent again.
        deadline = time.monotonic() + 10
        while sfn.describe_map_run(mapRunArn=run["mapRunArn"])["itemCounts"]["running"] < 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        advance_clock(server, 31)
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED", done
        output = json.loads(done["output"])
        assert [o.get("i") for o in output] == [0, 1, None, 3, 4, 5]
        assert output[2]["Error"] == "Broken"
        described = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
        assert described["status"] == "SUCCEEDED"
        assert (described["itemCounts"]["succeeded"], described["itemCounts"]["failed"],
                described["itemCounts"]["total"]) == (5, 1, 6)
        types = [e["type"] for e in history_of(sfn, arn)]
        assert (types.count("MapRunStarted"), types.count("MapStateStarted")) == (1, 1)
        said = []
        while True:
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60)
            if not got.get("Messages"):
                break
            said += [m["Body"] for m in got["Messages"]]
        # Items 0-2 had ended and items 3-5 resumed in their Wait: each sent its message once.
        assert sorted(said) == ["0", "1", "2", "3", "4", "5"]
    finally:
        kill9(server)


def receive_all(sqs, queue, want, seconds=15):
    """Every message until `want` are in (bodies parsed), or the time is up."""
    got = []
    deadline = time.monotonic() + seconds
    while len(got) < want and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     VisibilityTimeout=600).get("Messages", []):
            got.append(json.loads(m["Body"]))
    return got


def map_run_counts(sfn, arn):
    described = sfn.describe_map_run(mapRunArn=arn)
    counts = described["itemCounts"]
    return described["status"], (counts["pending"], counts["running"], counts["succeeded"],
                                  counts["failed"], counts["total"])


def test_data_dir_distributed_map_children_waiting_on_tokens_resume_after_kill_9_their_tokens_work_and_nothing_is_sent_twice(
        stepyard, tmp_path):
    """Each child execution of a Distributed Map sends an SQS message with its task token and
    waits. After kill -9 the children resume where they were (from their own histories): no
    message is sent again, every token still works, the map run counts them right, and the
    execution succeeds with every child's answer."""
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data")}
    count = 6
    server = _start(env)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        queue = sqs.create_queue(QueueName="asks")["QueueUrl"]
        definition = json.dumps({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "End": True, "Label": "asks",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Ready", "States": {
                    "Ready": {"Type": "Pass", "Parameters": {"i.$": "$.i", "ready": True}, "Next": "Ask"},
                    "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                            "Parameters": {"QueueUrl": queue,
                                           "MessageBody": {"token.$": "$$.Task.Token", "i.$": "$.i"}},
                            "ResultPath": "$.answer", "Next": "Done"},
                    "Done": {"Type": "Pass", "End": True}}}}}})
        machine = sfn.create_state_machine(name="asks", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="ask",
                                  input=json.dumps({"items": [{"i": i} for i in range(count)]}))["executionArn"]
        sent = receive_all(sqs, queue, count)
        assert sorted(b["i"] for b in sent) == list(range(count))
        tokens = {b["i"]: b["token"] for b in sent}
        # One answered before the crash: its item has ended and is kept so.
        sfn.send_task_success(taskToken=tokens[0], output=json.dumps("early"))
        [run] = sfn.list_map_runs(executionArn=arn)["mapRuns"]
        deadline = time.monotonic() + 10
        while map_run_counts(sfn, run["mapRunArn"])[1][2] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert map_run_counts(sfn, run["mapRunArn"]) == ("RUNNING", (0, count - 1, 1, 0, count))
    finally:
        kill9(server)
    server = _start(env)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        deadline = time.monotonic() + 10
        while map_run_counts(sfn, run["mapRunArn"]) != ("RUNNING", (0, count - 1, 1, 0, count)):
            assert time.monotonic() < deadline, map_run_counts(sfn, run["mapRunArn"])
            time.sleep(0.05)
        # Every waiting child's token works, answered in reverse order.
        for i in reversed(range(1, count)):
            deadline = time.monotonic() + 10
            while True:
                try:
                    sfn.send_task_success(taskToken=tokens[i], output=json.dumps(f"answer {i}"))
                    break
                except sfn.exceptions.TaskTimedOut:
                    assert time.monotonic() < deadline, f"the token of child {i} is unknown"
                    time.sleep(0.05)
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"]) == [
            {"i": i, "ready": True, "answer": "early" if i == 0 else f"answer {i}"} for i in range(count)]
        assert map_run_counts(sfn, run["mapRunArn"]) == ("SUCCEEDED", (0, 0, count, 0, count))
        # Nothing was sent again: the queue holds no new message (the ones received before the
        # crash are still in flight for 600 s).
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert (attributes["ApproximateNumberOfMessages"],
                attributes["ApproximateNumberOfMessagesNotVisible"]) == ("0", str(count))
        types = [e["type"] for e in history_of(sfn, arn)]
        assert (types.count("MapRunStarted"), types.count("MapRunSucceeded")) == (1, 1)
    finally:
        kill9(server)
    # The children's histories went from disk with their items' ends.
    import sqlite3
    db = sqlite3.connect(str(tmp_path / "data" / "stepyard.db"))
    kept = db.execute("SELECT count(*) FROM items WHERE parent LIKE 'sfn/mapchild%'").fetchone()[0]
    ended = db.execute("SELECT count(*) FROM items WHERE parent LIKE 'sfn/mapitem/%'").fetchone()[0]
    db.close()
    assert (kept, ended) == (0, count)


def test_data_dir_a_distributed_map_child_in_a_wait_keeps_its_deadline_and_its_variables_after_kill_9(
        stepyard, tmp_path):
    """A child execution inside a Wait resumes inside it: it ends at its original deadline,
    with the variables it had assigned before. The frozen clock starts again at its start
    after the restart, 20 s before the time the children were started at: a child that
    started its Wait again would end 20 s early."""
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), **FROZEN}
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        definition = json.dumps({"QueryLanguage": "JSONata", "StartAt": "Each", "States": {"Each": {
            "Type": "Map", "Items": "{% $states.input.items %}", "End": True,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Note", "States": {
                    "Note": {"Type": "Pass", "Assign": {"seen": "{% $states.input * 10 %}"}, "Next": "Hold"},
                    "Hold": {"Type": "Wait", "Seconds": 30, "Next": "Say"},
                    "Say": {"Type": "Pass", "Output": "{% $seen %}", "End": True}}}}}})
        machine = sfn.create_state_machine(name="holds", definition=definition, roleArn=ROLE)["stateMachineArn"]
        advance_clock(server, 20)
        arn = sfn.start_execution(stateMachineArn=machine, name="hold",
                                  input=json.dumps({"items": [1, 2, 3]}))["executionArn"]
        deadline = time.monotonic() + 10
        while True:
            runs = sfn.list_map_runs(executionArn=arn)["mapRuns"]
            if runs and map_run_counts(sfn, runs[0]["mapRunArn"])[1][1] == 3:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # Let the children's Wait entries reach the disk (nobody was answered for them).
        time.sleep(0.5)
    finally:
        kill9(server)
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        # Past a Wait begun again at the restarted clock's start, before the original deadline.
        advance_clock(server, 31)
        time.sleep(0.5)
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        advance_clock(server, 20)
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"]) == [10, 20, 30]
    finally:
        kill9(server)

def distributed_say_then_hold(queue, count_ending=2):
    """A Distributed Map whose children each send their item's number, then end at once
    (items below `count_ending`) or wait 30 s."""
    return json.dumps({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Say", "States": {
                "Say": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                        "Parameters": {"QueueUrl": queue, "MessageBody.$": "States.Format('{}', $.i)"},
                        "ResultPath": None, "Next": "Which"},
                "Which": {"Type": "Choice", "Choices": [
                    {"Variable": "$.i", "NumericLessThan": count_ending, "Next": "Done"}],
                    "Default": "Hold"},
                "Hold": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
                "Done": {"Type": "Pass", "End": True}}}}}})


def start_map_and_wait_for(sfn, machine, items, succeeded, running):
    arn = sfn.start_execution(stateMachineArn=machine, name="run",
                              input=json.dumps({"items": [{"i": i} for i in range(items)]}))["executionArn"]
    deadline = time.monotonic() + 10
    while True:
        runs = sfn.list_map_runs(executionArn=arn)["mapRuns"]
        if runs and map_run_counts(sfn, runs[0]["mapRunArn"])[1][1:3] == (running, succeeded):
            return arn, runs[0]["mapRunArn"]
        assert time.monotonic() < deadline
        time.sleep(0.05)


def said_in(sqs, queue):
    said = []
    while True:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60)
        if not got.get("Messages"):
            return sorted(said)
        said += [m["Body"] for m in got["Messages"]]


def test_state_document_carries_map_runs_and_a_loaded_running_one_keeps_its_arn_and_its_ended_items(stepyard):
    """In memory: the document has the map run (record and ended items). Loaded, the Map keeps
    its map run (same ARN, one MapRunStarted), ended items do not run again, and its children
    that were running (in memory they keep no history) start again from their first state."""
    server = _start(FROZEN)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        queue = sqs.create_queue(QueueName="said")["QueueUrl"]
        machine = sfn.create_state_machine(name="runs", definition=distributed_say_then_hold(queue),
                                           roleArn=ROLE)["stateMachineArn"]
        arn, run = start_map_and_wait_for(sfn, machine, 4, succeeded=2, running=2)
        document = state_of(server)
        [exported] = document["stepfunctions"]["map_runs"]
        assert (exported["arn"], exported["execution_arn"], exported["status"]) == (run, arn, "RUNNING")
        assert (exported["succeeded"], exported["running"], exported["total"]) == (2, 2, 4)
        assert exported["items"] == [[0, {"succeeded": {"i": 0}}], [1, {"succeeded": {"i": 1}}]]
        server.reset()
        assert load_state(server, document)[0] == 200
        assert [r["mapRunArn"] for r in sfn.list_map_runs(executionArn=arn)["mapRuns"]] == [run]
        deadline = time.monotonic() + 10
        while map_run_counts(sfn, run) != ("RUNNING", (0, 2, 2, 0, 4)):
            assert time.monotonic() < deadline, map_run_counts(sfn, run)
            time.sleep(0.05)
        advance_clock(server, 31)
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"]) == [{"i": i} for i in range(4)]
        assert map_run_counts(sfn, run) == ("SUCCEEDED", (0, 0, 4, 0, 4))
        types = [e["type"] for e in history_of(sfn, arn)]
        assert (types.count("MapRunStarted"), types.count("MapRunSucceeded")) == (1, 1)
        # The document's messages, then the two running children's again.
        assert said_in(sqs, queue) == ["0", "1", "2", "2", "3", "3"]
        # A finished map run is in the next document as it ended, without items.
        [ended] = state_of(server)["stepfunctions"]["map_runs"]
        assert (ended["arn"], ended["status"], ended["succeeded"], "items" in ended) == (run, "SUCCEEDED", 4, False)
    finally:
        kill9(server)


def test_state_document_from_a_data_dir_carries_running_map_run_children_which_resume_where_they_were(
        stepyard, tmp_path):
    """With a data directory children keep histories: the document carries each running
    child's history, and loaded (here into a server in memory) they resume inside their Wait,
    so no child sends its message again."""
    server = _start({"STEPYARD_DATA_DIR": str(tmp_path / "data"), **FROZEN})
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        queue = sqs.create_queue(QueueName="said")["QueueUrl"]
        machine = sfn.create_state_machine(name="runs", definition=distributed_say_then_hold(queue),
                                           roleArn=ROLE)["stateMachineArn"]
        arn, run = start_map_and_wait_for(sfn, machine, 4, succeeded=2, running=2)
        time.sleep(0.3)
        document = state_of(server)
    finally:
        kill9(server)
    [exported] = document["stepfunctions"]["map_runs"]
    assert [c["index"] for c in exported["children"]] == [2, 3]
    for child in exported["children"]:
        types = [e["type"] for e in child["history"]]
        assert types[-1] == "WaitStateEntered" and types.count("TaskSucceeded") == 1, types
    server = _start(FROZEN)
    try:
        sqs, sfn = sqs_client(server.url), sfn_of(server.url)
        assert load_state(server, document)[0] == 200
        advance_clock(server, 31)
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"]) == [{"i": i} for i in range(4)]
        assert map_run_counts(sfn, run) == ("SUCCEEDED", (0, 0, 4, 0, 4))
        assert said_in(sqs, queue) == ["0", "1", "2", "3"]
    finally:
        kill9(server)


def activity_tasks_by_item(sfn, activity, count):
    """The tokens of `count` activity tasks fetched from `activity`, by their input's `i`."""
    tasks = {}
    deadline = time.monotonic() + 10
    while len(tasks) < count and time.monotonic() < deadline:
        task = sfn.get_activity_task(activityArn=activity, workerName="w")
        if task.get("taskToken"):
            tasks[json.loads(task["input"])["i"]] = task["taskToken"]
    return tasks


def test_activity_tokens_of_distributed_map_children_belong_to_the_children_not_the_parent(stepyard, tmp_path):
    """Each child of a Distributed Map is an execution of its own (as on AWS): the activity
    tokens its Tasks wait on are listed with that child in the state document, never with the
    parent execution, and a loaded document hands each activity task out again with its token."""
    server = _start({"STEPYARD_DATA_DIR": str(tmp_path / "data")})
    try:
        sfn = sfn_of(server.url)
        activity = sfn.create_activity(name="child-work")["activityArn"]
        definition = json.dumps({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "End": True,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}}}}})
        machine = sfn.create_state_machine(name="acts-in-map", definition=definition,
                                           roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine,
                                  input=json.dumps({"items": [{"i": 0}, {"i": 1}]}))["executionArn"]
        tasks = activity_tasks_by_item(sfn, activity, 2)
        assert sorted(tasks) == [0, 1]
        document = state_of(server)
    finally:
        kill9(server)
    [execution] = document["stepfunctions"]["executions"]
    assert execution.get("tokens", []) == []
    [run] = document["stepfunctions"]["map_runs"]
    by_child = {c["index"]: [t for _, t in c["tokens"]] for c in run["children"]}
    assert by_child == {0: [tasks[0]], 1: [tasks[1]]}
    server = _start()
    try:
        sfn = sfn_of(server.url)
        assert load_state(server, document)[0] == 200
        assert activity_tasks_by_item(sfn, activity, 2) == tasks
        for i, token in tasks.items():
            sfn.send_task_success(taskToken=token, output=json.dumps({"done": i}))
        done = finished(sfn, arn)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", [{"done": 0}, {"done": 1}])
    finally:
        kill9(server)


def test_state_document_carries_next_schedule_firings_a_loaded_rule_keeps_its_next_and_a_passed_one_fires_once(
        stepyard):
    server = _start(FROZEN)
    try:
        ev, sqs = events_client(server.url), sqs_client(server.url)
        queue = sqs.create_queue(QueueName="ticks")["QueueUrl"]
        ev.put_rule(Name="every-five", ScheduleExpression="rate(5 minutes)")
        ev.put_targets(Rule="every-five", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:ticks"}])
        advance_clock(server, 120)
        document = state_of(server)
        [firing] = document["events"]["next_firings"]
        assert firing == {"account": "000000000000", "region": "us-east-1", "rule": "every-five",
                          "next_ms": document["exported_at_ms"] + 180_000}
        server.reset()
        assert load_state(server, document)[0] == 200
        # It fires at the document's next firing (3 minutes on), not 5 minutes after the load.
        advance_clock(server, 181)
        got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, MaxNumberOfMessages=10)["Messages"]
        assert [json.loads(m["Body"])["detail-type"] for m in got] == ["Scheduled Event"]
        # A next firing that has passed when the document is loaded fires once, at once.
        firing["next_ms"] = document["exported_at_ms"] - 600_000
        server.reset()
        assert load_state(server, document)[0] == 200
        got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, MaxNumberOfMessages=10)["Messages"]
        assert len(got) == 1
        for m in got:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
        assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []) == []
        # A document without next firings (written before them) still loads: planned from now.
        del document["events"]["next_firings"]
        server.reset()
        assert load_state(server, document)[0] == 200
        assert state_of(server)["events"]["next_firings"][0]["rule"] == "every-five"
    finally:
        kill9(server)


def db_resources(data):
    """The data directory's resources, read with sqlite3 (the server must be stopped)."""
    import sqlite3
    db = sqlite3.connect(str(data / "stepyard.db"))
    try:
        return dict(db.execute("SELECT key, value FROM resources").fetchall())
    finally:
        db.close()


def test_data_dir_eventbridge_configuration_is_rows_per_resource_a_rule_change_rewrites_its_row_alone(
        stepyard, tmp_path):
    """Each bus, rule (with its targets), archive, connection and API destination is a row of
    its own: changing one rule among many leaves every other row as it was, and all of it is
    back after kill -9."""
    data = tmp_path / "data"
    env = {"STEPYARD_DATA_DIR": str(data)}
    server = _start(env)
    try:
        seeded = seed_events(server.url)
        ev = events_client(server.url)
        for i in range(30):
            ev.put_rule(Name=f"r{i}", EventBusName="shop", EventPattern=json.dumps({"source": [f"s{i}"]}))
            ev.put_targets(Rule=f"r{i}", EventBusName="shop",
                           Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:ev-target"}])
    finally:
        kill9(server)
    before = db_resources(data)
    rows = {k for k in before if k.startswith("events/cfg/")}
    base = "events/cfg/000000000000/us-east-1"
    assert "events/regions" not in before
    assert {f"{base}/rule/shop/r{i}" for i in range(30)} <= rows
    assert {f"{base}/bus/shop", f"{base}/bus/default", f"{base}/rule/shop/orders", f"{base}/rule/default/tick",
            f"{base}/archive/all-shop", f"{base}/connection/api", f"{base}/api_destination/hook"} <= rows
    rule = json.loads(before[f"{base}/rule/shop/r7"])
    assert (rule["part"], rule["bus"], rule["value"]["targets"][0]["Id"]) == ("rule", "shop", "q")
    server = _start(env)
    try:
        check_events(server.url, seeded)
        ev = events_client(server.url)
        ev.put_rule(Name="r7", EventBusName="shop", EventPattern=json.dumps({"source": ["changed"]}))
    finally:
        kill9(server)
    after = db_resources(data)
    changed = sorted(k for k in set(before) | set(after)
                     if k.startswith("events/") and before.get(k) != after.get(k))
    assert changed == [f"{base}/rule/shop/r7"], changed
    assert json.loads(json.loads(after[f"{base}/rule/shop/r7"])["value"]["event_pattern"]) == {"source": ["changed"]}
    server = _start(env)
    try:
        ev = events_client(server.url)
        assert json.loads(ev.describe_rule(Name="r7", EventBusName="shop")["EventPattern"]) == {"source": ["changed"]}
        assert len(ev.list_rules(EventBusName="shop")["Rules"]) == 32  # 30, "orders", the archive's
        assert ev.list_targets_by_rule(Rule="r29", EventBusName="shop")["Targets"][0]["Id"] == "q"
    finally:
        kill9(server)


def test_data_dir_with_eventbridge_s_whole_record_of_an_older_build_opens_and_becomes_rows(stepyard, tmp_path):
    """A data directory written before rows keeps EventBridge's configuration as one record
    (`events/regions`): it opens with everything, and is rewritten as rows at start."""
    import sqlite3
    data = tmp_path / "data"
    env = {"STEPYARD_DATA_DIR": str(data)}
    server = _start(env)
    try:
        seeded = seed_events(server.url)
        regions = state_of(server)["events"]["regions"]
    finally:
        kill9(server)
    # The older layout: the whole configuration in one record, archived events in their rows.
    kept = db_resources(data)
    for region in regions:
        base = f"events/cfg/{region['account']}/{region['region']}"
        for archive in region["archives"]:
            archive["events"] = []
            archive["rows"] = json.loads(kept[f"{base}/archive/{archive['name']}"])["value"]["rows"]
    db = sqlite3.connect(str(data / "stepyard.db"))
    db.execute("DELETE FROM resources WHERE key LIKE 'events/cfg/%'")
    db.execute("INSERT INTO resources (key, value) VALUES ('events/regions', ?)", (json.dumps(regions).encode(),))
    db.commit()
    db.close()
    server = _start(env)
    try:
        check_events(server.url, seeded)
    finally:
        kill9(server)
    kept = db_resources(data)
    assert "events/regions" not in kept
    assert "events/cfg/000000000000/us-east-1/rule/shop/orders" in kept
    # And it opens from its rows (check_events put one more event in the archive).
    server = _start(env)
    try:
        ev = events_client(server.url)
        assert sorted(b["Name"] for b in ev.list_event_buses()["EventBuses"]) == ["default", "shop"]
        assert ev.list_targets_by_rule(Rule="orders", EventBusName="shop")["Targets"][0]["Id"] == "q"
        assert ev.describe_archive(ArchiveName="all-shop")["EventCount"] == 2
        assert ev.describe_api_destination(Name="hook")["InvocationEndpoint"] == "http://127.0.0.1:9/h"
    finally:
        kill9(server)


@contextlib.contextmanager
def running(env=None):
    """A stepyard process with `env`, killed with SIGKILL on the way out."""
    server = _start(env)
    try:
        yield server
    finally:
        kill9(server)


def changed_rows(before, after, prefix):
    """Keys under `prefix` whose value differs between two reads of the resources (or that
    only one of them has)."""
    return sorted(k for k in set(before) | set(after)
                  if k.startswith(prefix) and before.get(k) != after.get(k))


def test_data_dir_step_functions_configuration_is_rows_per_resource_one_change_rewrites_its_row_alone(
        stepyard, tmp_path):
    """Each state machine (with its versions, aliases and tags) and each activity is a row of
    its own: updating one machine among a hundred, tagging an activity and deleting a machine
    write those rows alone, and all of it is back after kill -9."""
    data = tmp_path / "data"
    env = {"STEPYARD_DATA_DIR": str(data)}
    with running(env) as server:
        seeded = seed_sfn(server.url)
        sfn = sfn_of(server.url)
        for i in range(100):
            sfn.create_state_machine(name=f"m{i}", definition=PASS, roleArn="arn:aws:iam::000000000000:role/r",
                                     tags=[{"key": "n", "value": str(i)}])
    before = db_resources(data)
    base = "sfn/cfg/000000000000/us-east-1"
    assert "sfn/regions" not in before
    rows = {k for k in before if k.startswith("sfn/cfg/")}
    assert rows == {f"{base}/machine/m{i}" for i in range(100)} | {f"{base}/machine/flow", f"{base}/activity/work"}
    flow = json.loads(before[f"{base}/machine/flow"])
    assert (flow["account"], flow["region"]) == ("000000000000", "us-east-1")
    assert [v["number"] for v in flow["machine"]["versions"]] == [1, 2]
    assert [a["name"] for a in flow["machine"]["aliases"]] == ["live"]
    with running(env) as server:
        sfn = sfn_of(server.url)
        m7 = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "m7")
        m3 = m7[:-len("m7")] + "m3"
        sfn.update_state_machine(stateMachineArn=m7, definition=PASS2)
        sfn.tag_resource(resourceArn=seeded["activity"], tags=[{"key": "more", "value": "1"}])
        sfn.delete_state_machine(stateMachineArn=m3)
    after = db_resources(data)
    assert changed_rows(before, after, "sfn/") == [
        f"{base}/activity/work", f"{base}/machine/m3", f"{base}/machine/m7"]
    assert f"{base}/machine/m3" not in after
    with running(env) as server:
        sfn = sfn_of(server.url)
        names = sorted(m["name"] for m in sfn.list_state_machines()["stateMachines"])
        assert len(names) == 100 and "m3" not in names
        assert json.loads(sfn.describe_state_machine(stateMachineArn=m7)["definition"]) == json.loads(PASS2)
        assert sfn.list_tags_for_resource(resourceArn=m7)["tags"] == [{"key": "n", "value": "7"}]
        assert sfn.list_tags_for_resource(resourceArn=seeded["activity"])["tags"] == [
            {"key": "k", "value": "v"}, {"key": "more", "value": "1"}]
        versions = sorted(v["stateMachineVersionArn"] for v in
                          sfn.list_state_machine_versions(stateMachineArn=seeded["machine"])["stateMachineVersions"])
        assert versions == seeded["versions"]
        alias = sfn.describe_state_machine_alias(stateMachineAliasArn=seeded["alias"])
        assert alias["routingConfiguration"][0]["stateMachineVersionArn"] == seeded["versions"][0]


def test_data_dir_sns_configuration_is_rows_per_resource_one_change_rewrites_its_row_alone(stepyard, tmp_path):
    """Each topic (with its attributes and tags) and each subscription is a row of its own:
    changing one subscription among many and tagging one topic write those rows alone, a
    deleted topic's rows leave with it, and all of it is back after kill -9."""
    data = tmp_path / "data"
    env = {"STEPYARD_DATA_DIR": str(data)}
    with running(env) as server:
        seeded = seed_sns(server.url)
        token = token_of(server, seeded["pending"])
        sns = sns_client(server.url)
        topics, subs = [], []
        for i in range(40):
            arn = sns.create_topic(Name=f"t{i}")["TopicArn"]
            topics.append(arn)
            subs.append(sns.subscribe(TopicArn=arn, Protocol="sqs",
                                      Endpoint="arn:aws:sqs:us-east-1:000000000000:fanout",
                                      ReturnSubscriptionArn=True)["SubscriptionArn"])
    before = db_resources(data)
    assert "sns/topics" not in before
    rows = {k for k in before if k.startswith("sns/cfg/")}
    assert {f"sns/cfg/topic/{t}" for t in topics} | {f"sns/cfg/subscription/{s}" for s in subs} <= rows
    assert len(rows) == 42 + 42  # with the seeded topics and their two subscriptions
    sub7 = json.loads(before[f"sns/cfg/subscription/{subs[7]}"])
    assert (sub7["subscription"]["topic_arn"], sub7["subscription"]["subscription"]["protocol"]) == (topics[7], "sqs")
    with running(env) as server:
        sns = sns_client(server.url)
        assert sns.get_topic_attributes(TopicArn=seeded["topic"])["Attributes"]["DisplayName"] == "Orders"
        sub_attrs = sns.get_subscription_attributes(SubscriptionArn=seeded["sub"])["Attributes"]
        assert json.loads(sub_attrs["FilterPolicy"]) == {"kind": ["big"]}
        # Confirming the pending subscription writes its row alone.
        assert sns.confirm_subscription(TopicArn=seeded["topic"], Token=token)["SubscriptionArn"] == seeded["pending"]
    confirmed = db_resources(data)
    assert changed_rows(before, confirmed, "sns/") == [f"sns/cfg/subscription/{seeded['pending']}"]
    before = confirmed
    with running(env) as server:
        sns = sns_client(server.url)
        sns.set_subscription_attributes(SubscriptionArn=subs[7], AttributeName="RawMessageDelivery",
                                        AttributeValue="true")
        sns.tag_resource(ResourceArn=topics[9], Tags=[{"Key": "team", "Value": "nine"}])
        sns.delete_topic(TopicArn=topics[3])
    after = db_resources(data)
    assert changed_rows(before, after, "sns/") == sorted([
        f"sns/cfg/subscription/{subs[7]}", f"sns/cfg/topic/{topics[9]}",
        f"sns/cfg/topic/{topics[3]}", f"sns/cfg/subscription/{subs[3]}"])
    assert f"sns/cfg/topic/{topics[3]}" not in after and f"sns/cfg/subscription/{subs[3]}" not in after
    with running(env) as server:
        sns = sns_client(server.url)
        arns = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
        assert topics[3] not in arns and set(topics) - {topics[3]} <= arns
        attrs = sns.get_subscription_attributes(SubscriptionArn=subs[7])["Attributes"]
        assert attrs["RawMessageDelivery"] == "true"
        assert sns.list_tags_for_resource(ResourceArn=topics[9])["Tags"] == [{"Key": "team", "Value": "nine"}]
        assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topics[8])["Subscriptions"]] \
            == [subs[8]]


def test_data_dir_with_step_functions_and_sns_whole_records_of_an_older_build_opens_and_becomes_rows(
        stepyard, tmp_path):
    """A data directory written before rows keeps Step Functions' configuration as one record
    (`sfn/regions`) and SNS's as another (`sns/topics`): it opens with everything, and both are
    rewritten as rows at start."""
    import sqlite3
    data = tmp_path / "data"
    env = {"STEPYARD_DATA_DIR": str(data)}
    with running(env) as server:
        seeded_sfn = seed_sfn(server.url)
        seeded_sns = seed_sns(server.url)
        token = token_of(server, seeded_sns["pending"])
        document = state_of(server)
    db = sqlite3.connect(str(data / "stepyard.db"))
    db.execute("DELETE FROM resources WHERE key LIKE 'sfn/cfg/%' OR key LIKE 'sns/cfg/%'")
    db.execute("INSERT INTO resources (key, value) VALUES ('sfn/regions', ?)",
               (json.dumps(document["stepfunctions"]["regions"]).encode(),))
    db.execute("INSERT INTO resources (key, value) VALUES ('sns/topics', ?)",
               (json.dumps(document["sns"]["topics"]).encode(),))
    db.commit()
    db.close()
    # Started and killed before any call: the rows are written at start.
    with running(env):
        pass
    kept = db_resources(data)
    assert "sfn/regions" not in kept and "sns/topics" not in kept
    assert {"sfn/cfg/000000000000/us-east-1/machine/flow", "sfn/cfg/000000000000/us-east-1/activity/work",
            f"sns/cfg/topic/{seeded_sns['topic']}", f"sns/cfg/subscription/{seeded_sns['pending']}"} <= set(kept)
    with running(env) as server:
        check_sfn(server.url, seeded_sfn)
        check_sns(server.url, seeded_sns, token)


class LambdaEndpoint:
    """A local Lambda Invoke endpoint: records every invocation (function, payload) and
    answers `{"echo": payload}`, holding the functions in `held` without an answer until
    `release` (so a kill lands while a call is in flight)."""

    def __init__(self):
        import http.server
        import threading
        self.calls, self.held, self.release = [], set(), threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                function = self.path.split("/functions/")[1].split("/")[0]
                outer.calls.append((function, json.loads(body or "null")))
                if function in outer.held:
                    outer.release.wait(30)
                answer = json.dumps({"echo": json.loads(body or "null")}).encode()
                try:
                    self.send_response(200)
                    self.send_header("content-length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the caller was killed

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, function):
        return [payload for f, payload in self.calls if f == function]


def test_data_dir_a_lambda_call_in_flight_at_kill_9_is_made_again_and_one_whose_result_was_recorded_is_not(
        stepyard, tmp_path):
    """What stepyard guarantees for Lambda (as AWS: exactly-once execution of the workflow's
    states, at-least-once invocation of the function): a call whose result is in the history
    is never made again; a call in flight at a crash has no recorded result and is made
    again, with the same payload, after the restart."""
    lam = LambdaEndpoint()
    lam.held.add("slow")
    env = {"STEPYARD_DATA_DIR": str(tmp_path / "data"), "STEPYARD_LAMBDA_ENDPOINT": lam.url}
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        definition = json.dumps({"StartAt": "Fast", "States": {
            "Fast": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "fast", "Payload": {"step": 1}},
                     "ResultSelector": {"fast.$": "$.Payload"}, "Next": "Slow"},
            "Slow": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "slow", "Payload": {"step": 2, "after.$": "$.fast"}},
                     "ResultSelector": {"slow.$": "$.Payload"}, "End": True}}})
        machine = sfn.create_state_machine(name="calls", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="run", input="{}")["executionArn"]
        deadline = time.monotonic() + 10
        while not lam.of("slow"):
            assert time.monotonic() < deadline, lam.calls
            time.sleep(0.05)
        # The history answered is on disk: Fast's result is recorded, Slow's call is out.
        types = [e["type"] for e in history_of(sfn, arn)]
        assert types.count("TaskSucceeded") == 1 and types[-1] == "TaskStarted", types
    finally:
        kill9(server)
    lam.held.clear()
    lam.release.set()
    server = _start(env)
    try:
        sfn = sfn_of(server.url)
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"]) == {"slow": {"echo": {"step": 2, "after": {"echo": {"step": 1}}}}}
        # Fast, whose result was recorded, was called once; Slow, in flight, twice, alike.
        assert lam.of("fast") == [{"step": 1}]
        assert lam.of("slow") == [{"step": 2, "after": {"echo": {"step": 1}}}] * 2
        types = [e["type"] for e in history_of(sfn, arn)]
        assert types.count("TaskSucceeded") == 2 and types[-1] == "ExecutionSucceeded", types
    finally:
        kill9(server)


def test_a_map_iteration_loaded_begun_before_its_first_state_is_not_started_twice(stepyard):
    server = _start(FROZEN)
    try:
        sfn = sfn_of(server.url)
        definition = json.dumps({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "End": True,
            "ItemProcessor": {"StartAt": "Hold", "States": {
                "Hold": {"Type": "Wait", "Seconds": 30, "Next": "Out"},
                "Out": {"Type": "Pass", "Parameters": {"i.$": "$.i"}, "End": True}}}}}})
        machine = sfn.create_state_machine(name="begun", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="run",
                                  input=json.dumps({"items": [{"i": 0}, {"i": 1}]}))["executionArn"]
        deadline = time.monotonic() + 10
        while [e["type"] for e in history_of(sfn, arn)].count("WaitStateEntered") < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        document = state_of(server)
        [execution] = document["stepfunctions"]["executions"]
        # As if the server had stopped right after the last MapIterationStarted.
        cut = max(i for i, e in enumerate(execution["history"]) if e["type"] == "MapIterationStarted")
        execution["history"] = execution["history"][:cut + 1]
        server.reset()
        assert load_state(server, document)[0] == 200
        wait_for_event(sfn, arn, "WaitStateEntered")
        deadline = time.monotonic() + 10
        while [e["type"] for e in history_of(sfn, arn)].count("WaitStateEntered") < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        advance_clock(server, 31)
        done = finished(sfn, arn)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", [{"i": 0}, {"i": 1}])
        events = history_of(sfn, arn)
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        types = [e["type"] for e in events]
        assert (types.count("MapIterationStarted"), types.count("MapIterationSucceeded")) == (2, 2)
    finally:
        kill9(server)


def test_an_execution_loaded_just_after_a_caught_failure_continues_at_the_catchers_next(stepyard):
    server = _start(FROZEN)
    try:
        sfn = sfn_of(server.url)
        definition = json.dumps({"StartAt": "Try", "States": {
            "Try": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Parameters": {"QueueUrl": "http://localhost/000000000000/missing", "MessageBody": "x"},
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recovered", "ResultPath": "$.err"}],
                    "Next": "Normal"},
            "Normal": {"Type": "Pass", "Result": "normal", "End": True},
            "Recovered": {"Type": "Pass", "Result": "recovered", "Next": "Hold"},
            "Hold": {"Type": "Wait", "Seconds": 30, "End": True}}})
        machine = sfn.create_state_machine(name="catches", definition=definition, roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="run", input="{}")["executionArn"]
        wait_for_event(sfn, arn, "WaitStateEntered")
        document = state_of(server)
        # As if the server had stopped right after Try's exit (the catcher's choice is not in
        # the history): cut the history there.
        [execution] = document["stepfunctions"]["executions"]
        cut = next(i for i, e in enumerate(execution["history"]) if e["type"] == "TaskStateExited")
        execution["history"] = execution["history"][:cut + 1]
        server.reset()
        assert load_state(server, document)[0] == 200
        advance_clock(server, 31)
        done = finished(sfn, arn)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", "recovered")
        events = history_of(sfn, arn)
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
        assert entered == ["Try", "Recovered", "Hold"]
    finally:
        kill9(server)

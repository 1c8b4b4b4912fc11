"""boto3: SNS fan-out to SQS queues, observed with the SQS client."""

import json

from conftest import queue_arn, wait_until
from sns_fixtures import sns  # noqa: F401  (fixture)


def receive_all(sqs, url, n):
    got = []

    def poll():
        got.extend(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                       MessageAttributeNames=["All"]).get("Messages", []))
        return len(got) >= n

    wait_until(poll, timeout=5)
    return got


def test_envelope_and_raw_delivery(sns, sqs):
    topic = sns.create_topic(Name="t")["TopicArn"]
    env_url = sqs.create_queue(QueueName="env")["QueueUrl"]
    raw_url = sqs.create_queue(QueueName="raw")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("env"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("raw"),
                  Attributes={"RawMessageDelivery": "true"})
    message_id = sns.publish(TopicArn=topic, Message="hi", Subject="s",
                             MessageAttributes={"c": {"DataType": "String", "StringValue": "red"}})["MessageId"]
    envelope = json.loads(receive_all(sqs, env_url, 1)[0]["Body"])
    assert list(envelope)[:4] == ["Type", "MessageId", "TopicArn", "Subject"]
    assert envelope["MessageId"] == message_id
    assert envelope["Message"] == "hi"
    assert envelope["MessageAttributes"] == {"c": {"Type": "String", "Value": "red"}}
    raw = receive_all(sqs, raw_url, 1)[0]
    assert raw["Body"] == "hi"
    assert raw["MessageAttributes"]["c"] == {"DataType": "String", "StringValue": "red"}


def test_fifo_topic_to_fifo_queue_keeps_order(sns, sqs):
    topic = sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true",
                                                        "ContentBasedDeduplication": "true"})["TopicArn"]
    url = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("q.fifo"),
                  Attributes={"RawMessageDelivery": "true"})
    for i in range(5):
        sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g")
    bodies = [m["Body"] for m in receive_all(sqs, url, 5)]
    assert bodies == [f"m{i}" for i in range(5)]


def test_deliveries_endpoint_lists_recorded_messages(sns, stepyard):
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550100")
    sns.publish(TopicArn=topic, Message="text me")

    def recorded():
        status, _, body = stepyard.http("GET", "/_stepyard/sns/deliveries")
        assert status == 200
        return [d for d in json.loads(body)["deliveries"] if d["Protocol"] == "sms"]

    got = wait_until(recorded)
    assert got and got[0]["Body"] == "text me"

"""boto3 (JSON protocol): FIFO queues — order within a group, deduplication, group locking."""

import hashlib

import pytest
from botocore.exceptions import ClientError


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def fifo(sqs):
    return sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]


def drain(sqs, url, limit=50):
    """Receives and deletes until the queue answers empty; returns the bodies in receive order."""
    bodies = []
    for _ in range(limit):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for m in messages:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def test_fifo_queue_reports_fifo_attributes(sqs, fifo):
    attrs = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"


def test_fifo_name_without_the_fifo_attribute_is_rejected(sqs):
    with pytest.raises(ClientError) as err:
        sqs.create_queue(QueueName="confused.fifo")
    assert error_code(err) == "InvalidParameterValue"


def test_messages_in_one_group_are_received_in_send_order(sqs, fifo):
    sequence_numbers = []
    for i in range(8):
        sent = sqs.send_message(QueueUrl=fifo, MessageBody=f"step-{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}")
        sequence_numbers.append(int(sent["SequenceNumber"]))
    assert sequence_numbers == sorted(sequence_numbers) and len(set(sequence_numbers)) == 8
    assert drain(sqs, fifo) == [f"step-{i}" for i in range(8)]


def test_a_repeated_deduplication_id_is_accepted_but_delivered_once(sqs, fifo):
    first = sqs.send_message(QueueUrl=fifo, MessageBody="pay", MessageGroupId="g", MessageDeduplicationId="invoice-7")
    second = sqs.send_message(QueueUrl=fifo, MessageBody="pay", MessageGroupId="g", MessageDeduplicationId="invoice-7")
    assert second["MessageId"] == first["MessageId"]
    assert drain(sqs, fifo) == ["pay"]


def test_content_based_deduplication_uses_the_body_hash(sqs):
    url = sqs.create_queue(
        QueueName="cbd.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="different", MessageGroupId="g")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in messages] == ["same", "different"]
    assert messages[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()
    assert messages[0]["Attributes"]["MessageGroupId"] == "g"


def test_a_group_is_locked_while_one_of_its_messages_is_in_flight(sqs, fifo):
    for i in range(3):
        sqs.send_message(QueueUrl=fifo, MessageBody=f"a{i}", MessageGroupId="A", MessageDeduplicationId=f"a{i}")
    sqs.send_message(QueueUrl=fifo, MessageBody="b0", MessageGroupId="B", MessageDeduplicationId="b0")
    first = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=1)["Messages"][0]
    assert first["Body"] == "a0"
    # Group A is locked until a0 is deleted or becomes visible again; only group B can be served.
    others = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in others] == ["b0"]
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=first["ReceiptHandle"])
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=others[0]["ReceiptHandle"])
    assert drain(sqs, fifo) == ["a1", "a2"]


def test_fifo_send_without_a_group_id_is_missing_parameter(sqs, fifo):
    with pytest.raises(ClientError) as err:
        sqs.send_message(QueueUrl=fifo, MessageBody="orphan", MessageDeduplicationId="x")
    assert error_code(err) == "MissingParameter"


def test_fifo_send_without_dedup_id_or_content_based_dedup_is_invalid_parameter_value(sqs, fifo):
    with pytest.raises(ClientError) as err:
        sqs.send_message(QueueUrl=fifo, MessageBody="no dedup", MessageGroupId="g")
    assert error_code(err) == "InvalidParameterValue"


def test_fifo_batch_keeps_order_and_reports_sequence_numbers(sqs, fifo):
    entries = [
        {"Id": f"e{i}", "MessageBody": f"batch-{i}", "MessageGroupId": "g", "MessageDeduplicationId": f"bd{i}"}
        for i in range(5)
    ]
    result = sqs.send_message_batch(QueueUrl=fifo, Entries=entries)
    assert result.get("Failed", []) == []
    assert all("SequenceNumber" in e for e in result["Successful"])
    assert drain(sqs, fifo) == [f"batch-{i}" for i in range(5)]

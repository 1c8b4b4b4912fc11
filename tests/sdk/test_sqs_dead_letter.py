"""boto3 (JSON protocol): dead-letter queues — redrive on maxReceiveCount, source listing, move tasks."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import queue_arn, wait_until


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def source_and_dlq(sqs):
    dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    policy = {"deadLetterTargetArn": queue_arn("orders-dlq"), "maxReceiveCount": "2"}
    source = sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": json.dumps(policy)})["QueueUrl"]
    return source, dlq


def count(sqs, url) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def test_redrive_policy_reads_back_as_json(sqs, source_and_dlq):
    source, _ = source_and_dlq
    attrs = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])["Attributes"]
    policy = json.loads(attrs["RedrivePolicy"])
    assert policy["deadLetterTargetArn"] == queue_arn("orders-dlq")
    assert int(policy["maxReceiveCount"]) == 2


def test_a_message_received_more_than_max_receive_count_times_moves_to_the_dlq(sqs, source_and_dlq):
    source, dlq = source_and_dlq
    attributes = {"Why": {"DataType": "String", "StringValue": "poison"}}
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison pill", MessageAttributes=attributes)
    for attempt in (1, 2):
        got = sqs.receive_message(QueueUrl=source, VisibilityTimeout=0, MessageSystemAttributeNames=["ApproximateReceiveCount"])
        assert [m["Body"] for m in got["Messages"]] == ["poison pill"], f"receive {attempt}"
        assert got["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == str(attempt)
    # The third receive exceeds maxReceiveCount=2: the message goes to the DLQ instead.
    assert "Messages" not in sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)
    assert count(sqs, source) == 0
    moved = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in moved] == ["poison pill"]
    assert moved[0]["MessageId"] == sent["MessageId"]
    assert moved[0]["MessageAttributes"] == attributes


def test_list_dead_letter_source_queues_names_the_queues_that_redrive_to_it(sqs, source_and_dlq):
    source, dlq = source_and_dlq
    sqs.create_queue(QueueName="unrelated")
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]


def test_redrive_policy_to_a_missing_queue_is_rejected(sqs):
    policy = {"deadLetterTargetArn": queue_arn("no-such-dlq"), "maxReceiveCount": "2"}
    with pytest.raises(ClientError) as err:
        sqs.create_queue(QueueName="broken", Attributes={"RedrivePolicy": json.dumps(policy)})
    assert error_code(err) in ("InvalidParameterValue", "AWS.SimpleQueueService.NonExistentQueue")


def _dead_letter(sqs, source, dlq, n):
    """Puts n messages in the DLQ the way AWS does: by receiving them past maxReceiveCount."""
    sqs.send_message_batch(QueueUrl=source, Entries=[{"Id": f"m{i}", "MessageBody": f"body-{i}"} for i in range(n)])
    for _ in range(20):
        if not sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages"):
            break
    assert wait_until(lambda: count(sqs, dlq) == n), f"expected {n} messages in the DLQ, found {count(sqs, dlq)}"


def test_a_message_move_task_returns_dead_letters_to_their_source_queue(sqs, source_and_dlq):
    source, dlq = source_and_dlq
    _dead_letter(sqs, source, dlq, 3)
    handle = sqs.start_message_move_task(SourceArn=queue_arn("orders-dlq"))["TaskHandle"]
    assert handle

    def finished():
        results = sqs.list_message_move_tasks(SourceArn=queue_arn("orders-dlq"))["Results"]
        return results if results and results[0]["Status"] == "COMPLETED" else None

    results = wait_until(finished, timeout=10)
    assert results, sqs.list_message_move_tasks(SourceArn=queue_arn("orders-dlq"))
    assert results[0]["SourceArn"] == queue_arn("orders-dlq")
    assert results[0]["ApproximateNumberOfMessagesMoved"] == 3
    assert count(sqs, dlq) == 0
    assert count(sqs, source) == 3


def test_a_running_message_move_task_can_be_cancelled(sqs, source_and_dlq):
    source, dlq = source_and_dlq
    _dead_letter(sqs, source, dlq, 10)
    handle = sqs.start_message_move_task(SourceArn=queue_arn("orders-dlq"), MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    cancelled = sqs.cancel_message_move_task(TaskHandle=handle)
    assert 0 <= cancelled["ApproximateNumberOfMessagesMoved"] < 10
    status = sqs.list_message_move_tasks(SourceArn=queue_arn("orders-dlq"))["Results"][0]
    assert status["Status"] in ("CANCELLING", "CANCELLED")
    # AWS lists a task's handle only while it is RUNNING.
    assert "TaskHandle" not in status
    assert status["MaxNumberOfMessagesPerSecond"] == 1
    assert count(sqs, dlq) + count(sqs, source) == 10


def test_a_move_task_from_a_queue_that_is_not_a_dlq_is_rejected(sqs):
    sqs.create_queue(QueueName="ordinary")
    with pytest.raises(ClientError) as err:
        sqs.start_message_move_task(SourceArn=queue_arn("ordinary"))
    assert error_code(err) in ("InvalidParameterValue", "UnsupportedOperation", "ResourceNotFoundException")

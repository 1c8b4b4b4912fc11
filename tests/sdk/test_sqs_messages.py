"""boto3 (JSON protocol): sending, receiving, deleting, visibility, batches, attributes and digests."""

import json
import pathlib
import threading
import time

import pytest
from botocore.exceptions import ClientError

from sqs_md5 import md5_of_attributes, md5_of_body

VECTORS = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "sqs" / "md5_vectors.json"

ATTRIBUTES = {
    "Colour": {"DataType": "String", "StringValue": "vert émeraude"},
    "Count": {"DataType": "Number", "StringValue": "42"},
    "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xffbinary"},
    "Kind": {"DataType": "String.custom", "StringValue": "custom-type"},
}


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def receive_one(sqs, url, **kwargs):
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, **kwargs).get("Messages", [])
    assert len(messages) == 1, f"expected one message, got {messages}"
    return messages[0]


def test_md5_helper_reproduces_the_recorded_aws_vectors():
    if not VECTORS.exists():
        pytest.skip(f"conformance data not found at {VECTORS}")
    data = json.loads(VECTORS.read_text())
    for vector in data["message_attribute_vectors"]:
        assert md5_of_attributes(vector["MessageAttributes"], binary_is_base64=True) == vector["MD5OfMessageAttributes"], vector["source"]
    for vector in data["body_vectors"]:
        body = vector.get("Body", vector.get("MessageBody"))
        expected = vector.get("MD5OfBody", vector.get("MD5OfMessageBody"))
        assert md5_of_body(body) == expected, vector.get("source")


def test_send_then_receive_returns_the_body_with_its_md5_and_a_message_id(sqs, queue):
    body = "hello, stepyard — ünïcode ✓"
    sent = sqs.send_message(QueueUrl=queue, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5_of_body(body)
    assert "MD5OfMessageAttributes" not in sent
    message = receive_one(sqs, queue)
    assert message["Body"] == body
    assert message["MessageId"] == sent["MessageId"]
    assert message["MD5OfBody"] == md5_of_body(body)
    assert message["ReceiptHandle"]
    assert "MD5OfMessageAttributes" not in message


def test_message_attributes_round_trip_with_digests_that_match_a_recomputation(sqs, queue):
    sent = sqs.send_message(QueueUrl=queue, MessageBody="with attributes", MessageAttributes=ATTRIBUTES)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(ATTRIBUTES)
    message = receive_one(sqs, queue, MessageAttributeNames=["All"])
    assert message["MessageAttributes"] == ATTRIBUTES
    assert message["MD5OfMessageAttributes"] == md5_of_attributes(ATTRIBUTES)


def test_received_attribute_digest_covers_only_the_attributes_asked_for(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="filtered", MessageAttributes=ATTRIBUTES)
    message = receive_one(sqs, queue, MessageAttributeNames=["Colour", "Count", "Missing"])
    wanted = {k: ATTRIBUTES[k] for k in ("Colour", "Count")}
    assert message["MessageAttributes"] == wanted
    assert message["MD5OfMessageAttributes"] == md5_of_attributes(wanted)


def test_message_attributes_are_not_returned_unless_asked_for(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="quiet", MessageAttributes=ATTRIBUTES)
    message = receive_one(sqs, queue)
    assert "MessageAttributes" not in message
    assert "MD5OfMessageAttributes" not in message


def test_system_attributes_report_receive_count_and_sent_timestamp(sqs, queue):
    before_ms = int(time.time() * 1000) - 5000
    sqs.send_message(QueueUrl=queue, MessageBody="counted")
    first = receive_one(sqs, queue, MessageSystemAttributeNames=["All"], VisibilityTimeout=0)
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert int(first["Attributes"]["SentTimestamp"]) >= before_ms
    second = receive_one(sqs, queue, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert second["Attributes"] == {"ApproximateReceiveCount": "2"}


def test_an_empty_attribute_value_is_rejected(sqs, queue):
    with pytest.raises(ClientError) as err:
        sqs.send_message(QueueUrl=queue, MessageBody="x", MessageAttributes={"E": {"DataType": "String", "StringValue": ""}})
    assert error_code(err) == "InvalidParameterValue"


def test_a_received_message_is_invisible_until_its_visibility_timeout(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="once")
    receive_one(sqs, queue, VisibilityTimeout=30)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_a_message_reappears_after_its_visibility_timeout_expires(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="again")
    receive_one(sqs, queue, VisibilityTimeout=1)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    time.sleep(1.3)
    assert receive_one(sqs, queue)["Body"] == "again"


def test_delete_message_removes_it_for_good(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="bye")
    message = receive_one(sqs, queue, VisibilityTimeout=1)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    time.sleep(1.2)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)


def test_delete_message_with_a_garbage_receipt_handle_is_receipt_handle_is_invalid(sqs, queue):
    with pytest.raises(ClientError) as err:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle="not-a-receipt-handle")
    assert error_code(err) == "ReceiptHandleIsInvalid"


def test_change_message_visibility_to_zero_makes_it_receivable_at_once(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="soon")
    message = receive_one(sqs, queue, VisibilityTimeout=300)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    again = receive_one(sqs, queue, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert again["Body"] == "soon"
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


def test_delay_seconds_hides_a_new_message_until_the_delay_passes(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=1)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesDelayed"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    time.sleep(1.3)
    assert receive_one(sqs, queue)["Body"] == "later"


def test_receive_returns_at_most_max_number_of_messages(sqs, queue):
    for i in range(15):
        sqs.send_message(QueueUrl=queue, MessageBody=f"n{i}")
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60)["Messages"]
    assert 1 <= len(got) <= 10
    received = {m["Body"] for m in got}
    for _ in range(20):
        more = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", [])
        if not more:
            break
        received |= {m["Body"] for m in more}
    assert received == {f"n{i}" for i in range(15)}


def test_max_number_of_messages_above_ten_is_invalid_parameter_value(sqs, queue):
    with pytest.raises(ClientError) as err:
        sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=11)
    assert error_code(err) == "InvalidParameterValue"


def test_long_poll_returns_as_soon_as_a_message_arrives(sqs, queue):
    result = {}

    def poll():
        started = time.monotonic()
        result["response"] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)
        result["elapsed"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.5)
    sqs.send_message(QueueUrl=queue, MessageBody="wake up")
    poller.join(15)
    assert not poller.is_alive(), "long poll did not return"
    assert [m["Body"] for m in result["response"]["Messages"]] == ["wake up"]
    assert 0.4 <= result["elapsed"] < 3.0, f"long poll took {result['elapsed']:.2f}s"


def test_long_poll_on_an_empty_queue_waits_the_full_wait_time(sqs, queue):
    started = time.monotonic()
    response = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)
    elapsed = time.monotonic() - started
    assert "Messages" not in response
    assert 0.9 <= elapsed < 3.0, f"took {elapsed:.2f}s"


def test_queue_receive_wait_time_attribute_makes_receives_long_polls(sqs):
    url = sqs.create_queue(QueueName="patient", Attributes={"ReceiveMessageWaitTimeSeconds": "1"})["QueueUrl"]
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert time.monotonic() - started >= 0.9


def test_send_message_batch_reports_each_entry_with_its_digests(sqs, queue):
    entries = [
        {"Id": "plain", "MessageBody": "one"},
        {"Id": "with-attrs", "MessageBody": "two", "MessageAttributes": {"K": {"DataType": "String", "StringValue": "v"}}},
        {"Id": "delayed_3", "MessageBody": "three", "DelaySeconds": 0},
    ]
    result = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert result.get("Failed", []) == []
    by_id = {e["Id"]: e for e in result["Successful"]}
    assert set(by_id) == {"plain", "with-attrs", "delayed_3"}
    assert by_id["plain"]["MD5OfMessageBody"] == md5_of_body("one")
    assert by_id["with-attrs"]["MD5OfMessageAttributes"] == md5_of_attributes(entries[1]["MessageAttributes"])
    assert len({e["MessageId"] for e in result["Successful"]}) == 3


def test_batch_with_repeated_ids_is_batch_entry_ids_not_distinct(sqs, queue):
    with pytest.raises(ClientError) as err:
        sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": "a", "MessageBody": "1"}, {"Id": "a", "MessageBody": "2"}])
    assert error_code(err) == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"


def test_batch_with_more_than_ten_entries_is_too_many_entries(sqs, queue):
    entries = [{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)]
    with pytest.raises(ClientError) as err:
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert error_code(err) == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"


def test_empty_batch_is_empty_batch_request(sqs, queue):
    with pytest.raises(ClientError) as err:
        sqs.delete_message_batch(QueueUrl=queue, Entries=[])
    assert error_code(err) == "AWS.SimpleQueueService.EmptyBatchRequest"


def test_batch_entry_id_with_invalid_characters_is_invalid_batch_entry_id(sqs, queue):
    with pytest.raises(ClientError) as err:
        sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": "bad id!", "MessageBody": "x"}])
    assert error_code(err) == "AWS.SimpleQueueService.InvalidBatchEntryId"


def test_delete_message_batch_deletes_good_entries_and_fails_bad_ones_individually(sqs, queue):
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(2)])
    handles = []
    for _ in range(10):
        handles += [m["ReceiptHandle"] for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=1).get("Messages", [])]
        if len(handles) == 2:
            break
    assert len(handles) == 2
    result = sqs.delete_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "first", "ReceiptHandle": handles[0]},
            {"Id": "second", "ReceiptHandle": handles[1]},
            {"Id": "bogus", "ReceiptHandle": "garbage"},
        ],
    )
    assert sorted(e["Id"] for e in result["Successful"]) == ["first", "second"]
    assert len(result["Failed"]) == 1
    failed = result["Failed"][0]
    assert failed["Id"] == "bogus"
    assert failed["Code"] == "ReceiptHandleIsInvalid"
    assert failed["SenderFault"] is True
    time.sleep(1.2)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)


def test_change_message_visibility_batch_applies_per_entry_and_fails_bad_handles(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="batch-visible")
    message = receive_one(sqs, queue, VisibilityTimeout=300)
    result = sqs.change_message_visibility_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "good", "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 0},
        ],
    )
    assert [e["Id"] for e in result["Successful"]] == ["good"]
    assert [(e["Id"], e["Code"], e["SenderFault"]) for e in result["Failed"]] == [("bad", "ReceiptHandleIsInvalid", True)]
    assert receive_one(sqs, queue)["Body"] == "batch-visible"


def test_a_message_larger_than_the_queue_maximum_is_rejected(sqs):
    url = sqs.create_queue(QueueName="small", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    with pytest.raises(ClientError) as err:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert error_code(err) == "InvalidParameterValue"


def test_sending_to_a_missing_queue_is_non_existent_queue(sqs, endpoint):
    with pytest.raises(ClientError) as err:
        sqs.send_message(QueueUrl=f"{endpoint}/000000000000/nowhere", MessageBody="lost")
    assert error_code(err) == "AWS.SimpleQueueService.NonExistentQueue"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_missing_message_body_is_missing_parameter(sqs, queue):
    with pytest.raises(ClientError) as err:
        sqs.send_message(QueueUrl=queue, MessageBody="")
    assert error_code(err) == "MissingParameter"


def test_send_message_batch_leaves_out_an_empty_failed_list(sqs, queue):
    resp = sqs.send_message_batch(
        QueueUrl=queue, Entries=[{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two"}]
    )
    assert [e["Id"] for e in resp["Successful"]] == ["a", "b"]
    assert "Failed" not in resp
    with_failure = sqs.send_message_batch(
        QueueUrl=queue, Entries=[{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two", "DelaySeconds": 901}]
    )
    assert [e["Id"] for e in with_failure["Failed"]] == ["b"]

"""The AWS CLI (v1) against stepyard, as a user would run it with --endpoint-url."""

import json

from sqs_md5 import md5_of_body


def test_cli_creates_lists_sends_receives_and_deletes(aws_cli):
    _, created, _ = aws_cli("sqs", "create-queue", "--queue-name", "cli-queue", "--attributes", "VisibilityTimeout=60")
    url = created["QueueUrl"]
    assert url.endswith("/000000000000/cli-queue")

    _, listed, _ = aws_cli("sqs", "list-queues")
    assert listed["QueueUrls"] == [url]

    attributes = json.dumps({"Source": {"DataType": "String", "StringValue": "cli"}})
    _, sent, _ = aws_cli("sqs", "send-message", "--queue-url", url, "--message-body", "from the cli", "--message-attributes", attributes)
    assert sent["MD5OfMessageBody"] == md5_of_body("from the cli")
    assert sent["MessageId"]

    _, attrs, _ = aws_cli("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert attrs["Attributes"]["VisibilityTimeout"] == "60"
    assert attrs["Attributes"]["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:cli-queue"

    _, received, _ = aws_cli("sqs", "receive-message", "--queue-url", url, "--message-attribute-names", "All")
    [message] = received["Messages"]
    assert message["Body"] == "from the cli"
    assert message["MessageId"] == sent["MessageId"]
    assert message["MessageAttributes"]["Source"]["StringValue"] == "cli"

    code, out, err = aws_cli("sqs", "delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    assert code == 0 and out is None, err

    _, attrs, _ = aws_cli("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    assert attrs["Attributes"] == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_cli_receive_on_an_empty_queue_prints_nothing_and_succeeds(aws_cli):
    _, created, _ = aws_cli("sqs", "create-queue", "--queue-name", "cli-empty")
    code, out, _ = aws_cli("sqs", "receive-message", "--queue-url", created["QueueUrl"])
    assert code == 0
    assert out is None or "Messages" not in out


def test_cli_reports_a_missing_queue_with_the_aws_error_code(aws_cli):
    code, _, stderr = aws_cli("sqs", "get-queue-url", "--queue-name", "absent", check=False)
    assert code != 0
    assert "AWS.SimpleQueueService.NonExistentQueue" in stderr

"""The legacy SQS query protocol (form POST in, XML out), spoken by hand with urllib.

Older SDKs (botocore before late 2023, aws-sdk-java v1, ...) still send this.
"""

import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from sqs_md5 import md5_of_attributes, md5_of_body

SIGNED = {
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, Signature=0",
}


def strip_ns(element):
    for node in element.iter():
        if "}" in node.tag:
            node.tag = node.tag.split("}", 1)[1]
    return element


def call(stepyard, action, params=None, path="/", headers=SIGNED):
    form = {"Action": action, "Version": "2012-11-05", **(params or {})}
    status, _, body = stepyard.http("POST", path, urllib.parse.urlencode(form).encode(), headers)
    try:
        root = strip_ns(ET.fromstring(body))
    except ET.ParseError as e:
        pytest.fail(f"{action}: HTTP {status}, body is not XML ({e}): {body[:300]!r}")
    return status, root


def ok(stepyard, action, params=None, **kwargs):
    status, root = call(stepyard, action, params, **kwargs)
    assert status == 200, f"{action}: HTTP {status}: {ET.tostring(root)[:400]!r}"
    assert root.tag == f"{action}Response"
    assert root.findtext("ResponseMetadata/RequestId")
    return root


def create(stepyard, name, **params):
    return ok(stepyard, "CreateQueue", {"QueueName": name, **params}).findtext("CreateQueueResult/QueueUrl")


def test_query_create_queue_returns_the_url_in_xml(stepyard):
    url = create(stepyard, "legacy")
    assert url.endswith("/000000000000/legacy")


def test_query_send_and_receive_carry_message_attributes_and_their_md5(stepyard):
    url = create(stepyard, "legacy-attrs")
    params = {
        "QueueUrl": url,
        "MessageBody": "query <body> & more",
        "MessageAttribute.1.Name": "City",
        "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "Zürich",
        "MessageAttribute.2.Name": "Count",
        "MessageAttribute.2.Value.DataType": "Number",
        "MessageAttribute.2.Value.StringValue": "7",
    }
    expected_attrs = {
        "City": {"DataType": "String", "StringValue": "Zürich"},
        "Count": {"DataType": "Number", "StringValue": "7"},
    }
    sent = ok(stepyard, "SendMessage", params).find("SendMessageResult")
    assert sent.findtext("MD5OfMessageBody") == md5_of_body("query <body> & more")
    assert sent.findtext("MD5OfMessageAttributes") == md5_of_attributes(expected_attrs)
    message_id = sent.findtext("MessageId")
    assert message_id

    received = ok(
        stepyard,
        "ReceiveMessage",
        {"QueueUrl": url, "MessageAttributeName.1": "All", "AttributeName.1": "All", "MaxNumberOfMessages": "5"},
    )
    messages = received.findall("ReceiveMessageResult/Message")
    assert len(messages) == 1
    message = messages[0]
    assert message.findtext("Body") == "query <body> & more"
    assert message.findtext("MessageId") == message_id
    assert message.findtext("MD5OfBody") == md5_of_body("query <body> & more")
    assert message.findtext("MD5OfMessageAttributes") == md5_of_attributes(expected_attrs)
    attrs = {a.findtext("Name"): {"DataType": a.findtext("Value/DataType"), "StringValue": a.findtext("Value/StringValue")}
             for a in message.findall("MessageAttribute")}
    assert attrs == expected_attrs
    system = {a.findtext("Name"): a.findtext("Value") for a in message.findall("Attribute")}
    assert system["ApproximateReceiveCount"] == "1"
    assert int(system["SentTimestamp"]) > 1_600_000_000_000

    ok(stepyard, "DeleteMessage", {"QueueUrl": url, "ReceiptHandle": message.findtext("ReceiptHandle")})
    attributes = ok(stepyard, "GetQueueAttributes", {"QueueUrl": url, "AttributeName.1": "All"})
    values = {a.findtext("Name"): a.findtext("Value") for a in attributes.findall("GetQueueAttributesResult/Attribute")}
    assert values["ApproximateNumberOfMessages"] == "0"
    assert values["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert values["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:legacy-attrs"
    assert values["VisibilityTimeout"] == "30"


def test_query_create_queue_takes_attributes_as_numbered_name_value_pairs(stepyard):
    url = create(stepyard, "legacy-attributes", **{"Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "5"})
    root = ok(stepyard, "GetQueueAttributes", {"QueueUrl": url, "AttributeName.1": "DelaySeconds"})
    values = {a.findtext("Name"): a.findtext("Value") for a in root.findall("GetQueueAttributesResult/Attribute")}
    assert values == {"DelaySeconds": "5"}


def test_query_request_posted_to_the_queue_url_path_needs_no_queue_url_parameter(stepyard):
    url = create(stepyard, "by-path")
    path = urllib.parse.urlparse(url).path
    ok(stepyard, "SendMessage", {"MessageBody": "addressed by path"}, path=path)
    received = ok(stepyard, "ReceiveMessage", {}, path=path)
    assert [m.findtext("Body") for m in received.findall("ReceiveMessageResult/Message")] == ["addressed by path"]


def test_query_request_without_a_signature_is_still_routed_to_sqs(stepyard):
    url = create(stepyard, "unsigned", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert url.endswith("/unsigned")


def test_query_error_is_an_error_response_with_the_sqs_code(stepyard):
    status, root = call(stepyard, "GetQueueUrl", {"QueueName": "missing"})
    assert status == 400
    assert root.tag == "ErrorResponse"
    assert root.findtext("Error/Code") == "AWS.SimpleQueueService.NonExistentQueue"
    assert root.findtext("Error/Type") == "Sender"
    assert root.findtext("Error/Message")
    assert root.findtext("RequestId")


def test_query_invalid_parameter_is_an_error_response(stepyard):
    url = create(stepyard, "legacy-invalid")
    status, root = call(stepyard, "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": "11"})
    assert status == 400
    assert root.findtext("Error/Code") == "InvalidParameterValue"


def test_query_unknown_action_is_invalid_action(stepyard):
    status, root = call(stepyard, "FlyToTheMoon", {"QueueUrl": "x"})
    assert status == 400
    assert root.findtext("Error/Code") == "InvalidAction"

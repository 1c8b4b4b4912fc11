"""Pointing boto3 at stepyard through the environment instead of endpoint_url."""

import boto3


def test_boto3_uses_aws_endpoint_url_from_the_environment(monkeypatch, endpoint):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    client = boto3.session.Session().client("sqs", region_name="us-east-1")
    url = client.create_queue(QueueName="from-env")["QueueUrl"]
    assert client.meta.endpoint_url == endpoint
    assert url.endswith("/000000000000/from-env")
    client.send_message(QueueUrl=url, MessageBody="env works")
    assert client.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "env works"


def test_boto3_uses_the_service_specific_aws_endpoint_url_sqs(monkeypatch, endpoint):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", endpoint)
    client = boto3.session.Session().client("sqs", region_name="us-east-1")
    assert client.meta.endpoint_url == endpoint
    client.create_queue(QueueName="from-sqs-env")
    assert [u.rsplit("/", 1)[1] for u in client.list_queues()["QueueUrls"]] == ["from-sqs-env"]

"""boto3 (JSON protocol): queues themselves — create, find, list, attributes, tags, permissions, purge."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, queue_arn


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_create_queue_returns_a_url_that_get_queue_url_finds_again(sqs):
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    assert url.endswith(f"/{ACCOUNT_ID}/orders")
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url


def test_create_queue_is_idempotent_with_the_same_attributes(sqs):
    first = sqs.create_queue(QueueName="same", Attributes={"DelaySeconds": "3"})["QueueUrl"]
    again = sqs.create_queue(QueueName="same", Attributes={"DelaySeconds": "3"})["QueueUrl"]
    assert again == first


def test_create_queue_with_different_attributes_is_queue_already_exists(sqs):
    sqs.create_queue(QueueName="taken", Attributes={"DelaySeconds": "1"})
    with pytest.raises(ClientError) as err:
        sqs.create_queue(QueueName="taken", Attributes={"DelaySeconds": "2"})
    assert error_code(err) == "QueueAlreadyExists"


def test_new_queue_has_aws_default_attributes_and_its_arn(sqs):
    url = sqs.create_queue(QueueName="defaults")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["QueueArn"] == queue_arn("defaults")
    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["DelaySeconds"] == "0"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert int(attrs["CreatedTimestamp"]) > 1_600_000_000
    assert "FifoQueue" not in attrs


def test_get_queue_attributes_returns_only_the_names_asked_for(sqs, queue):
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout", "QueueArn"])["Attributes"]
    assert set(attrs) == {"VisibilityTimeout", "QueueArn"}


def test_set_queue_attributes_changes_what_get_queue_attributes_reports(sqs, queue):
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "45", "DelaySeconds": "2"})
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout", "DelaySeconds"])["Attributes"]
    assert attrs == {"VisibilityTimeout": "45", "DelaySeconds": "2"}


def test_set_queue_attributes_rejects_an_out_of_range_value(sqs, queue):
    with pytest.raises(ClientError) as err:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "99999"})
    assert error_code(err) == "InvalidAttributeValue"


def test_standard_queue_rejects_fifo_only_attributes(sqs):
    with pytest.raises(ClientError) as err:
        sqs.create_queue(QueueName="plain", Attributes={"ContentBasedDeduplication": "true"})
    assert error_code(err) == "InvalidAttributeName"


def test_list_queues_filters_by_prefix(sqs):
    for name in ("alpha-1", "alpha-2", "beta-1"):
        sqs.create_queue(QueueName=name)
    urls = sqs.list_queues(QueueNamePrefix="alpha")["QueueUrls"]
    assert sorted(u.rsplit("/", 1)[1] for u in urls) == ["alpha-1", "alpha-2"]
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="gamma")


def test_list_queues_pages_with_max_results_and_next_token(sqs):
    names = {f"page-{i}" for i in range(5)}
    for name in names:
        sqs.create_queue(QueueName=name)
    first = sqs.list_queues(QueueNamePrefix="page-", MaxResults=2)
    assert len(first["QueueUrls"]) == 2 and "NextToken" in first
    seen = list(first["QueueUrls"])
    token = first["NextToken"]
    while token:
        page = sqs.list_queues(QueueNamePrefix="page-", MaxResults=2, NextToken=token)
        seen += page["QueueUrls"]
        token = page.get("NextToken")
    assert sorted(u.rsplit("/", 1)[1] for u in seen) == sorted(names)


def test_delete_queue_makes_it_non_existent(sqs):
    url = sqs.create_queue(QueueName="doomed")["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as err:
        sqs.get_queue_url(QueueName="doomed")
    assert error_code(err) == "AWS.SimpleQueueService.NonExistentQueue"
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="doomed")


def test_tags_can_be_set_at_creation_added_listed_and_removed(sqs):
    url = sqs.create_queue(QueueName="tagged", tags={"team": "payments"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "test", "team": "billing"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "billing", "env": "test"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "test"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert sqs.list_queue_tags(QueueUrl=url).get("Tags", {}) == {}


def _policy_sids(sqs, url):
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
    if "Policy" not in attrs:
        return []
    return [s.get("Sid") for s in json.loads(attrs["Policy"]).get("Statement", [])]


def test_add_permission_writes_a_policy_statement_and_remove_permission_drops_it(sqs, queue):
    sqs.add_permission(QueueUrl=queue, Label="cross-account", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]
    statement = json.loads(attrs["Policy"])["Statement"][0]
    assert statement["Sid"] == "cross-account"
    assert statement["Effect"] == "Allow"
    assert "111122223333" in json.dumps(statement["Principal"])
    assert "SendMessage" in json.dumps(statement["Action"])
    sqs.remove_permission(QueueUrl=queue, Label="cross-account")
    assert "cross-account" not in _policy_sids(sqs, queue)


def test_add_permission_twice_with_one_label_is_invalid_parameter_value(sqs, queue):
    sqs.add_permission(QueueUrl=queue, Label="dup", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    with pytest.raises(ClientError) as err:
        sqs.add_permission(QueueUrl=queue, Label="dup", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    assert error_code(err) == "InvalidParameterValue"


def test_remove_permission_with_an_unknown_label_is_invalid_parameter_value(sqs, queue):
    with pytest.raises(ClientError) as err:
        sqs.remove_permission(QueueUrl=queue, Label="never-added")
    assert error_code(err) == "InvalidParameterValue"


def test_purge_queue_removes_every_message(sqs, queue):
    for i in range(5):
        sqs.send_message(QueueUrl=queue, MessageBody=f"m{i}")
    sqs.purge_queue(QueueUrl=queue)
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)


def test_a_second_purge_within_60_seconds_is_purge_queue_in_progress(sqs, queue):
    sqs.purge_queue(QueueUrl=queue)
    with pytest.raises(ClientError) as err:
        sqs.purge_queue(QueueUrl=queue)
    assert error_code(err) == "AWS.SimpleQueueService.PurgeQueueInProgress"

"""boto3 (JSON 1.0 protocol): Step Functions activities — create, describe, list, tag, delete."""

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def activity_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT_ID}:activity:{name}"


def test_create_describe_list_delete_activity(sfn):
    created = sfn.create_activity(name="approve")
    assert created["activityArn"] == activity_arn("approve")

    described = sfn.describe_activity(activityArn=created["activityArn"])
    assert described["name"] == "approve"
    assert described["activityArn"] == activity_arn("approve")
    assert described["creationDate"] == created["creationDate"]

    sfn.create_activity(name="review")
    listed = sfn.list_activities()["activities"]
    assert sorted((a["name"], a["activityArn"]) for a in listed) == [
        ("approve", activity_arn("approve")),
        ("review", activity_arn("review")),
    ]

    sfn.delete_activity(activityArn=created["activityArn"])
    assert [a["name"] for a in sfn.list_activities()["activities"]] == ["review"]
    with pytest.raises(ClientError) as err:
        sfn.describe_activity(activityArn=created["activityArn"])
    assert error_code(err) == "ActivityDoesNotExist"


def test_create_activity_is_idempotent_by_name(sfn):
    first = sfn.create_activity(name="same")["activityArn"]
    assert sfn.create_activity(name="same")["activityArn"] == first
    assert len(sfn.list_activities()["activities"]) == 1


def test_list_activities_pages(sfn):
    for i in range(3):
        sfn.create_activity(name=f"act-{i}")
    first = sfn.list_activities(maxResults=2)
    assert len(first["activities"]) == 2
    rest = sfn.list_activities(maxResults=2, nextToken=first["nextToken"])
    assert {a["name"] for a in first["activities"] + rest["activities"]} == {"act-0", "act-1", "act-2"}
    assert "nextToken" not in rest


def test_activity_tags(sfn):
    arn = sfn.create_activity(name="tagged", tags=[{"key": "owner", "value": "ops"}])["activityArn"]
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "owner", "value": "ops"}]
    sfn.untag_resource(resourceArn=arn, tagKeys=["owner"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == []


def test_unknown_activity_is_activity_does_not_exist(sfn):
    with pytest.raises(ClientError) as err:
        sfn.describe_activity(activityArn=activity_arn("ghost"))
    assert error_code(err) == "ActivityDoesNotExist"

"""boto3 (JSON 1.0 protocol): Step Functions state machines — CRUD, validation, versions, aliases, tags."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, SFN_ROLE_ARN

PASS = {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "Result": "v1", "End": True}}}
PASS_V2 = {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "Result": "v2", "End": True}}}


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}"


def create(sfn, name, definition=PASS, **kwargs):
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=SFN_ROLE_ARN, **kwargs)


def test_create_then_describe_returns_what_was_stored(sfn):
    created = create(sfn, "orders")
    assert created["stateMachineArn"] == machine_arn("orders")
    described = sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"])
    assert described["name"] == "orders"
    assert described["status"] == "ACTIVE"
    assert described["type"] == "STANDARD"
    assert described["roleArn"] == SFN_ROLE_ARN
    assert json.loads(described["definition"]) == PASS
    assert described["creationDate"] == created["creationDate"]


def test_create_express_machine_reports_its_type(sfn):
    arn = create(sfn, "fast", type="EXPRESS")["stateMachineArn"]
    assert sfn.describe_state_machine(stateMachineArn=arn)["type"] == "EXPRESS"


def test_create_with_same_name_and_different_definition_is_state_machine_already_exists(sfn):
    create(sfn, "taken")
    with pytest.raises(ClientError) as err:
        create(sfn, "taken", definition=PASS_V2)
    assert error_code(err) == "StateMachineAlreadyExists"


def test_create_with_an_invalid_definition_is_invalid_definition(sfn):
    bad = {"StartAt": "Missing", "States": {"Only": {"Type": "Pass", "End": True}}}
    with pytest.raises(ClientError) as err:
        create(sfn, "broken", definition=bad)
    assert error_code(err) == "InvalidDefinition"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Missing" in err.value.response["Error"]["Message"]
    assert sfn.list_state_machines()["stateMachines"] == []


def test_create_with_a_definition_that_is_not_json_is_invalid_definition(sfn):
    with pytest.raises(ClientError) as err:
        sfn.create_state_machine(name="garbage", definition="{not json", roleArn=SFN_ROLE_ARN)
    assert error_code(err) == "InvalidDefinition"


def test_update_changes_the_definition_and_issues_a_revision(sfn):
    arn = create(sfn, "evolving")["stateMachineArn"]
    before = sfn.describe_state_machine(stateMachineArn=arn)
    # As recorded against AWS: a machine has no revisionId until an update changes it.
    assert "revisionId" not in before
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_V2))
    assert updated["revisionId"]
    after = sfn.describe_state_machine(stateMachineArn=arn)
    assert json.loads(after["definition"]) == PASS_V2
    assert after["revisionId"] == updated["revisionId"]


def test_update_with_an_invalid_definition_is_rejected_and_keeps_the_old_one(sfn):
    arn = create(sfn, "stable")["stateMachineArn"]
    with pytest.raises(ClientError) as err:
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps({"StartAt": "X", "States": {}}))
    assert error_code(err) == "InvalidDefinition"
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == PASS


def test_list_state_machines_lists_every_machine_and_pages(sfn):
    for name in ("a-one", "a-two", "a-three"):
        create(sfn, name)
    listed = sfn.list_state_machines()["stateMachines"]
    assert sorted(m["name"] for m in listed) == ["a-one", "a-three", "a-two"]
    assert {m["stateMachineArn"] for m in listed} == {machine_arn(n) for n in ("a-one", "a-two", "a-three")}
    assert all(m["type"] == "STANDARD" for m in listed)

    first = sfn.list_state_machines(maxResults=2)
    assert len(first["stateMachines"]) == 2
    rest = sfn.list_state_machines(maxResults=2, nextToken=first["nextToken"])
    assert len(rest["stateMachines"]) == 1
    assert "nextToken" not in rest
    paged = {m["name"] for m in first["stateMachines"] + rest["stateMachines"]}
    assert paged == {"a-one", "a-two", "a-three"}


def test_delete_removes_the_machine(sfn):
    arn = create(sfn, "doomed")["stateMachineArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    assert sfn.list_state_machines()["stateMachines"] == []
    with pytest.raises(ClientError) as err:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert error_code(err) == "StateMachineDoesNotExist"


def test_unknown_machine_is_state_machine_does_not_exist(sfn):
    with pytest.raises(ClientError) as err:
        sfn.describe_state_machine(stateMachineArn=machine_arn("ghost"))
    assert error_code(err) == "StateMachineDoesNotExist"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as err:
        sfn.start_execution(stateMachineArn=machine_arn("ghost"))
    assert error_code(err) == "StateMachineDoesNotExist"


def test_a_malformed_arn_is_invalid_arn(sfn):
    with pytest.raises(ClientError) as err:
        sfn.describe_state_machine(stateMachineArn="not-an-arn")
    assert error_code(err) == "InvalidArn"


def test_validate_accepts_a_good_definition(sfn):
    result = sfn.validate_state_machine_definition(definition=json.dumps(PASS))
    assert result["result"] == "OK"
    assert result["diagnostics"] == []


def test_validate_reports_diagnostics_for_a_bad_definition(sfn):
    bad = {"StartAt": "Missing", "States": {"Only": {"Type": "Pass", "End": True}}}
    result = sfn.validate_state_machine_definition(definition=json.dumps(bad))
    assert result["result"] == "FAIL"
    assert result["truncated"] is False
    by_location = {d["location"]: d for d in result["diagnostics"]}
    assert by_location["/StartAt"]["severity"] == "ERROR"
    assert by_location["/StartAt"]["code"] == "MISSING_TRANSITION_TARGET"
    assert "Missing" in by_location["/StartAt"]["message"]
    assert "/States/Only" in by_location  # unreachable state


def test_publish_on_create_and_update_makes_numbered_versions(sfn):
    created = create(sfn, "versioned", publish=True, versionDescription="first")
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == arn + ":1"

    updated = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_V2), publish=True)
    assert updated["stateMachineVersionArn"] == arn + ":2"

    v1 = sfn.describe_state_machine(stateMachineArn=arn + ":1")
    assert json.loads(v1["definition"]) == PASS
    assert v1["description"] == "first"
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn + ":2")["definition"]) == PASS_V2

    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [arn + ":2", arn + ":1"]  # newest first


def test_publish_state_machine_version_and_delete_version(sfn):
    arn = create(sfn, "pub")["stateMachineArn"]
    published = sfn.publish_state_machine_version(stateMachineArn=arn, description="release")
    assert published["stateMachineVersionArn"] == arn + ":1"
    sfn.delete_state_machine_version(stateMachineVersionArn=arn + ":1")
    assert sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"] == []


def test_alias_routes_to_a_version_and_can_be_updated_and_deleted(sfn):
    arn = create(sfn, "aliased", publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_V2), publish=True)

    alias = sfn.create_state_machine_alias(
        name="live",
        description="production",
        routingConfiguration=[{"stateMachineVersionArn": arn + ":1", "weight": 100}],
    )
    assert alias["stateMachineAliasArn"] == arn + ":live"

    described = sfn.describe_state_machine_alias(stateMachineAliasArn=arn + ":live")
    assert described["name"] == "live"
    assert described["description"] == "production"
    assert described["routingConfiguration"] == [{"stateMachineVersionArn": arn + ":1", "weight": 100}]

    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in listed] == [arn + ":live"]

    sfn.update_state_machine_alias(
        stateMachineAliasArn=arn + ":live",
        routingConfiguration=[{"stateMachineVersionArn": arn + ":2", "weight": 100}],
    )
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=arn + ":live")
    assert described["routingConfiguration"] == [{"stateMachineVersionArn": arn + ":2", "weight": 100}]

    sfn.delete_state_machine_alias(stateMachineAliasArn=arn + ":live")
    assert sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"] == []
    with pytest.raises(ClientError) as err:
        sfn.describe_state_machine_alias(stateMachineAliasArn=arn + ":live")
    assert error_code(err) == "ResourceNotFound"


def test_a_version_an_alias_points_to_cannot_be_deleted(sfn):
    arn = create(sfn, "pinned", publish=True)["stateMachineArn"]
    sfn.create_state_machine_alias(name="prod", routingConfiguration=[{"stateMachineVersionArn": arn + ":1", "weight": 100}])
    with pytest.raises(ClientError) as err:
        sfn.delete_state_machine_version(stateMachineVersionArn=arn + ":1")
    assert error_code(err) == "ConflictException"


def test_tags_on_create_tag_untag_and_list(sfn):
    arn = create(sfn, "tagged", tags=[{"key": "team", "value": "core"}])["stateMachineArn"]
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "core"}]

    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}, {"key": "team", "value": "edge"}])
    tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"team": "edge", "env": "dev"}

    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]


def test_tagging_an_unknown_resource_is_resource_not_found(sfn):
    with pytest.raises(ClientError) as err:
        sfn.tag_resource(resourceArn=machine_arn("ghost"), tags=[{"key": "k", "value": "v"}])
    assert error_code(err) == "ResourceNotFound"

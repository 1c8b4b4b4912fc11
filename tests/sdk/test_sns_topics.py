"""boto3 (query protocol): SNS topics, subscriptions, publish errors, SMS and platform calls."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, queue_arn
from sns_fixtures import sns  # noqa: F401  (fixture)


def error(excinfo):
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_topic_is_idempotent_and_listed(sns):
    arn = sns.create_topic(Name="orders")["TopicArn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:orders"
    assert sns.create_topic(Name="orders")["TopicArn"] == arn
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [arn]


def test_topic_attributes_defaults_and_updates(sns):
    arn = sns.create_topic(Name="t", Attributes={"DisplayName": "Tee"})["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="alias/aws/sns")
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["DisplayName"] == "Tee"
    assert attrs["KmsMasterKeyId"] == "alias/aws/sns"
    assert attrs["Owner"] == ACCOUNT_ID
    assert json.loads(attrs["Policy"])["Statement"][0]["Resource"] == arn


def test_fifo_topic_needs_the_suffix(sns):
    with pytest.raises(ClientError) as err:
        sns.create_topic(Name="nofifo", Attributes={"FifoTopic": "true"})
    assert error(err)[0] == "InvalidParameter"
    arn = sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["FifoTopic"] == "true"


def test_missing_topic_is_not_found(sns):
    with pytest.raises(ClientError) as err:
        sns.get_topic_attributes(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:nope")
    assert error(err) == ("NotFound", "Topic does not exist", 404)


def test_tags(sns):
    arn = sns.create_topic(Name="t", Tags=[{"Key": "a", "Value": "1"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    sns.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_subscribe_list_and_unsubscribe(sns):
    arn = sns.create_topic(Name="t")["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn("q"),
                        Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == [sub]
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    assert attrs["PendingConfirmation"] == "false"
    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions()["Subscriptions"] == []


def test_publish_errors_are_aws_shaped(sns):
    arn = sns.create_topic(Name="t")["TopicArn"]
    with pytest.raises(ClientError) as err:
        sns.publish(TopicArn=arn, Message="")
    assert error(err) == ("InvalidParameter", "Invalid parameter: Empty message", 400)
    with pytest.raises(ClientError) as err:
        sns.publish(TopicArn=arn, Message="x", MessageAttributes={"n": {"DataType": "Number", "StringValue": "z"}})
    assert error(err)[0] == "ParameterValueInvalid"


def test_publish_batch_partial_failure(sns):
    arn = sns.create_topic(Name="t")["TopicArn"]
    out = sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "ok", "Message": "fine"},
        {"Id": "bad", "Message": "{", "MessageStructure": "json"},
    ])
    assert [e["Id"] for e in out["Successful"]] == ["ok"]
    assert out["Failed"][0]["Id"] == "bad"
    assert out["Failed"][0]["Code"] == "InvalidParameter"
    assert out["Failed"][0]["SenderFault"] is True


def test_sms_and_sandbox_for_a_new_account(sns):
    assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15555550100")["isOptedOut"] is False
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is True
    assert sns.list_origination_numbers()["PhoneNumbers"] == []
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Promotional"})
    assert sns.get_sms_attributes()["attributes"] == {"DefaultSMSType": "Promotional"}


def test_platform_application_round_trip(sns):
    app = sns.create_platform_application(Name="app", Platform="GCM",
                                          Attributes={"PlatformCredential": "key"})["PlatformApplicationArn"]
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="tok")["EndpointArn"]
    assert sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]["Token"] == "tok"
    sns.delete_platform_application(PlatformApplicationArn=app)
    with pytest.raises(ClientError) as err:
        sns.get_platform_application_attributes(PlatformApplicationArn=app)
    assert error(err)[0] == "NotFound"


@pytest.fixture
def unvalidated_sns(endpoint):
    """An SNS client that sends what it is given, as a hand-built request would."""
    import boto3
    from botocore.config import Config

    from conftest import CLIENT_CONFIG

    return boto3.session.Session().client(
        "sns",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=REGION,
        config=CLIENT_CONFIG.merge(Config(parameter_validation=False)),
    )


def test_an_attribute_without_a_data_type_is_named_by_its_member_path(unvalidated_sns):
    arn = unvalidated_sns.create_topic(Name="t")["TopicArn"]
    with pytest.raises(ClientError) as e:
        unvalidated_sns.publish(TopicArn=arn, Message="x", MessageAttributes={"Attr.One": {"StringValue": "v"}})
    assert error(e) == (
        "ValidationError",
        "1 validation error detected: Value null at 'messageAttributes.Attr.One.member.dataType' failed to satisfy constraint: Member must not be null",
        400,
    )
    with pytest.raises(ClientError) as e:
        unvalidated_sns.publish_batch(
            TopicArn=arn,
            PublishBatchRequestEntries=[
                {"Id": "a", "Message": "x"},
                {"Id": "b", "Message": "y", "MessageAttributes": {"attr1": {"StringValue": "v"}}},
            ],
        )
    assert error(e) == (
        "ValidationError",
        "1 validation error detected: Value null at 'publishBatchRequestEntries.2.member.messageAttributes.attr1.member.dataType' failed to satisfy constraint: Member must not be null",
        400,
    )


def test_a_missing_subscription_arn_is_no_value_for_required_parameter(unvalidated_sns):
    for call in (
        lambda: unvalidated_sns.unsubscribe(),
        lambda: unvalidated_sns.get_subscription_attributes(),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == (
            "InvalidParameter",
            "Invalid parameter: SubscriptionArn Reason: no value for required parameter",
            400,
        )


def test_a_malformed_arn_parameter_says_how_many_elements_it_has(sns):
    for call, parameter in (
        (lambda: sns.get_platform_application_attributes(PlatformApplicationArn="invalid-arn"), "PlatformApplicationArn"),
        (
            lambda: sns.set_platform_application_attributes(PlatformApplicationArn="a:b", Attributes={"Enabled": "true"}),
            "PlatformApplicationArn",
        ),
        (lambda: sns.get_subscription_attributes(SubscriptionArn="nope"), "SubscriptionArn"),
        (
            lambda: sns.set_subscription_attributes(
                SubscriptionArn="a:b:c", AttributeName="RawMessageDelivery", AttributeValue="true"
            ),
            "SubscriptionArn",
        ),
    ):
        with pytest.raises(ClientError) as e:
            call()
        code, message, status = error(e)
        assert (code, status) == ("InvalidParameter", 400)
        assert message.startswith(f"Invalid parameter: {parameter} Reason: An ARN must have at least 6 elements, not "), message
    with pytest.raises(ClientError) as e:
        sns.get_platform_application_attributes(PlatformApplicationArn="invalid-arn")
    assert error(e)[1] == "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 elements, not 1"


def test_a_platform_principal_without_a_credential_is_refused_on_every_platform(sns):
    for platform in ("GCM", "APNS", "ADM"):
        with pytest.raises(ClientError) as e:
            sns.create_platform_application(Name="app", Platform=platform, Attributes={"PlatformPrincipal": "p"})
        assert error(e) == (
            "InvalidParameter",
            "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential",
            400,
        )

"""STS through boto3 and the AWS CLI: GetCallerIdentity and AssumeRole, whose temporary
credentials then act in the role's account on the other services."""

import boto3
import botocore.exceptions
import pytest
from conftest import CLIENT_CONFIG, REGION


def client(endpoint, service, key="test", secret="test", token=None):
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=REGION,
        config=CLIENT_CONFIG,
    )


def test_boto3_assumed_role_credentials_act_in_the_role_account(endpoint):
    assumed = client(endpoint, "sts").assume_role(
        RoleArn="arn:aws:iam::210987654321:role/deployer", RoleSessionName="pytest"
    )
    creds = assumed["Credentials"]
    assert assumed["AssumedRoleUser"]["Arn"] == "arn:aws:sts::210987654321:assumed-role/deployer/pytest"
    as_role = dict(key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])

    me = client(endpoint, "sts", **as_role).get_caller_identity()
    assert me["Account"] == "210987654321"
    assert me["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    assert me["UserId"] == assumed["AssumedRoleUser"]["AssumedRoleId"]

    topic = client(endpoint, "sns", **as_role).create_topic(Name="from-role")["TopicArn"]
    assert topic == "arn:aws:sns:us-east-1:210987654321:from-role"


def test_boto3_assume_role_with_a_malformed_arn_is_a_validation_error(endpoint):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client(endpoint, "sts").assume_role(RoleArn="arn:aws:iam::1234:role/not-an-account", RoleSessionName="s1")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["Error"]["Message"] == "Request ARN is invalid"


def test_cli_get_caller_identity_is_the_root_user(aws_cli):
    _, me, _ = aws_cli("sts", "get-caller-identity")
    assert me == {"UserId": "000000000000", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}

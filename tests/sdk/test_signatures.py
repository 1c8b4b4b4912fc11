"""--verify-signatures from boto3 (SQS over JSON, SNS over query, EventBridge, Step Functions,
STS): the right secret passes, a wrong secret or an unknown key fails with the code each service
returns, and AssumeRole's temporary credentials verify. Also --admin-token from a plain client."""

import boto3
import botocore.exceptions
import pytest

from conftest import CLIENT_CONFIG, REGION, _start, _stop
from test_console import Console, browser  # noqa: F401  (fixture)

KEY = "AKIABOTO3SIGNED"
SECRET = "boto3/secret+with=symbols"


@pytest.fixture(scope="module")
def verifying():
    """A second stepyard that verifies signatures and guards its own endpoints with a token."""
    server = _start({
        "STEPYARD_VERIFY_SIGNATURES": "true",
        "STEPYARD_CREDENTIALS": f"{KEY}:{SECRET},second:pair",
        "STEPYARD_ADMIN_TOKEN": "boto3-token",
    })
    try:
        yield server
    finally:
        _stop(server)


def client(server, service, key=KEY, secret=SECRET, token=None):
    return boto3.session.Session().client(
        service,
        endpoint_url=server.url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=REGION,
        config=CLIENT_CONFIG,
    )


CALLS = {
    "sqs": lambda c: c.list_queues(),
    "sns": lambda c: c.list_topics(),
    "events": lambda c: c.list_event_buses(),
    "stepfunctions": lambda c: c.list_state_machines(),
    "sts": lambda c: c.get_caller_identity(),
}

WRONG_SECRET = {
    "sqs": "SignatureDoesNotMatch",
    "sns": "SignatureDoesNotMatch",
    "sts": "SignatureDoesNotMatch",
    "events": "InvalidSignatureException",
    "stepfunctions": "InvalidSignatureException",
}

UNKNOWN_KEY = {
    "sqs": "InvalidClientTokenId",
    "sns": "InvalidClientTokenId",
    "sts": "InvalidClientTokenId",
    "events": "UnrecognizedClientException",
    "stepfunctions": "UnrecognizedClientException",
}


def error_code(call):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


@pytest.mark.parametrize("service", sorted(CALLS))
def test_the_right_secret_passes(verifying, service):
    CALLS[service](client(verifying, service))
    CALLS[service](client(verifying, service, "second", "pair"))


@pytest.mark.parametrize("service", sorted(CALLS))
def test_a_wrong_secret_fails_with_the_services_signature_error(verifying, service):
    code, message = error_code(lambda: CALLS[service](client(verifying, service, secret="wrong")))
    assert code == WRONG_SECRET[service]
    assert message.startswith("The request signature we calculated does not match the signature you provided.")


@pytest.mark.parametrize("service", sorted(CALLS))
def test_an_unknown_key_fails_as_an_invalid_token(verifying, service):
    code, message = error_code(lambda: CALLS[service](client(verifying, service, key="AKIANOBODY")))
    assert (code, message) == (UNKNOWN_KEY[service], "The security token included in the request is invalid.")


def test_messages_with_every_kind_of_character_verify(verifying):
    sqs = client(verifying, "sqs")
    url = sqs.create_queue(QueueName="signed-bodies")["QueueUrl"]
    body = "spaces  and + / = & ? % ü 😀 <xml>"
    sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
        "a.b": {"DataType": "String", "StringValue": "c=d&e"}})
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert got[0]["Body"] == body
    sns = client(verifying, "sns")
    arn = sns.create_topic(Name="signed", Attributes={"DisplayName": "a & b = c"})["TopicArn"]
    sns.publish(TopicArn=arn, Message=body, Subject="s p a c e s")


def test_assumed_role_credentials_verify(verifying):
    creds = client(verifying, "sts").assume_role(
        RoleArn="arn:aws:iam::111122223333:role/boto3", RoleSessionName="boto3-session")["Credentials"]
    temporary = client(verifying, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert temporary.get_caller_identity()["Account"] == "111122223333"
    code, _ = error_code(lambda: client(verifying, "sqs", creds["AccessKeyId"], "wrong",
                                        creds["SessionToken"]).list_queues())
    assert code == "SignatureDoesNotMatch"


def test_the_admin_token_guards_reset_but_not_health(verifying):
    assert verifying.http("POST", "/_stepyard/reset")[0] == 401
    assert verifying.http("POST", "/_stepyard/reset", headers={"X-Stepyard-Token": "boto3-token"})[0] == 200
    assert verifying.http("GET", "/_stepyard/health")[0] == 200
    assert verifying.http("GET", "/_stepyard/ui")[0] == 200


def test_the_default_server_accepts_any_signature(sqs, endpoint):
    anyone = boto3.session.Session().client(
        "sqs", endpoint_url=endpoint, aws_access_key_id="who", aws_secret_access_key="ever",
        region_name=REGION, config=CLIENT_CONFIG)
    anyone.list_queues()



def test_the_console_works_with_an_admin_token_and_verified_signatures(verifying, browser):
    """Opened once as /_stepyard/ui?token=..., the page's cookie carries its calls (its own
    endpoints and its unsigned AWS API calls) on a server that verifies signatures."""
    client(verifying, "sqs").create_queue(QueueName="behind-a-token")
    console = Console(browser, verifying.url)
    browser.get(f"{verifying.url}/_stepyard/ui?token=boto3-token#/")
    console.wait_for("main[data-loaded='true']")
    console.wait_for("a[data-resource='queue:behind-a-token']")
    assert console.errors() == []

"""boto3 SNS client fixture for the test_sns_* files (imported by them)."""

import boto3
import pytest

from conftest import CLIENT_CONFIG, REGION


@pytest.fixture(scope="session")
def sns(endpoint):
    """A boto3 SNS client (query protocol, XML responses) pointed at stepyard."""
    return boto3.session.Session().client(
        "sns",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=REGION,
        config=CLIENT_CONFIG,
    )

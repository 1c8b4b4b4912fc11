"""boto3 EventBridge client fixture for the files that use EventBridge (imported by them)."""

import boto3
import pytest

from conftest import CLIENT_CONFIG, REGION


@pytest.fixture(scope="session")
def events(endpoint):
    """A boto3 EventBridge client pointed at stepyard."""
    return boto3.session.Session().client(
        "events",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=REGION,
        config=CLIENT_CONFIG,
    )

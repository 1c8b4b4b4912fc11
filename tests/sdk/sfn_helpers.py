"""Step Functions helpers shared by the test_sfn_* files: create a machine, wait for an
execution to end."""

import json

from conftest import ACCOUNT_ID, wait_until

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/stepyard"


def machine(sfn, name, definition, **kw):
    return sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE, **kw
    )["stateMachineArn"]


def finished(sfn, execution_arn):
    result = {}

    def done():
        result.update(sfn.describe_execution(executionArn=execution_arn))
        return result["status"] != "RUNNING"

    wait_until(done)
    return result

"""The AWS CLI (v1) against stepyard's Step Functions, as a user would run it with --endpoint-url."""

import json
import os
import pathlib
import subprocess
import sys

from conftest import REGION, SFN_ROLE_ARN, wait_until

DEFINITION = {
    "StartAt": "Greet",
    "States": {
        "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def test_cli_creates_a_state_machine_starts_and_describes_an_execution(aws_cli):
    _, created, _ = aws_cli(
        "stepfunctions", "create-state-machine", "--name", "cli-machine",
        "--definition", json.dumps(DEFINITION), "--role-arn", SFN_ROLE_ARN,
    )
    arn = created["stateMachineArn"]
    assert arn == "arn:aws:states:us-east-1:000000000000:stateMachine:cli-machine"

    _, started, _ = aws_cli("stepfunctions", "start-execution", "--state-machine-arn", arn, "--name", "cli-run", "--input", '{"who": "cli"}')
    assert started["executionArn"] == "arn:aws:states:us-east-1:000000000000:execution:cli-machine:cli-run"

    def succeeded():
        _, described, _ = aws_cli("stepfunctions", "describe-execution", "--execution-arn", started["executionArn"])
        return described if described["status"] != "RUNNING" else None

    described = wait_until(succeeded, timeout=10, interval=0.2)
    assert described is not None, "execution still RUNNING"
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"greeting": "hello cli"}


def test_cli_reports_a_missing_execution_with_the_aws_error_code(aws_cli):
    code, _, stderr = aws_cli(
        "stepfunctions", "describe-execution", "--execution-arn",
        "arn:aws:states:us-east-1:000000000000:execution:nothing:here", check=False,
    )
    assert code != 0
    assert "ExecutionDoesNotExist" in stderr


def run_cli_with_env(endpoint, extra_env, *args):
    """Like the aws_cli fixture, but with extra environment variables (the fixture's env is fixed)."""
    aws = pathlib.Path(sys.executable).parent / "aws"
    base = [str(aws)] if aws.exists() else [sys.executable, "-m", "awscli"]
    return subprocess.run(
        [*base, *args, "--endpoint-url", endpoint, "--region", REGION, "--output", "json"],
        capture_output=True, text=True, env=dict(os.environ, **extra_env), stdin=subprocess.DEVNULL, timeout=60,
    )


def test_cli_start_sync_execution_needs_host_prefix_injection_disabled(aws_cli, endpoint):
    """The CLI (its vendored botocore) also sends StartSyncExecution to sync-<host>, even with
    --endpoint-url; AWS_DISABLE_HOST_PREFIX_INJECTION=true turns that off."""
    _, created, _ = aws_cli(
        "stepfunctions", "create-state-machine", "--name", "cli-express", "--type", "EXPRESS",
        "--definition", json.dumps(DEFINITION), "--role-arn", SFN_ROLE_ARN,
    )
    args = ("stepfunctions", "start-sync-execution", "--state-machine-arn", created["stateMachineArn"], "--input", '{"who": "sync"}')
    host = endpoint.split("://", 1)[1]

    # AWS_MAX_ATTEMPTS=1: without it the CLI retries the connection error with backoff for ~7 s.
    failed = run_cli_with_env(endpoint, {"AWS_MAX_ATTEMPTS": "1"}, *args)
    assert failed.returncode == 255
    assert f'Could not connect to the endpoint URL: "http://sync-{host}/"' in failed.stderr

    done = run_cli_with_env(endpoint, {"AWS_DISABLE_HOST_PREFIX_INJECTION": "true"}, *args)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"greeting": "hello sync"}

"""Harness for the cross-language suite: one stepyard process for the whole session.

The binary comes from $STEPYARD_BIN, else target/debug/stepyard (scripts/test builds it). It is
started on --port 0; the URL is read from its "stepyard ready on http://..." log line. Every test
starts from an empty server (POST /_stepyard/reset), so tests can reuse queue names.
"""

from __future__ import annotations

import collections
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

REPO = pathlib.Path(__file__).resolve().parents[2]
READY = re.compile(r"stepyard ready on (http://[^\s]+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
START_TIMEOUT_S = 20
TEST_TIMEOUT_S = 60
ACCOUNT_ID = "000000000000"
REGION = "us-east-1"

# Make boto3 and the AWS CLI blind to whatever AWS setup the machine has: fixed dummy
# credentials, one region, and no config or credentials files.
_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"):
    os.environ.pop(_name, None)
os.environ.update(_AWS_ENV)


def binary_path() -> pathlib.Path:
    configured = os.environ.get("STEPYARD_BIN")
    path = pathlib.Path(configured) if configured else REPO / "target" / "debug" / "stepyard"
    if not path.is_absolute():
        path = REPO / path
    return path


class Stepyard:
    """A running stepyard process and its captured log."""

    def __init__(self, proc: subprocess.Popen, url: str, log: collections.deque):
        self.proc = proc
        self.url = url
        self.log = log

    def http(self, method: str, path: str, body: bytes | None = None, headers=None):
        """(status, headers, body bytes) of a raw request; HTTP errors are returned, not raised."""
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read()

    def reset(self) -> None:
        status, _, body = self.http("POST", "/_stepyard/reset")
        assert status == 200, f"reset failed: {status} {body!r}"


def _start(extra_env: dict | None = None) -> Stepyard:
    path = binary_path()
    if not path.exists():
        pytest.exit(f"stepyard binary not found at {path}: run `cargo build` or set STEPYARD_BIN", 2)
    env = dict(os.environ, NO_COLOR="1")
    for name in ("STEPYARD_HOST", "STEPYARD_PORT", "STEPYARD_CLOCK", "STEPYARD_CLOCK_START"):
        env.pop(name, None)
    env.update(extra_env or {})
    proc = subprocess.Popen(
        [str(path), "--host", "127.0.0.1", "--port", "0", "--log-level", "info"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    log: collections.deque = collections.deque(maxlen=500)
    found = threading.Event()
    url: list[str] = []

    # Drain the log for the whole run so the server never blocks on a full pipe.
    def pump() -> None:
        for raw in proc.stdout:
            line = ANSI.sub("", raw.decode("utf-8", "replace")).rstrip("\n")
            log.append(line)
            if not found.is_set():
                match = READY.search(line)
                if match:
                    url.append(match.group(1).rstrip("/"))
                    found.set()
        found.set()  # EOF: the process died before (or after) getting ready

    threading.Thread(target=pump, name="stepyard-log", daemon=True).start()
    if not found.wait(START_TIMEOUT_S) or not url:
        proc.kill()
        proc.wait()
        pytest.exit("stepyard did not log its ready line; log:\n" + "\n".join(log), 2)
    return Stepyard(proc, url[0], log)


def _stop(server: Stepyard) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


@pytest.fixture(scope="session")
def stepyard():
    server = _start()
    try:
        yield server
    finally:
        _stop(server)


@pytest.fixture(scope="session")
def endpoint(stepyard) -> str:
    return stepyard.url


@pytest.fixture(autouse=True)
def _fresh_server_and_time_limit(request, stepyard):
    """Empty server before each test; a test that runs past TEST_TIMEOUT_S fails instead of hanging."""
    if stepyard.proc.poll() is not None:
        pytest.fail("stepyard exited (code %s); log:\n%s" % (stepyard.proc.returncode, "\n".join(stepyard.log)))
    stepyard.reset()

    def on_alarm(signum, frame):
        raise TimeoutError(f"{request.node.name} ran longer than {TEST_TIMEOUT_S}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_TIMEOUT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def pytest_runtest_makereport(item, call):
    """On a failure, attach the server's recent log lines to the report."""
    if call.when == "call" and call.excinfo is not None:
        server = getattr(item, "funcargs", {}).get("stepyard")
        if server is not None:
            tail = "\n".join(list(server.log)[-40:])
            item.add_report_section("call", "stepyard log (last 40 lines)", tail)


# A client that fails fast: no retries (a 500 or throttling error must surface as a failure)
# and short timeouts (long polls in these tests wait at most 20 s).
CLIENT_CONFIG = Config(
    region_name=REGION,
    retries={"total_max_attempts": 1, "mode": "standard"},  # max_attempts would mean one retry
    connect_timeout=5,
    read_timeout=40,
)


@pytest.fixture(scope="session")
def sqs(endpoint):
    """A boto3 SQS client (JSON protocol) pointed at stepyard with endpoint_url."""
    return boto3.session.Session().client(
        "sqs",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=REGION,
        config=CLIENT_CONFIG,
    )


@pytest.fixture
def queue(sqs, request):
    """A fresh standard queue's URL."""
    return sqs.create_queue(QueueName="q-" + re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)[:60])["QueueUrl"]


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"


@pytest.fixture(scope="session")
def aws_cli(endpoint):
    """Runs `aws <args> --endpoint-url ... --output json`; returns (exit code, parsed stdout, stderr)."""
    aws = pathlib.Path(sys.executable).parent / "aws"
    base = [str(aws)] if aws.exists() else [sys.executable, "-m", "awscli"]
    env = dict(os.environ, **_AWS_ENV)

    def run(*args: str, check: bool = True):
        done = subprocess.run(
            [*base, *args, "--endpoint-url", endpoint, "--region", REGION, "--output", "json"],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} exited {done.returncode}: {done.stderr}")
        out = json.loads(done.stdout) if done.stdout.strip() else None
        return done.returncode, out, done.stderr

    return run


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.05):
    """Polls predicate() until it returns a truthy value (returned) or the timeout passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


SFN_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/sfn"


def sfn_client(endpoint: str, **config):
    """A boto3 Step Functions client (JSON 1.0 protocol) pointed at stepyard; extra Config options merge in."""
    return boto3.session.Session().client(
        "stepfunctions",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=REGION,
        config=CLIENT_CONFIG.merge(Config(**config)) if config else CLIENT_CONFIG,
    )


@pytest.fixture(scope="session")
def sfn(endpoint):
    """A boto3 Step Functions client with botocore's defaults (host prefix injection on)."""
    return sfn_client(endpoint)

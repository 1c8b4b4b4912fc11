"""stepyard's own endpoints, and the suite's promise that every SQS operation is exercised."""

import json
import pathlib
import re

from botocore import xform_name

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]


def test_health_reports_running_and_sqs(stepyard):
    status, _, body = stepyard.http("GET", "/_stepyard/health")
    assert status == 200
    health = json.loads(body)
    assert health["status"] == "running"
    assert health["services"]["sqs"] == "running"


def test_localstack_health_shape_for_tools_that_wait_on_localstack(stepyard):
    status, _, body = stepyard.http("GET", "/_localstack/health")
    assert status == 200
    assert json.loads(body)["services"]["sqs"] in ("running", "available")


def test_reset_empties_the_server(stepyard, sqs):
    sqs.create_queue(QueueName="before-reset")
    status, _, body = stepyard.http("POST", "/_stepyard/reset?service=sqs")
    assert status == 200 and "sqs" in json.loads(body)["reset"]
    assert "QueueUrls" not in sqs.list_queues()


def test_every_sqs_operation_in_the_api_model_is_called_by_this_suite():
    model = json.loads((REPO / "api-models" / "sqs.json").read_text())
    operations = sorted(model["operations"])
    assert len(operations) == 23
    source = "\n".join(p.read_text() for p in HERE.glob("test_*.py"))
    missing = [op for op in operations if not re.search(rf"\.{xform_name(op)}\(", source)]
    assert missing == []

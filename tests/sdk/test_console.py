"""The web console at /_stepyard/ui: its JSON endpoints over HTTP, and its pages in a real
browser (Debian's chromium, driven through its chromedriver over WebDriver with Selenium).

Without chromium and chromedriver the browser tests are skipped, saying so; under CI=true they
fail instead, since CI installs both (.ci/run). With STEPYARD_SCREENSHOTS=<dir> the order
workflow test also saves the screenshots the README shows (docs/console-*.png).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile
import time
import urllib.parse

import boto3
import pytest

from conftest import ACCOUNT_ID, CLIENT_CONFIG, REGION, queue_arn, wait_until
from events_fixtures import events  # noqa: F401  (fixture)
from sfn_helpers import finished, machine
from sns_fixtures import sns  # noqa: F401  (fixture)

CHROMIUM = os.environ.get("STEPYARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("STEPYARD_CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
# On a closed network Chromium's own background connections stall it; these keep it offline.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1500,1100",
]
PAGE_TIMEOUT_S = 15


# ---- the console's own endpoints, over HTTP


def peek(stepyard, arn: str, **params):
    query = urllib.parse.urlencode({"queueArn": arn, **params})
    status, _, body = stepyard.http("GET", f"/_stepyard/sqs/peek?{query}")
    return status, json.loads(body)


def test_peek_shows_messages_without_receiving_them(stepyard, sqs):
    url = sqs.create_queue(QueueName="peeked")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="first", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"}})
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    received = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]
    sqs.send_message(QueueUrl=url, MessageBody="second")

    for _ in range(3):
        status, view = peek(stepyard, queue_arn("peeked"))
        assert status == 200, view
    assert view["counts"] == {"visible": 1, "inflight": 1, "delayed": 1}
    shown = {m["Body"]: m for m in view["messages"]}
    assert [m["Body"] for m in view["messages"]] == ["first", "later", "second"]
    assert shown["first"]["State"] == "inflight" and shown["first"]["MessageId"] == received["MessageId"]
    assert shown["first"]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert shown["first"]["MessageAttributes"]["kind"]["StringValue"] == "order"
    assert shown["later"]["State"] == "delayed" and shown["later"]["VisibleAt"] > 0
    assert shown["second"]["State"] == "visible"
    assert shown["second"]["Attributes"]["ApproximateReceiveCount"] == "0"
    assert "ReceiptHandle" not in shown["second"]

    # Peeking three times changed nothing: the visible message is received for the first
    # time, and the one in flight stays in flight.
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in again] == [("second", "1")]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "2"


def test_peek_answers_400_without_a_queue_and_404_for_a_missing_one(stepyard):
    status, body = peek(stepyard, "")
    assert status == 400 and "queueArn" in body["error"]
    status, body = peek(stepyard, queue_arn("missing"))
    assert status == 404 and "missing" in body["error"]
    status, body = peek(stepyard, queue_arn("missing"), max="0")
    assert status == 400 and "max" in body["error"]


def test_peek_shows_at_most_max_messages_oldest_first(stepyard, sqs):
    url = sqs.create_queue(QueueName="many")["QueueUrl"]
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    status, view = peek(stepyard, queue_arn("many"), max="2")
    assert status == 200
    assert [m["Body"] for m in view["messages"]] == ["m0", "m1"]
    assert view["counts"]["visible"] == 5


def client(service: str, region: str = REGION, key: str = "test", endpoint: str = ""):
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key="test",
        region_name=region, config=CLIENT_CONFIG)


def test_regions_lists_every_account_and_region_holding_resources(stepyard, endpoint, sqs, events):
    sqs.create_queue(QueueName="here")
    client("sqs", "eu-west-1", "111111111111", endpoint).create_queue(QueueName="there")
    client("sns", "ap-southeast-2", endpoint=endpoint).create_topic(Name="far")
    client("events", "us-west-2", endpoint=endpoint).put_rule(Name="r", ScheduleExpression="rate(1 day)")
    client("stepfunctions", "us-west-2", endpoint=endpoint).create_state_machine(
        name="m", roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/r",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    # A region touched only by a read holds nothing (EventBridge's default bus aside).
    client("events", "sa-east-1", endpoint=endpoint).list_event_buses()

    status, _, body = stepyard.http("GET", "/_stepyard/regions")
    assert status == 200
    answer = json.loads(body)
    assert answer["defaultAccount"] == ACCOUNT_ID and answer["defaultRegion"] == REGION
    assert answer["regions"] == [
        {"account": ACCOUNT_ID, "region": "ap-southeast-2", "services": ["sns"]},
        {"account": ACCOUNT_ID, "region": "us-east-1", "services": ["sqs"]},
        {"account": ACCOUNT_ID, "region": "us-west-2", "services": ["events", "states"]},
        {"account": "111111111111", "region": "eu-west-1", "services": ["sqs"]},
    ]


def test_console_is_served_from_the_binary_with_nothing_from_elsewhere(stepyard):
    status, headers, page = stepyard.http("GET", "/_stepyard/ui")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    html = page.decode()
    scripts = ["/_stepyard/ui/aws.js", "/_stepyard/ui/graph.js", "/_stepyard/ui/console.js"]
    for path in [*scripts, "/_stepyard/ui/console.css"]:
        assert path in html
        status, headers, asset = stepyard.http("GET", path)
        assert status == 200, path
        text = asset.decode()
        # Nothing refers to another origin (no CDN, no web fonts); the SVG namespace is a name.
        assert "https://" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", ""), path
    assert stepyard.http("GET", "/_stepyard/ui/")[0] == 200
    assert stepyard.http("GET", "/_stepyard/ui/nothing.js")[0] == 404


def test_the_consoles_own_origin_may_call_the_services_and_other_pages_may_not(stepyard):
    host = urllib.parse.urlsplit(stepyard.url).netloc
    call = {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20300101/{REGION}/sqs/aws4_request, SignedHeaders=host, Signature=0"}
    own = {"Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
    status, headers, _ = stepyard.http("POST", "/", b"{}", {**call, **own})
    assert status == 200
    assert "Access-Control-Allow-Origin" not in headers
    assert stepyard.http("GET", "/_stepyard/regions", None, own)[0] == 200

    other = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert stepyard.http("POST", "/", b"{}", {**call, **other})[0] == 403
    # A cross-site page may load the read-only endpoints but not read them: no CORS grant.
    status, headers, _ = stepyard.http("GET", "/_stepyard/regions", None, other)
    assert "Access-Control-Allow-Origin" not in headers


# ---- the pages, in a browser


def chromium_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{path} not found (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = chromium_missing()
    if missing:
        if os.environ.get("CI", "") in ("true", "1"):
            pytest.fail(f"CI=true: the console's browser tests need Chromium: {missing}")
        pytest.skip(f"browser tests skipped: {missing}")
    # Selenium Manager would try to download a browser or driver it cannot find; it is given
    # both, and told to stay offline in any case.
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="stepyard-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Console:
    """The console in the browser: open a page, wait for what it shows, read its log."""

    def __init__(self, driver, url: str):
        self.driver = driver
        self.url = url
        driver.get_log("browser")  # start each test with an empty log

    def open(self, hash_path: str = "#/"):
        self.driver.get(f"{self.url}/_stepyard/ui{hash_path}")
        self.wait_for("main[data-loaded='true']")

    def wait_for(self, css: str, predicate=None, timeout: float = PAGE_TIMEOUT_S):
        from selenium.webdriver.common.by import By

        from selenium.common.exceptions import StaleElementReferenceException

        def found():
            # The page redraws while a flow runs: an element found may be replaced before the
            # predicate reads it, which only means "look again".
            try:
                elements = self.driver.find_elements(By.CSS_SELECTOR, css)
                ready = [e for e in elements if predicate is None or predicate(e)]
            except StaleElementReferenceException:
                return None
            return ready or None

        got = wait_until(found, timeout=timeout, interval=0.1)
        assert got, f"nothing matching {css!r} appeared on {self.driver.current_url}; page text:\n{self.text()}"
        return got

    def all(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").text

    def errors(self) -> list:
        """Console errors and failed loads the browser logged since the last call."""
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def shot(self, name: str, height: int | None = None):
        """Saves the page (`height` pixels of it, else all of it) to $STEPYARD_SCREENSHOTS."""
        directory = os.environ.get("STEPYARD_SCREENSHOTS")
        if directory:
            pathlib.Path(directory).mkdir(parents=True, exist_ok=True)
            full = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(1500, height or min(max(full + 40, 600), 2200))
            self.driver.execute_script("window.scrollTo(0, 0)")
            self.driver.save_screenshot(str(pathlib.Path(directory) / name))
            self.driver.set_window_size(1500, 1100)


@pytest.fixture
def console(browser, endpoint):
    return Console(browser, endpoint)


def test_every_page_loads_without_browser_console_errors(console, sqs, sns, events, sfn):
    sqs.create_queue(QueueName="jobs")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("jobs"))
    events.put_rule(Name="shop", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="shop", Targets=[{"Id": "q", "Arn": queue_arn("jobs")}])
    arn = machine(sfn, "flow", {"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Both"}],
                 "Default": "Done"},
        "Both": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.both", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 0, "End": True}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
            "StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}}, "Next": "Done"},
        "Done": {"Type": "Succeed"}}})
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"n": 2, "items": [1, 2]}))["executionArn"]
    assert finished(sfn, execution)["status"] == "SUCCEEDED"
    place = f"{ACCOUNT_ID}/{REGION}"

    console.open("#/")
    for resource in ("queue:jobs", "topic:orders", "bus:default", "machine:flow"):
        console.wait_for(f"a[data-resource='{resource}']")
    pages = [
        (f"#/queue/{place}/jobs", "section, table, p.empty"),
        (f"#/topic/{place}/{urllib.parse.quote(topic)}", "tr.subscription"),
        (f"#/bus/{place}/default", "[data-rule='shop']"),
        (f"#/machine/{place}/{urllib.parse.quote(arn)}", "svg.graph .node[data-state='Each']"),
        (f"#/execution/{place}/{urllib.parse.quote(execution)}", "svg.graph .node-succeeded[data-state='Item']"),
        ("#/traces", "tr.trace-row"),
        ("#/traces/sqs", "tr.trace-row"),
    ]
    for hash_path, shown in pages:
        console.open(hash_path)
        console.wait_for(shown)
        assert console.all("#error")[0].get_attribute("hidden") is not None, console.text()
    assert console.errors() == []


def set_up_order_workflow(sqs, sns, events, sfn):
    """The README's order workflow (examples/order_workflow.rs), with boto3."""
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("payments", "shipping", "invoicing", "audit")}
    topic = sns.create_topic(Name="orders")["TopicArn"]
    for name in ("shipping", "invoicing"):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(name),
                      Attributes={"RawMessageDelivery": "true"})
    arn = machine(sfn, "order-workflow", {
        "Comment": "Charge the order, then tell everyone it is paid",
        "StartAt": "Charge",
        "States": {
            "Charge": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                       "Parameters": {"QueueUrl": urls["payments"],
                                      "MessageBody": {"order.$": "$.detail", "taskToken.$": "$$.Task.Token"}},
                       "TimeoutSeconds": 300, "ResultPath": "$.payment", "Next": "Announce"},
            "Announce": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                         "Parameters": {"TopicArn": topic,
                                        "Message": {"orderId.$": "$.detail.orderId", "paid.$": "$.payment.charged"}},
                         "ResultSelector": {"messageId.$": "$.MessageId"}, "End": True}}})
    events.put_rule(Name="order-placed", EventPattern=json.dumps({"source": ["shop"], "detail-type": ["OrderPlaced"]}))
    events.put_targets(Rule="order-placed", Targets=[{"Id": "workflow", "Arn": arn,
                                                      "RoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/events"}])
    events.put_rule(Name="order-audit", EventPattern=json.dumps({
        "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"stateMachineArn": [arn], "status": ["SUCCEEDED", "FAILED"]}}))
    events.put_targets(Rule="order-audit", Targets=[{"Id": "audit", "Arn": queue_arn("audit")}])
    return urls, arn


def node_class(console, state: str) -> str:
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(20):
        try:
            nodes = console.all(f"svg.graph .node[data-state='{state}']")
            return nodes[0].get_attribute("class") if nodes else ""
        except StaleElementReferenceException:
            continue  # redrawn between finding and reading it: read the new one
    raise AssertionError(f"the node of {state} kept being redrawn")


def test_the_order_workflows_execution_graph_shows_the_path_taken_live(console, sqs, sns, events, sfn):
    urls, arn = set_up_order_workflow(sqs, sns, events, sfn)
    events.put_events(Entries=[{"Source": "shop", "DetailType": "OrderPlaced",
                                "Detail": json.dumps({"orderId": "o-42", "amount": 42})}])
    executions = wait_until(lambda: sfn.list_executions(stateMachineArn=arn)["executions"])
    assert executions, "the rule started no execution"
    execution = executions[0]["executionArn"]
    payment = wait_until(lambda: sqs.receive_message(QueueUrl=urls["payments"]).get("Messages"))
    assert payment, "the Charge state sent no payment message"

    # The execution waits in Charge for the payment worker: the page shows it running ...
    console.open(f"#/execution/{ACCOUNT_ID}/{REGION}/{urllib.parse.quote(execution)}")
    console.wait_for("svg.graph .node[data-state='Charge']", lambda e: "node-running" in e.get_attribute("class"))
    assert "node-none" in node_class(console, "Announce")

    # ... and, without a reload, follows it to the end once the worker answers.
    token = json.loads(payment[0]["Body"])["taskToken"]
    sfn.send_task_success(taskToken=token, output=json.dumps({"charged": 42}))
    assert finished(sfn, execution)["status"] == "SUCCEEDED"
    console.wait_for("svg.graph .node[data-state='Announce']", lambda e: "node-succeeded" in e.get_attribute("class"))
    assert "node-succeeded" in node_class(console, "Charge")
    assert "node-reached" in node_class(console, "End")
    taken = {e.get_attribute("d") for e in console.all("svg.graph path.edge-taken")}
    assert len(taken) == 3, "Start -> Charge -> Announce -> End"
    assert console.all("h1 .badge-succeeded")

    # A state's input and output, from the execution history.
    console.all("svg.graph .node[data-state='Charge']")[0].click()
    detail = console.wait_for("#state-detail[data-state='Charge']")[0]
    state_input = json.loads(detail.find_element("css selector", "pre.state-input").text)
    state_output = json.loads(detail.find_element("css selector", "pre.state-output").text)
    assert state_input["detail"] == {"orderId": "o-42", "amount": 42}
    assert state_output["payment"] == {"charged": 42}
    history = [row.get_attribute("data-event-type") for row in console.all("main > table tr.event")]
    assert history[0] == "ExecutionStarted" and history[-1] == "ExecutionSucceeded"
    assert "TaskSubmitted" in history and "TaskSucceeded" in history
    console.shot("console-execution.png", height=1000)

    # The resources page shows what the workflow used, with the audit queue's message.
    wait_until(lambda: sqs.get_queue_attributes(QueueUrl=urls["audit"], AttributeNames=["ApproximateNumberOfMessages"])
               ["Attributes"]["ApproximateNumberOfMessages"] == "1")
    console.open("#/")
    for resource in ("queue:payments", "queue:shipping", "queue:invoicing", "queue:audit", "topic:orders", "machine:order-workflow"):
        console.wait_for(f"a[data-resource='{resource}']")
    console.wait_for("section.region", lambda e: "order-placed" in e.text and "order-audit" in e.text)
    console.shot("console-resources.png")
    assert console.errors() == []


def test_a_peeked_queue_keeps_its_messages_receivable_with_unchanged_receive_counts(console, sqs):
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    held = sqs.receive_message(QueueUrl=url, VisibilityTimeout=5, AttributeNames=["All"])["Messages"][0]
    assert held["Attributes"]["ApproximateReceiveCount"] == "1"

    console.open(f"#/queue/{ACCOUNT_ID}/{REGION}/inbox")
    console.wait_for("tr.message")
    # Read the table in one script: the page redraws it when the held message becomes visible
    # again, and rows read one by one could straddle a redraw.
    rows = console.driver.execute_script(
        "return [...document.querySelectorAll('tr.message')].map(r => ({"
        "id: r.getAttribute('data-message-id'), text: r.innerText,"
        "receives: r.querySelector('td.receives').innerText}))"
    )
    assert len(rows) == 2
    by_id = {row["id"]: row for row in rows}
    in_flight = by_id[held["MessageId"]]
    assert "inflight" in in_flight["text"] and in_flight["receives"] == "1"
    other = next(row for mid, row in by_id.items() if mid != held["MessageId"])
    assert "visible" in other["text"] and other["receives"] == "0"
    time.sleep(1.5)  # the page keeps polling the peek while it is open

    # Still receivable: the visible one at once, received for the first time; the held one
    # when its own visibility timeout ends, received for the second time.
    first = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in first] == [
        ("two" if held["Body"] == "one" else "one", "1")]
    later = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], WaitTimeSeconds=10)["Messages"]
    assert [(m["MessageId"], m["Attributes"]["ApproximateReceiveCount"]) for m in later] == [(held["MessageId"], "2")]
    assert console.errors() == []


def test_the_pattern_tester_answers_whether_an_event_matches(console, events):
    events.put_rule(Name="big-orders", EventPattern=json.dumps(
        {"source": ["shop"], "detail": {"amount": [{"numeric": [">", 100]}]}}))
    console.open(f"#/bus/{ACCOUNT_ID}/{REGION}/default")
    rule = console.wait_for("[data-rule='big-orders']")[0]
    rule.find_element("css selector", "button").click()
    console.all("#pattern-test")[0].click()
    # The sample event's amount is 42: not a big order.
    console.wait_for("#pattern-result.no-match")
    pattern = console.all("#pattern-input")[0]
    pattern.clear()
    pattern.send_keys(json.dumps({"source": ["shop"], "detail": {"amount": [{"numeric": ["<", 100]}]}}))
    console.all("#pattern-test")[0].click()
    result = console.wait_for("#pattern-result.match")[0]
    assert result.text == "The event matches the pattern."
    assert console.errors() == []


def test_the_order_workflow_is_one_trace_drawn_as_a_timeline_across_services(console, sqs, sns, events, sfn):
    urls, arn = set_up_order_workflow(sqs, sns, events, sfn)
    events.put_events(Entries=[{"Source": "shop", "DetailType": "OrderPlaced",
                                "Detail": json.dumps({"orderId": "o-7", "amount": 7})}])
    payment = wait_until(lambda: sqs.receive_message(QueueUrl=urls["payments"]).get("Messages"))
    assert payment, "the Charge state sent no payment message"
    execution = sfn.list_executions(stateMachineArn=arn)["executions"][0]["executionArn"]
    trace_id = sfn.describe_execution(executionArn=execution)["traceHeader"].split(";")[0].removeprefix("Root=")

    # The list shows the trace while it runs ...
    console.open("#/traces")
    console.wait_for(f"tr.trace-row[data-trace='{trace_id}']")
    token = json.loads(payment[0]["Body"])["taskToken"]
    sfn.send_task_success(taskToken=token, output=json.dumps({"charged": 7}))
    assert finished(sfn, execution)["status"] == "SUCCEEDED"
    wait_until(lambda: sqs.receive_message(QueueUrl=urls["audit"]).get("Messages"))

    # ... and its timeline, updated live, has spans of all four services in causal order.
    console.all(f"tr.trace-row[data-trace='{trace_id}'] a")[0].click()
    console.wait_for("#timeline .span-row[data-service='sns']")
    console.wait_for("#timeline .span-row", lambda e: "order-audit" in e.text)
    rows = console.driver.execute_script(
        "return [...document.querySelectorAll('#timeline .span-row')].map(r => ({"
        "service: r.getAttribute('data-service'), text: r.querySelector('.span-label').innerText}))"
    )
    services = {row["service"] for row in rows}
    assert {"events", "states", "sqs", "sns"} <= services, rows
    assert rows[0]["text"].startswith("events PutEvents"), rows
    names = [row["text"] for row in rows]
    assert any("Execution" in n for n in names) and any("State Charge" in n for n in names), names
    # A span's attributes, on a click.
    console.all("#timeline .span-row[data-service='states']")[0].click()
    console.wait_for("#span-detail")
    console.shot("console-trace.png", height=1100)
    assert console.errors() == []

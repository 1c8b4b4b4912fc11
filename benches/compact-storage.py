#!/usr/bin/env python3
"""Compact storage (issue 19, item 3): the resident memory one queued SQS message and one parked
Standard execution cost, against a release build. Not part of CI's test run.

Two phases on one fresh server, each measured as VmRSS (/proc/<pid>/status) before and after,
divided by the count:
  SQS  COMPACT_MESSAGES (1,000,000) messages of a 32-byte body sent to one standard queue
       (SendMessageBatch of 10) and left there. Reported: bytes per message, and the overhead
       beyond the body (bytes per message - 32). Target: overhead <= 300 bytes.
  SFN  COMPACT_EXECUTIONS (100,000) Standard executions of a machine that parks them
       (COMPACT_PARK=wait: a Wait state of a day; =activity: a Task on an activity nobody polls;
       =token: an sqs:sendMessage.waitForTaskToken task, whose messages are consumed as they
       arrive and the rest purged before measuring), each with a small distinct input. All are RUNNING when measured (checked with
       ListExecutions' count on a sample). Target: <= 5 KB per execution.

  FIN  COMPACT_FINISHED (50,000) Standard executions that run to their end
       (COMPACT_FINISH=pass: three Pass/Choice states, eight history events; =sqs: one Task
       sending the input to an SQS queue, whose messages are consumed as they arrive), each with
       a small distinct input, started COMPACT_THREADS at a time and measured once all have
       SUCCEEDED (the server is given --max-finished-executions above the count, so none is
       evicted). Target: <= 5 KB per execution beyond its own input and output text. Run it
       with the trace buffer on (the default) and off (COMPACT_SERVER_ARGS="--trace-buffer 0"):
       the buffer keeps its last 1,000 traces whatever the count, so its share per execution
       shrinks as the count grows.

Usage: benches/compact-storage.py [BINARY]   (default target/release/stepyard; build it with
                                              `cargo build --release`)
Environment: COMPACT_MESSAGES, COMPACT_EXECUTIONS, COMPACT_PARK, COMPACT_PORT (4591),
COMPACT_THREADS (8), COMPACT_ONLY (sqs, sfn or finished: run one phase; the default runs sqs and
sfn), COMPACT_FINISHED, COMPACT_FINISH, COMPACT_SERVER_ARGS (more flags).
Figures (busy 2-core machine, 2026-12-04): baseline e9da29f: 777 bytes per message (745 over
the body), 24,340 bytes per parked execution (wait), 39,456 (activity, 50,000). Issue 19
item 3 work: 252 bytes per message (220 over the body), 6,936 bytes (wait), 19,725 (activity),
29,122 (token, 50,000; baseline 48,311). Parked Tasks without context objects or input trees
(100,000 each, trace buffer on / off): 7,762 / 7,606 bytes (wait), 11,731 / 11,580 (activity),
15,561 / 15,399 (token); the same binary before that change: 7,632 / 7,479, 20,401 / 20,249,
29,800 / 29,642. `tests/sfn_parked_bytes.rs` shows where the heap goes
(SFN_PARKED_BYTES_REPORT=1). With a top-level Wait parked as data: 4,584 / 4,558 (wait),
12,421 / 12,234 (activity), 16,219 / 16,081 (token).
Main after the merges (activity owner in its mailbox, restart details boxed), trace buffer on:
4,496 (wait), 11,593 (activity), 15,777 (token). A top-level Task parked as data too (robust5,
trace buffer on / off): 3,399 / 3,389 (wait), 4,233 / 4,158 (activity), 5,266 / 5,172 (token,
its messages consumed as they arrive; 6,802 / 6,721 when they were purged at the end). Then
(executions found by their own ARN, history details one text each): 3,193 / 3,183 (wait),
4,020 / 3,928 (activity), 5,062 / 4,968 (token).
Finished executions (COMPACT_ONLY=finished, 50,000, trace buffer on / off; robust6): before,
5,704 / 5,554 bytes (pass), 5,336 / 5,254 (sqs); 5,617 (pass, 100,000, on). After (output kept
as text, no redrive point or ABORTED context once finished, event types as one character of the
name table, history room given back at the end, names read from the ARN): 2,605 / 2,463 (pass),
3,015 / 2,950 (sqs). The same binary's parked executions (100,000, trace buffer on): 2,986
(wait), 3,736 (activity), 4,736 (token). The trace buffer's share is its 1,000 traces whatever the count
(about 4.6 KB each here): ~90 bytes an execution at 50,000.
Loopback only; the machine should be otherwise quiet for stable figures, but RSS (unlike
throughput) is little affected by other load.
"""
import http.client
import json
import os
import subprocess
import sys
import threading
import time

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/stepyard"
MESSAGES = int(os.environ.get("COMPACT_MESSAGES", "1000000"))
EXECUTIONS = int(os.environ.get("COMPACT_EXECUTIONS", "100000"))
PARK = os.environ.get("COMPACT_PARK", "wait")
PORT = int(os.environ.get("COMPACT_PORT", "4591"))
THREADS = int(os.environ.get("COMPACT_THREADS", "8"))
ONLY = os.environ.get("COMPACT_ONLY", "")
FINISHED = int(os.environ.get("COMPACT_FINISHED", "50000"))
FINISH = os.environ.get("COMPACT_FINISH", "pass")
ACCOUNT = "000000000000"
REGION = "us-east-1"
BODY = "x" * 32

JSON = {
    "sqs": ("application/x-amz-json-1.0", "AmazonSQS"),
    "states": ("application/x-amz-json-1.0", "AWSStepFunctions"),
}


class Client:
    def __init__(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)

    def json(self, service, op, body):
        content_type, prefix = JSON[service]
        headers = {
            "Content-Type": content_type, "X-Amz-Target": f"{prefix}.{op}",
            "Authorization": (f"AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/{service}"
                              "/aws4_request, SignedHeaders=host, Signature=0")}
        self.conn.request("POST", "/", body=json.dumps(body), headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{op}: {response.status} {data[:300]!r}")
        return json.loads(data) if data else {}


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def settle(pid):
    """RSS once it stops moving (jemalloc's background threads return freed pages)."""
    last = rss_bytes(pid)
    for _ in range(20):
        time.sleep(1.0)
        now = rss_bytes(pid)
        if abs(now - last) < 256 * 1024:
            return now
        last = now
    return last


def start_consumers(url, done):
    """Two threads receiving and deleting `url`'s messages until `done` is set."""
    def consume():
        q = Client()
        while not done.is_set():
            got = q.json("sqs", "ReceiveMessage", {
                "QueueUrl": url, "MaxNumberOfMessages": 10}).get("Messages", [])
            if not got:
                time.sleep(0.05)
                continue
            q.json("sqs", "DeleteMessageBatch", {"QueueUrl": url, "Entries": [
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                for n, m in enumerate(got)]})
    consumers = [threading.Thread(target=consume, daemon=True) for _ in range(2)]
    for t in consumers:
        t.start()
    return consumers


def in_parallel(count, work):
    """Runs work(client, i) for i in range(count) over THREADS keep-alive connections."""
    next_i = [0]
    lock = threading.Lock()
    errors = []

    def worker():
        client = Client()
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= count or errors:
                return
            try:
                work(client, i)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def sqs_phase(pid, c):
    url = c.json("sqs", "CreateQueue", {"QueueName": "compact"})["QueueUrl"]
    before = settle(pid)
    started = time.time()

    def send(client, batch):
        entries = [{"Id": str(k), "MessageBody": BODY} for k in range(10)]
        client.json("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": entries})

    in_parallel(MESSAGES // 10, send)
    sent_in = time.time() - started
    after = settle(pid)
    attrs = c.json("sqs", "GetQueueAttributes", {
        "QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]})["Attributes"]
    queued = int(attrs["ApproximateNumberOfMessages"])
    assert queued == MESSAGES // 10 * 10, f"queued {queued}"
    per = (after - before) / queued
    print(f"SQS: {queued} messages of {len(BODY)} bytes sent in {sent_in:.1f} s; "
          f"RSS {before / 2**20:.1f} MB -> {after / 2**20:.1f} MB; "
          f"{per:.0f} bytes per message, {per - len(BODY):.0f} bytes overhead", flush=True)
    c.json("sqs", "PurgeQueue", {"QueueUrl": url})
    return per - len(BODY)


def sfn_phase(pid, c):
    role = f"arn:aws:iam::{ACCOUNT}:role/compact"
    if PARK == "wait":
        states = {"Park": {"Type": "Wait", "Seconds": 86400, "End": True}}
    elif PARK == "activity":
        activity = c.json("states", "CreateActivity", {"name": "compact-nobody"})["activityArn"]
        states = {"Park": {"Type": "Task", "Resource": activity, "End": True}}
    elif PARK == "token":
        url = c.json("sqs", "CreateQueue", {"QueueName": "compact-tokens"})["QueueUrl"]
        states = {"Park": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": True}}
    else:
        raise SystemExit(f"COMPACT_PARK={PARK}: wait, activity or token")
    definition = json.dumps({"StartAt": "Park", "States": states})
    machine = c.json("states", "CreateStateMachine", {
        "name": f"compact-{PARK}", "definition": definition, "roleArn": role})["stateMachineArn"]
    before = settle(pid)
    started = time.time()

    def start(client, i):
        client.json("states", "StartExecution", {
            "stateMachineArn": machine, "name": f"e{i}",
            "input": json.dumps({"order": i, "customer": f"c{i % 977}"})})

    # The task messages are SQS's cost, not the parked executions': consumed as they arrive
    # (100,000 messages purged at once at the end would leave their memory as holes among the
    # executions' allocations, which RSS still counts).
    done = threading.Event()
    consumers = []
    if PARK == "token":
        consumers = start_consumers(url, done)
    in_parallel(EXECUTIONS, start)
    started_in = time.time() - started
    done.set()
    for t in consumers:
        t.join()
    if PARK == "token":
        # The task messages are SQS's cost, not the parked executions'.
        time.sleep(2)
        c.json("sqs", "PurgeQueue", {"QueueUrl": url})
    after = settle(pid)
    page = c.json("states", "ListExecutions", {
        "stateMachineArn": machine, "statusFilter": "RUNNING", "maxResults": 1000})
    running = len(page["executions"])
    assert running == min(1000, EXECUTIONS), f"running {running}"
    history = c.json("states", "GetExecutionHistory", {
        "executionArn": page["executions"][0]["executionArn"]})["events"]
    per = (after - before) / EXECUTIONS
    print(f"SFN ({PARK}): {EXECUTIONS} executions started in {started_in:.1f} s, parked at "
          f"{history[-1]['type']}; RSS {before / 2**20:.1f} MB -> {after / 2**20:.1f} MB; "
          f"{per:.0f} bytes per parked execution", flush=True)
    return per


def finished_phase(pid, c):
    role = f"arn:aws:iam::{ACCOUNT}:role/compact"
    url = None
    if FINISH == "pass":
        start_at = "Mark"
        states = {
            "Mark": {"Type": "Pass", "Result": {"seen": True}, "ResultPath": "$.mark",
                     "Next": "Route"},
            "Route": {"Type": "Choice", "Choices": [
                {"Variable": "$.order", "NumericGreaterThanEquals": 0, "Next": "Done"}],
                "Default": "Done"},
            "Done": {"Type": "Pass", "End": True}}
    elif FINISH == "sqs":
        url = c.json("sqs", "CreateQueue", {"QueueName": "compact-sends"})["QueueUrl"]
        start_at = "Send"
        states = {"Send": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": url, "MessageBody.$": "$"}, "ResultPath": None,
            "End": True}}
    else:
        raise SystemExit(f"COMPACT_FINISH={FINISH}: pass or sqs")
    definition = json.dumps({"StartAt": start_at, "States": states})
    machine = c.json("states", "CreateStateMachine", {
        "name": f"compact-finished-{FINISH}", "definition": definition,
        "roleArn": role})["stateMachineArn"]
    before = settle(pid)
    started = time.time()
    done = threading.Event()
    consumers = []
    if url:
        # The sent messages are SQS's cost, not the finished executions': consumed as they
        # arrive, as in the token variant of the parked phase.
        consumers = start_consumers(url, done)

    def start(client, i):
        client.json("states", "StartExecution", {
            "stateMachineArn": machine, "name": f"f{i}",
            "input": json.dumps({"order": i, "customer": f"c{i % 977}"})})

    in_parallel(FINISHED, start)
    started_in = time.time() - started
    for _ in range(600):
        running = c.json("states", "ListExecutions", {
            "stateMachineArn": machine, "statusFilter": "RUNNING", "maxResults": 1})
        if not running["executions"]:
            break
        time.sleep(0.5)
    else:
        raise SystemExit("executions still RUNNING after 5 minutes")
    finished_in = time.time() - started
    if url:
        time.sleep(2)
        done.set()
        for t in consumers:
            t.join()
        c.json("sqs", "PurgeQueue", {"QueueUrl": url})
    after = settle(pid)
    page = c.json("states", "ListExecutions", {
        "stateMachineArn": machine, "statusFilter": "SUCCEEDED", "maxResults": 1000})
    assert len(page["executions"]) == min(1000, FINISHED), f"succeeded {len(page['executions'])}"
    oldest = c.json("states", "DescribeExecution", {
        "executionArn": page["executions"][-1]["executionArn"]})
    assert oldest["status"] == "SUCCEEDED", oldest
    text = len(oldest["input"]) + len(oldest.get("output", ""))
    per = (after - before) / FINISHED
    print(f"SFN finished ({FINISH}): {FINISHED} executions started in {started_in:.1f} s, all "
          f"SUCCEEDED in {finished_in:.1f} s; RSS {before / 2**20:.1f} MB -> "
          f"{after / 2**20:.1f} MB; {per:.0f} bytes per finished execution, {per - text:.0f} "
          f"beyond its input and output text ({text} bytes)", flush=True)
    return per


def main():
    args = os.environ.get("COMPACT_SERVER_ARGS", "").split()
    if ONLY == "finished" and "--max-finished-executions" not in args:
        args += ["--max-finished-executions", str(FINISHED + 1000)]
    server = subprocess.Popen(
        [BINARY, "--port", str(PORT), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if server.poll() is not None:
                raise SystemExit(f"{BINARY} exited with {server.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                conn.request("GET", "/_stepyard/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        c = Client()
        print(f"idle RSS {rss_bytes(server.pid) / 2**20:.1f} MB ({BINARY})", flush=True)
        if ONLY in ("", "sqs"):
            sqs_phase(server.pid, c)
        if ONLY in ("", "sfn"):
            sfn_phase(server.pid, c)
        if ONLY == "finished":
            finished_phase(server.pid, c)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()

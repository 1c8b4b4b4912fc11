#!/usr/bin/env python3
"""Soak: an hour (by default) of mixed traffic across the four services against a release build,
with a consumer for every queue, recording RSS and latency over time. Not part of CI's test
run; CI may run it short.

Traffic (each producer paced to its rate, one thread each, keep-alive connections):
  SQS      SendMessageBatch of 10 to a standard queue            20/s  (200 messages/s)
  SQS FIFO SendMessage to a FIFO queue, 8 message groups          20/s
  SNS      Publish to a topic, raw delivery to a queue            20/s
  Events   PutEvents of 5 entries, a rule delivering to a queue   20/s  (100 events/s)
  SFN      StartExecution of a Standard machine whose Task sends
           to a queue (sqs:sendMessage)                           10/s
Every queue has a consumer (ReceiveMessage long poll of 10, DeleteMessageBatch). Every message
carries a unique id; at the end producers stop, consumers drain, and every id must have
arrived (nothing lost). Finished executions accumulate up to --max-finished-executions
(10,000 per Region) and are then evicted oldest first, which is part of what must plateau.

Reported per interval: RSS (VmRSS of the server), p50/p99 of every call made in it but the
long polls (their time is their wait), calls, and messages sent but not yet received. Verdict: RSS plateaus (the mean of the last third is within 10% + 8 MB of the middle
third's), p99 does not drift (the last third's median p99 is at most 2x the first third's + 2 ms),
nothing lost. Exit status 1 if any fails.

Usage: benches/soak.py [BINARY]     (default target/release/stepyard; build it with
                                     `cargo build --release`)
Environment: SOAK_SECONDS (default 3600), SOAK_INTERVAL (seconds per sample; default
SOAK_SECONDS/60, at least 5), SOAK_PORT (default 4590), SOAK_SERVER_ARGS (more flags for the
server). The execution cap is reached after 10,000 / 10 per second = ~17 minutes; a run shorter
than about 40 minutes sees RSS plateau only with a smaller cap, e.g.
SOAK_SECONDS=600 SOAK_SERVER_ARGS="--max-finished-executions 2000" benches/soak.py.
"""
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/stepyard"
SECONDS = float(os.environ.get("SOAK_SECONDS", "3600"))
INTERVAL = float(os.environ.get("SOAK_INTERVAL", max(5.0, SECONDS / 60)))
PORT = int(os.environ.get("SOAK_PORT", "4590"))
ACCOUNT = "000000000000"
REGION = "us-east-1"


def auth(service):
    return (f"AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/{service}/aws4_request, "
            "SignedHeaders=host, Signature=0")


JSON = {
    "sqs": ("application/x-amz-json-1.0", "AmazonSQS"),
    "events": ("application/x-amz-json-1.1", "AWSEvents"),
    "states": ("application/x-amz-json-1.0", "AWSStepFunctions"),
}


class Stats:
    """Latencies of the current interval, and counters."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = []
        self.errors = 0
        self.calls = 0

    def record(self, seconds, ok):
        with self.lock:
            self.latencies.append(seconds)
            self.calls += 1
            if not ok:
                self.errors += 1

    def take(self):
        with self.lock:
            out, self.latencies = self.latencies, []
            return out


STATS = Stats()


class Client:
    """One keep-alive connection; every call timed into STATS."""

    def __init__(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)

    def _post(self, body, headers, timed=True):
        started = time.perf_counter()
        try:
            self.conn.request("POST", "/", body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            data, ok = b"", False
        if timed:
            STATS.record(time.perf_counter() - started, ok)
        if not ok:
            raise RuntimeError(data[:300])
        return data

    def json(self, service, op, body):
        content_type, prefix = JSON[service]
        # A long poll's time is its wait, not the server's speed: not timed.
        data = self._post(json.dumps(body), {
            "Content-Type": content_type, "X-Amz-Target": f"{prefix}.{op}",
            "Authorization": auth(service)}, timed=op != "ReceiveMessage")
        return json.loads(data) if data else {}

    def sns(self, params):
        return self._post(urllib.parse.urlencode(params), {
            "Content-Type": "application/x-www-form-urlencoded", "Authorization": auth("sns")})


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def setup(c):
    urls = {}
    for name in ("soak-std", "soak-sns", "soak-events", "soak-sfn"):
        urls[name] = c.json("sqs", "CreateQueue", {"QueueName": name})["QueueUrl"]
    urls["soak-fifo.fifo"] = c.json("sqs", "CreateQueue", {
        "QueueName": "soak-fifo.fifo",
        "Attributes": {"FifoQueue": "true", "ContentBasedDeduplication": "false"}})["QueueUrl"]
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:soak"
    c.sns({"Action": "CreateTopic", "Name": "soak"})
    c.sns({"Action": "Subscribe", "TopicArn": topic, "Protocol": "sqs",
           "Endpoint": f"arn:aws:sqs:{REGION}:{ACCOUNT}:soak-sns",
           "Attributes.entry.1.key": "RawMessageDelivery", "Attributes.entry.1.value": "true"})
    c.json("events", "PutRule", {"Name": "soak", "EventPattern": json.dumps({"source": ["soak"]})})
    c.json("events", "PutTargets", {"Rule": "soak", "Targets": [{
        "Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:soak-events", "InputPath": "$.detail.id"}]})
    machine = c.json("states", "CreateStateMachine", {
        "name": "soak", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/soak",
        "definition": json.dumps({"StartAt": "Send", "States": {"Send": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
            "Parameters": {"QueueUrl": urls["soak-sfn"], "MessageBody.$": "$.id"}}}})})
    return urls, topic, machine["stateMachineArn"]


def paced(rate, stop, step):
    """Calls step(i) `rate` times a second until stop is set."""
    started = time.monotonic()
    i = 0
    while not stop.is_set():
        step(i)
        i += 1
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            stop.wait(delay)


def main():
    extra = os.environ.get("SOAK_SERVER_ARGS", "").split()
    server = subprocess.Popen([BINARY, "--port", str(PORT), "--log-level", "warn", *extra])
    try:
        return run(server)
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(server):
    for _ in range(100):
        try:
            Client().json("sqs", "ListQueues", {})
            break
        except Exception:
            time.sleep(0.05)
    urls, topic, machine = setup(Client())
    sent = {name: set() for name in urls}
    received = {name: set() for name in urls}
    lock = threading.Lock()
    stop_producing = threading.Event()
    stop_consuming = threading.Event()
    failures = []

    def producer(name, rate, step):
        c = Client()

        def guarded(i):
            try:
                step(c, i)
            except Exception as e:  # noqa: BLE001 - counted and reported, the soak goes on
                failures.append(f"{name}: {e}")

        paced(rate, stop_producing, guarded)

    def sent_ids(queue, ids):
        with lock:
            sent[queue].update(ids)

    def std(c, i):
        ids = [f"std-{i}-{k}" for k in range(10)]
        c.json("sqs", "SendMessageBatch", {"QueueUrl": urls["soak-std"], "Entries": [
            {"Id": str(k), "MessageBody": body} for k, body in enumerate(ids)]})
        sent_ids("soak-std", ids)

    def fifo(c, i):
        body = f"fifo-{i}"
        c.json("sqs", "SendMessage", {"QueueUrl": urls["soak-fifo.fifo"], "MessageBody": body,
                                      "MessageGroupId": f"g{i % 8}", "MessageDeduplicationId": body})
        sent_ids("soak-fifo.fifo", [body])

    def sns(c, i):
        body = f"sns-{i}"
        c.sns({"Action": "Publish", "TopicArn": topic, "Message": body})
        sent_ids("soak-sns", [body])

    def events(c, i):
        ids = [f"ev-{i}-{k}" for k in range(5)]
        out = c.json("events", "PutEvents", {"Entries": [
            {"Source": "soak", "DetailType": "d", "Detail": json.dumps({"id": x})} for x in ids]})
        if out.get("FailedEntryCount"):
            raise RuntimeError(out)
        # InputPath $.detail.id: the body is the id as a JSON string.
        sent_ids("soak-events", [json.dumps(x) for x in ids])

    def sfn(c, i):
        body = f"sfn-{i}"
        c.json("states", "StartExecution", {"stateMachineArn": machine, "name": body,
                                            "input": json.dumps({"id": body})})
        sent_ids("soak-sfn", [body])

    def consumer(name):
        c = Client()
        url = urls[name]
        while True:
            try:
                out = c.json("sqs", "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10,
                                                       "WaitTimeSeconds": 1})
            except Exception as e:  # noqa: BLE001
                failures.append(f"receive {name}: {e}")
                continue
            messages = out.get("Messages", [])
            if not messages:
                if stop_consuming.is_set():
                    return
                continue
            with lock:
                received[name].update(m["Body"] for m in messages)
            try:
                c.json("sqs", "DeleteMessageBatch", {"QueueUrl": url, "Entries": [
                    {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(messages)]})
            except Exception as e:  # noqa: BLE001
                failures.append(f"delete {name}: {e}")

    threads = [threading.Thread(target=consumer, args=(name,), daemon=True) for name in urls]
    producers = [
        threading.Thread(target=producer, args=a, daemon=True) for a in (
            ("sqs", 20, std), ("fifo", 20, fifo), ("sns", 20, sns), ("events", 20, events),
            ("sfn", 10, sfn))]
    for t in threads + producers:
        t.start()

    samples = []
    started = time.monotonic()
    print(f"soak: {SECONDS:.0f} s against {BINARY}, a sample every {INTERVAL:.0f} s", flush=True)
    print(f"{'t (s)':>7} {'RSS MB':>8} {'calls':>7} {'p50 ms':>7} {'p99 ms':>7} {'in flight':>9}", flush=True)
    while time.monotonic() - started < SECONDS:
        time.sleep(min(INTERVAL, max(0.0, SECONDS - (time.monotonic() - started))))
        latencies = sorted(STATS.take())
        rss = rss_mb(server.pid)
        with lock:
            in_flight = sum(len(sent[q]) - len(received[q] & sent[q]) for q in urls)
        p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0
        t = time.monotonic() - started
        samples.append((t, rss, len(latencies), p50, p99))
        print(f"{t:7.0f} {rss:8.1f} {len(latencies):7d} {p50:7.2f} {p99:7.2f} {in_flight:9d}", flush=True)

    stop_producing.set()
    for t in producers:
        t.join()
    # Drain: consumers go on until every sent id has arrived or 60 s pass.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lock:
            missing = sum(len(sent[q] - received[q]) for q in urls)
        if missing == 0:
            break
        time.sleep(0.2)
    stop_consuming.set()
    for t in threads:
        t.join(timeout=5)

    ok = True
    with lock:
        total = sum(len(s) for s in sent.values())
        lost = {q: len(sent[q] - received[q]) for q in urls}
    print(f"\n{total} messages sent across {len(urls)} queues; not received: {lost}")
    if any(lost.values()):
        ok = False
        print("FAIL: messages lost")
    if failures:
        ok = False
        print(f"FAIL: {len(failures)} calls failed, first: {failures[:3]}")
    third = max(1, len(samples) // 3)
    if len(samples) >= 3:
        middle = statistics.mean(s[1] for s in samples[third:2 * third])
        last = statistics.mean(s[1] for s in samples[-third:])
        first_p99 = statistics.median(s[4] for s in samples[:third])
        last_p99 = statistics.median(s[4] for s in samples[-third:])
        print(f"RSS: middle third {middle:.1f} MB, last third {last:.1f} MB; "
              f"p99: first third {first_p99:.2f} ms, last third {last_p99:.2f} ms")
        if last > middle * 1.10 + 8:
            ok = False
            print("FAIL: RSS still growing")
        if last_p99 > first_p99 * 2 + 2:
            ok = False
            print("FAIL: p99 drifted")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

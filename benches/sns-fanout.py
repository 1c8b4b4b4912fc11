#!/usr/bin/env python3
"""SNS fan-out benchmark for stepyard on this machine (127.0.0.1). Not part of CI.

Usage: benches/sns-fanout.py [--bin target/release/stepyard] [--latency N] [--seconds S] [--threads T]

One topic with 10 SQS subscriptions (raw delivery): 5 unfiltered, 5 with a filter policy the
messages do not match. Reports
  (a) latency from sending Publish to the message arriving in an unfiltered queue (a long poll
      already waiting), p50/p99 over N sequential publishes;
  (b) Publish throughput (requests/s) with T threads, each on its own keep-alive connection,
      for S seconds, and the fan-out deliveries that throughput implies (x5 queues).
Stdlib only; requests are unsigned query-protocol forms (stepyard routes them by Action).
"""

import argparse
import http.client
import pathlib
import re
import statistics
import subprocess
import threading
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
ACCOUNT = "000000000000"
REGION = "us-east-1"


class Conn:
    def __init__(self, host, port):
        self.c = http.client.HTTPConnection(host, port, timeout=30)

    def call(self, **params):
        body = urllib.parse.urlencode(params)
        self.c.request("POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"})
        r = self.c.getresponse()
        text = r.read().decode()
        if r.status != 200:
            raise RuntimeError(f"{params.get('Action')}: {r.status} {text}")
        return text


def start(binary):
    proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0", "--log-level", "info"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for raw in proc.stdout:
        m = re.search(rb"ready on http://([\d.]+):(\d+)", raw)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, m.group(1).decode(), int(m.group(2))
    raise RuntimeError("stepyard did not start")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "stepyard"))
    ap.add_argument("--latency", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--threads", type=int, default=8)
    a = ap.parse_args()
    proc, host, port = start(a.bin)
    try:
        c = Conn(host, port)
        topic = re.search(r"<TopicArn>(.*?)</TopicArn>", c.call(Action="CreateTopic", Name="bench")).group(1)
        urls = []
        for i in range(10):
            name = f"q{i}"
            url = re.search(r"<QueueUrl>(.*?)</QueueUrl>", c.call(Action="CreateQueue", QueueName=name)).group(1)
            attrs = {"Attributes.entry.1.key": "RawMessageDelivery", "Attributes.entry.1.value": "true"}
            if i >= 5:
                attrs.update({"Attributes.entry.2.key": "FilterPolicy",
                              "Attributes.entry.2.value": '{"kind": ["wanted"]}'})
            c.call(Action="Subscribe", TopicArn=topic, Protocol="sqs",
                   Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}", **attrs)
            urls.append(url)
        publish = dict(Action="Publish", TopicArn=topic, Message="x" * 256,
                       **{"MessageAttributes.entry.1.Name": "kind",
                          "MessageAttributes.entry.1.Value.DataType": "String",
                          "MessageAttributes.entry.1.Value.StringValue": "other"})

        # (a) latency: a long poll waits on q0 while we publish.
        poller = Conn(host, port)
        lat = []
        for _ in range(a.latency):
            got = {}

            def poll():
                text = poller.call(Action="ReceiveMessage", QueueUrl=urls[0], WaitTimeSeconds=5,
                                   MaxNumberOfMessages=1)
                got["t"] = time.perf_counter()
                got["rh"] = re.search(r"<ReceiptHandle>(.*?)</ReceiptHandle>", text).group(1)

            t = threading.Thread(target=poll)
            t.start()
            time.sleep(0.002)  # let the poll register
            t0 = time.perf_counter()
            c.call(**publish)
            t.join()
            lat.append((got["t"] - t0) * 1000)
            c.call(Action="DeleteMessage", QueueUrl=urls[0], ReceiptHandle=got["rh"])
        print(f"publish -> ReceiveMessage latency over {a.latency}: p50 {pct(lat, 50):.2f} ms, "
              f"p99 {pct(lat, 99):.2f} ms")

        # (b) throughput.
        for url in urls:
            c.call(Action="PurgeQueue", QueueUrl=url)
        counts = [0] * a.threads
        stop = time.perf_counter() + a.seconds

        def worker(i):
            w = Conn(host, port)
            while time.perf_counter() < stop:
                w.call(**publish)
                counts[i] += 1

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(a.threads)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        total = sum(counts)
        # Deliveries are asynchronous: wait until every unfiltered queue holds every publish,
        # so the figure counts fan-out that really happened.
        deadline = time.perf_counter() + 30
        while True:
            held = [int(re.search(r"<Value>(\d+)</Value>", c.call(
                Action="GetQueueAttributes", QueueUrl=url,
                **{"AttributeName.1": "ApproximateNumberOfMessages"})).group(1)) for url in urls]
            if all(n == total for n in held[:5]) or time.perf_counter() > deadline:
                break
            time.sleep(0.05)
        drained = time.perf_counter() - t0
        print(f"Publish throughput: {total / elapsed:.0f} req/s with {a.threads} threads "
              f"({total} publishes in {elapsed:.1f} s; all {5 * total} deliveries in the 5 "
              f"unfiltered queues {drained - elapsed:.3f} s after the last publish; "
              f"filtered queues hold {held[5:]}; unfiltered {held[:5]})")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Two stepyard builds side by side on the Map of 1,000 Pass items (sfn-bench.sh part (c)), runs
interleaved so that both see the same machine: StartExecution -> SUCCEEDED, polled every ms.
Not part of CI.

Usage: benches/sfn-map-compare.py BASE_BIN NEW_BIN [RUNS]   (default 40 runs each)
       MAP_COMPARE_PORT=4801 ... to listen on 4801 and 4802 instead of 4701 and 4702
"""
import json, statistics, sys, time, urllib.request, subprocess
def call(ep, op, body):
    req = urllib.request.Request(ep + "/", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions." + op,
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0"})
    return json.loads(urllib.request.urlopen(req).read())
import os
# MAP_COMPARE_PORT moves the two servers (default 4701 and 4702) when those are taken.
port0 = int(os.environ.get("MAP_COMPARE_PORT", "4701"))
bins = {"base": (sys.argv[1], port0), "new": (sys.argv[2], port0 + 1)}
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 40
procs = []
for name, (b, port) in bins.items():
    procs.append(subprocess.Popen([b, "--port", str(port), "--log-level", "warn"]))
time.sleep(0.5)
m = {"StartAt":"Map","States":{"Map":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":"$"},"End":True}}},"End":True}}}
for name, (b, port) in bins.items():
    call(f"http://127.0.0.1:{port}", "CreateStateMachine", {"name": "map1000", "roleArn": "arn:aws:iam::000000000000:role/r", "definition": json.dumps(m)})
arn = "arn:aws:states:us-east-1:000000000000:stateMachine:map1000"
items = json.dumps({"items": list(range(1000))})
times = {"base": [], "new": []}
for i in range(runs):
    for name, (b, port) in (list(bins.items()) if i % 2 == 0 else list(reversed(list(bins.items())))):
        ep = f"http://127.0.0.1:{port}"
        t0 = time.perf_counter()
        ex = call(ep, "StartExecution", {"stateMachineArn": arn, "name": f"run{i}", "input": items})["executionArn"]
        while call(ep, "DescribeExecution", {"executionArn": ex})["status"] == "RUNNING":
            time.sleep(0.001)
        times[name].append((time.perf_counter() - t0) * 1000)
for p in procs: p.kill()
for name, t in times.items():
    print(name, "median %.1f ms, p25 %.1f, p75 %.1f, min %.1f" % (statistics.median(t), statistics.quantiles(t, n=4)[0], statistics.quantiles(t, n=4)[2], min(t)))

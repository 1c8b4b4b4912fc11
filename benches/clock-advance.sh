#!/usr/bin/env bash
# Time control at scale: advance a frozen clock 30 days over 10,000 parked Wait executions and a
# rate(1 minute) rule, and report the advance's wall time and the server's peak RSS. Not CI.
#
# Usage: benches/clock-advance.sh [EXECUTIONS] [BINARY]   (default 10000; default a release build)
#   The executions' Waits are spread over the 30 days (execution i waits 259*(i+1) s), so the
#   advance steps through 10,000 distinct Wait deadlines and 43,200 schedule firings, ~53,000
#   steps in all, each settled before the next. Each firing's event starts a one-Pass-state
#   Standard execution (the work a firing causes; an SQS queue would drop the events older
#   than its retention, at most 14 days). Checks afterwards: all 10,000 Waits and 43,200
#   firing executions SUCCEEDED.
#   BENCH_TARGET=sqs sends the firings to an SQS queue instead (lighter: only the events of
#   the queue's 4-day retention stay, 5,760, which the check expects).
# Needs: cargo, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
count=${1:-10000}
bin=${2:-}

if [ -z "$bin" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin stepyard
  bin=$root/target/release/stepyard
fi
tmp=$(mktemp -d)
"$bin" --host 127.0.0.1 --port 0 --log-level warn,stepyard=info \
  --clock frozen --clock-start 2030-01-01T00:00:00Z >"$tmp/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
  endpoint=$(sed -n 's/.*stepyard ready on \(http:[^ ]*\).*/\1/p' "$tmp/log" | head -1)
  [ -n "$endpoint" ] && break
  sleep 0.05
done
[ -n "$endpoint" ] || { echo "stepyard did not start" >&2; cat "$tmp/log" >&2; exit 1; }

ENDPOINT=$endpoint PID=$pid COUNT=$count TARGET=${BENCH_TARGET:-sfn} python3 - <<'PY'
import http.client, json, os, time, urllib.parse

endpoint = urllib.parse.urlparse(os.environ["ENDPOINT"])
pid, count = os.environ["PID"], int(os.environ["COUNT"])
conn = http.client.HTTPConnection(endpoint.hostname, endpoint.port, timeout=3600)
AUTH = "AWS4-HMAC-SHA256 Credential=test/20300101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0"
ROLE = "arn:aws:iam::000000000000:role/bench"

def call(service, target, body):
    version = "1.1" if service == "events" else "1.0"
    conn.request("POST", "/", json.dumps(body), {
        "Content-Type": f"application/x-amz-json-{version}",
        "X-Amz-Target": target,
        "Authorization": AUTH.format(service),
    })
    resp = conn.getresponse()
    data = json.loads(resp.read() or b"{}")
    if resp.status != 200:
        raise SystemExit(f"{target}: {resp.status} {data}")
    return data

def admin(path, body):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    if resp.status != 200:
        raise SystemExit(f"{path}: {resp.status} {data}")
    return data

def rss_kb(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])

ticks = call("sfn", "AWSStepFunctions.CreateStateMachine", {
    "name": "ticks", "roleArn": ROLE,
    "definition": json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
})["stateMachineArn"]
call("events", "AWSEvents.PutRule", {"Name": "tick", "ScheduleExpression": "rate(1 minute)"})
if os.environ["TARGET"] == "sqs":
    queue = call("sqs", "AmazonSQS.CreateQueue", {"QueueName": "ticks"})["QueueUrl"]
    call("events", "AWSEvents.PutTargets", {"Rule": "tick", "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:ticks"}]})
else:
    call("events", "AWSEvents.PutTargets", {"Rule": "tick", "Targets": [{"Id": "sfn", "Arn": ticks, "RoleArn": ROLE}]})
machine = call("sfn", "AWSStepFunctions.CreateStateMachine", {
    "name": "waits", "roleArn": ROLE,
    "definition": json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}),
})["stateMachineArn"]
t0 = time.perf_counter()
for i in range(count):
    call("sfn", "AWSStepFunctions.StartExecution", {"stateMachineArn": machine, "name": f"e{i}", "input": json.dumps({"s": 259 * (i + 1)})})
admin("/_stepyard/settle", {})
started = time.perf_counter() - t0
rss_parked = rss_kb("VmRSS:")
print(f"started {count} executions parked on Waits in {started:.2f} s; RSS {rss_parked / 1024:.1f} MB")

t0 = time.perf_counter()
reading = admin("/_stepyard/clock/advance", {"seconds": 30 * 86400, "timeoutSeconds": 600})
took = time.perf_counter() - t0
print(f"advance 30 days -> {reading['now']}: {took:.2f} s wall")

def succeeded(arn):
    n, token = 0, None
    while True:
        body = {"stateMachineArn": arn, "statusFilter": "SUCCEEDED", "maxResults": 1000}
        if token:
            body["nextToken"] = token
        page = call("sfn", "AWSStepFunctions.ListExecutions", body)
        n += len(page["executions"])
        token = page.get("nextToken")
        if not token:
            return n

waits = succeeded(machine)
if os.environ["TARGET"] == "sqs":
    attrs = call("sqs", "AmazonSQS.GetQueueAttributes", {"QueueUrl": queue, "AttributeNames": ["ApproximateNumberOfMessages"]})
    fired, expected = int(attrs["Attributes"]["ApproximateNumberOfMessages"]), 5760
    print(f"Wait executions SUCCEEDED: {waits}/{count}; schedule events in the queue: {fired}/{expected} (4 days' retention)")
else:
    fired, expected = succeeded(ticks), 43200
    print(f"Wait executions SUCCEEDED: {waits}/{count}; schedule firings run: {fired}/{expected}")
print(f"peak RSS (VmHWM) {rss_kb('VmHWM:') / 1024:.1f} MB; RSS now {rss_kb('VmRSS:') / 1024:.1f} MB")
if waits != count or fired != expected:
    raise SystemExit("FAILED: not every timer fired")
PY

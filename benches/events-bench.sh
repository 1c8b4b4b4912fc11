#!/usr/bin/env bash
# EventBridge benchmarks for stepyard on this machine, all on 127.0.0.1. Not part of CI.
#
# Usage: benches/events-bench.sh [SECONDS] [BINARY]   (default 5 s; default a release build)
#   (a) Latency PutEvents -> rule -> SQS target -> ReceiveMessage: one client, 2000 rounds of
#       PutEvents then a long-polling ReceiveMessage that returns when the message lands;
#       p50/p99 of the round (both HTTP calls included) from a keep-alive Python client.
#   (b) PutEvents throughput with 100 rules on the bus (every event is matched against all of
#       them; each event matches one, whose target is an SQS queue), wrk at 32 connections.
# Needs: cargo, python3, wrk (apt-get install -y wrk).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
secs=${1:-5}
bin=${2:-}
conns=${BENCH_CONNECTIONS:-32}

command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 2; }
if [ -z "$bin" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin stepyard
  bin=$root/target/release/stepyard
fi
tmp=$(mktemp -d)
"$bin" --host 127.0.0.1 --port 0 --log-level info >"$tmp/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
  endpoint=$(sed -n 's/.*stepyard ready on \(http:[^ ]*\).*/\1/p' "$tmp/log" | head -1)
  [ -n "$endpoint" ] && break
  sleep 0.05
done
[ -n "$endpoint" ] || { echo "stepyard did not start" >&2; cat "$tmp/log" >&2; exit 1; }

ENDPOINT=$endpoint python3 - <<'PY'
import http.client, json, os, time, urllib.parse

endpoint = urllib.parse.urlparse(os.environ["ENDPOINT"])
conn = http.client.HTTPConnection(endpoint.hostname, endpoint.port)
AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0"

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

url = call("sqs", "AmazonSQS.CreateQueue", {"QueueName": "latency"})["QueueUrl"]
sink = call("sqs", "AmazonSQS.CreateQueue", {"QueueName": "sink"})["QueueUrl"]
call("events", "AWSEvents.PutRule", {"Name": "latency", "EventPattern": json.dumps({"source": ["latency"]})})
call("events", "AWSEvents.PutTargets", {"Rule": "latency", "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:latency"}]})
entry = {"Entries": [{"Source": "latency", "DetailType": "tick", "Detail": json.dumps({"n": 1})}]}
rounds = []
for i in range(2200):
    t0 = time.perf_counter()
    call("events", "AWSEvents.PutEvents", entry)
    got = call("sqs", "AmazonSQS.ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 2, "MaxNumberOfMessages": 1})
    t1 = time.perf_counter()
    messages = got.get("Messages") or []
    if not messages:
        raise SystemExit("an event did not arrive within 2 s")
    call("sqs", "AmazonSQS.DeleteMessage", {"QueueUrl": url, "ReceiptHandle": messages[0]["ReceiptHandle"]})
    if i >= 200:  # warm-up
        rounds.append((t1 - t0) * 1000)
rounds.sort()
p = lambda q: rounds[min(len(rounds) - 1, int(q * len(rounds)))]
print(f"(a) PutEvents -> SQS -> ReceiveMessage round, ms: p50 {p(0.50):.3f}  p99 {p(0.99):.3f}  (n={len(rounds)})")
# A bare PutEvents round trip with no matching rule, for the client's own share.
bare = []
none = {"Entries": [{"Source": "nobody", "DetailType": "tick", "Detail": "{}"}]}
for i in range(1000):
    t0 = time.perf_counter()
    call("events", "AWSEvents.PutEvents", none)
    bare.append((time.perf_counter() - t0) * 1000)
bare.sort()
print(f"    one PutEvents round trip alone, ms: p50 {bare[500]:.3f}")
for i in range(100):
    call("events", "AWSEvents.PutRule", {"Name": f"r{i}", "EventPattern": json.dumps({"source": ["bench"], "detail": {"n": [i]}})})
    call("events", "AWSEvents.PutTargets", {"Rule": f"r{i}", "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:sink"}]})
PY

echo "(b) PutEvents throughput, 100 rules on the bus, $conns connections, ${secs}s:"
DETAIL_N=7 wrk -t2 -c"$conns" -d"${secs}s" -s "$here/events-put.lua" "$endpoint/" | sed -n 's/^\(Requests\/sec\|  Latency\).*/    &/p'

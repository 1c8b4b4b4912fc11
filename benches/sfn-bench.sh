#!/usr/bin/env bash
# Step Functions benchmarks for stepyard on this machine, all on 127.0.0.1. Not part of CI.
#
# Usage: benches/sfn-bench.sh [SECONDS_PER_RUN]   (default 10)
#   (a) Express StartSyncExecution of a 5-state Pass/Choice machine: executions per second and
#       p50/p99 latency at 1 and at 8 concurrent clients (wrk, one keep-alive connection each).
#   (b) The same machine written in JSONata (Arguments/Output/Condition expressions), same
#       clients, so its figure sits beside the JSONPath one.
#   (c) A Standard execution whose Map runs 1,000 Pass items: time from StartExecution to
#       SUCCEEDED (median of 5), polled with DescribeExecution every millisecond.
# Needs: cargo, curl, python3, wrk (apt-get install -y wrk). STEPYARD_BIN skips the build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
secs=${1:-10}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 2; }

say() { printf '==> %s\n' "$*" >&2; }
if [ -n "${STEPYARD_BIN:-}" ]; then
  bin=$STEPYARD_BIN
else
  say "building stepyard (release)"
  cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin stepyard
  bin=$root/target/release/stepyard
fi
port=${BENCH_PORT:-4599}
endpoint=http://127.0.0.1:$port
"$bin" --port "$port" --log-level warn &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$endpoint/_stepyard/health" >/dev/null && break; sleep 0.05; done

call() { # operation json
  curl -sf "$endpoint/" -H "Content-Type: application/x-amz-json-1.0" \
    -H "X-Amz-Target: AWSStepFunctions.$1" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0" \
    -d "$2"
}

express='{"StartAt":"Validate","States":{
 "Validate":{"Type":"Pass","Parameters":{"id.$":"$.order.id","total.$":"$.order.total","count.$":"States.ArrayLength($.order.items)"},"Next":"Route"},
 "Route":{"Type":"Choice","Choices":[{"Variable":"$.total","NumericGreaterThan":100,"Next":"Large"}],"Default":"Small"},
 "Large":{"Type":"Pass","Result":"large","ResultPath":"$.size","Next":"Tag"},
 "Small":{"Type":"Pass","Result":"small","ResultPath":"$.size","Next":"Tag"},
 "Tag":{"Type":"Pass","Parameters":{"order.$":"$.id","size.$":"$.size","count.$":"$.count"},"End":true}}}'
definition=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$express")
call CreateStateMachine "{\"name\":\"bench\",\"type\":\"EXPRESS\",\"roleArn\":\"arn:aws:iam::000000000000:role/r\",\"definition\":$definition}" >/dev/null
arn=arn:aws:states:us-east-1:000000000000:stateMachine:bench

for clients in 1 8; do
  say "(a) Express StartSyncExecution, $clients client(s), ${secs}s"
  MACHINE_ARN=$arn wrk -t"$(( clients < 2 ? 1 : 2 ))" -c"$clients" -d"${secs}s" --latency \
    -s "$here/sfn-sync.lua" "$endpoint/" | grep '^BENCH' | sed "s/^BENCH/clients=$clients/"
done

jsonata='{"QueryLanguage":"JSONata","StartAt":"Validate","States":{
 "Validate":{"Type":"Pass","Output":{"id":"{% $states.input.order.id %}","total":"{% $states.input.order.total %}","count":"{% $count($states.input.order.items) %}"},"Next":"Route"},
 "Route":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.total > 100 %}","Next":"Large"}],"Default":"Small"},
 "Large":{"Type":"Pass","Output":"{% $merge([$states.input, {\"size\": \"large\"}]) %}","Next":"Tag"},
 "Small":{"Type":"Pass","Output":"{% $merge([$states.input, {\"size\": \"small\"}]) %}","Next":"Tag"},
 "Tag":{"Type":"Pass","Output":{"order":"{% $states.input.id %}","size":"{% $states.input.size %}","count":"{% $states.input.count %}"},"End":true}}}'
definition=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$jsonata")
call CreateStateMachine "{\"name\":\"bench-jsonata\",\"type\":\"EXPRESS\",\"roleArn\":\"arn:aws:iam::000000000000:role/r\",\"definition\":$definition}" >/dev/null
for clients in 1 8; do
  say "(b) Express StartSyncExecution, JSONata machine, $clients client(s), ${secs}s"
  MACHINE_ARN=${arn}-jsonata wrk -t"$(( clients < 2 ? 1 : 2 ))" -c"$clients" -d"${secs}s" --latency \
    -s "$here/sfn-sync.lua" "$endpoint/" | grep '^BENCH' | sed "s/^BENCH/jsonata clients=$clients/"
done

say "(c) Standard Map of 1,000 Pass items, StartExecution -> SUCCEEDED"
map='{"StartAt":"Map","States":{"Map":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":"$"},"End":true}}},"End":true}}}'
definition=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$map")
call CreateStateMachine "{\"name\":\"map1000\",\"roleArn\":\"arn:aws:iam::000000000000:role/r\",\"definition\":$definition}" >/dev/null
python3 - "$endpoint" <<'PY'
import json, statistics, sys, time, urllib.request
endpoint = sys.argv[1]
def call(op, body):
    req = urllib.request.Request(endpoint + "/", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions." + op,
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0"})
    return json.loads(urllib.request.urlopen(req).read())
arn = "arn:aws:states:us-east-1:000000000000:stateMachine:map1000"
items = json.dumps({"items": list(range(1000))})
times = []
for i in range(5):
    t0 = time.perf_counter()
    ex = call("StartExecution", {"stateMachineArn": arn, "name": f"run{i}", "input": items})["executionArn"]
    while True:
        d = call("DescribeExecution", {"executionArn": ex})
        if d["status"] != "RUNNING":
            break
        time.sleep(0.001)
    times.append((time.perf_counter() - t0) * 1000)
    assert d["status"] == "SUCCEEDED", d
    events = call("GetExecutionHistory", {"executionArn": ex, "maxResults": 1000})
print("map1000 status=%s median_ms=%.1f min_ms=%.1f max_ms=%.1f" % (d["status"], statistics.median(times), min(times), max(times)))
PY

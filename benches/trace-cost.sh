#!/usr/bin/env bash
# What tracing costs on the hot paths, over HTTP: a build without tracing (BASE_BIN, e.g. the
# release build of e9da29f) against a build with it (NEW_BIN), the latter with tracing on (its
# default, --trace-buffer 1000) and off. Runs are alternated (base, on, off) for ROUNDS rounds
# so that drift of a shared machine falls on all three alike; medians are printed at the end,
# with the ratio of each to base. All on 127.0.0.1. Not part of CI.
#
# Usage: benches/trace-cost.sh BASE_BIN NEW_BIN [ROUNDS] [SECONDS]   (default 5 rounds, 5 s)
# Figures per run (the issue's item 5):
#   - PutEvents -> rule -> SQS -> ReceiveMessage round, p50 ms, and one PutEvents alone, p50 ms
#     (benches/events-bench.sh (a): one keep-alive client, 2,000 rounds);
#   - PutEvents throughput with 100 rules on the bus, req/s (events-bench.sh (b), wrk);
#   - SendMessage throughput, req/s (wrk with ../shared/bench/sqs-send.lua), at CONNECTIONS
#     (env BENCH_CONNECTIONS, default 32).
# For allocations and CPU per request in process (independent of machine load), see
# benches/trace_cost.rs (`cargo bench --bench trace_cost`).
# Needs: python3, wrk (apt-get install -y wrk).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base=${1:?usage: trace-cost.sh BASE_BIN NEW_BIN [ROUNDS] [SECONDS]}
new=${2:?usage: trace-cost.sh BASE_BIN NEW_BIN [ROUNDS] [SECONDS]}
rounds=${3:-5}
secs=${4:-5}
conns=${BENCH_CONNECTIONS:-32}
send_lua=$(cd "$here/../../shared/bench" 2>/dev/null && pwd)/sqs-send.lua
[ -f "$send_lua" ] || send_lua=$(cd "$here/.." && pwd)/../shared/bench/sqs-send.lua
[ -f "$send_lua" ] || { echo "cannot find ../shared/bench/sqs-send.lua" >&2; exit 2; }
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 2; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT

# SendMessage req/s of BIN (with the environment given) over SECONDS.
send_rps() {
  "$@" --host 127.0.0.1 --port 0 --log-level info >"$tmp/send.log" 2>&1 &
  pid=$!
  local endpoint=
  for _ in $(seq 200); do
    endpoint=$(sed -n 's/.*stepyard ready on \(http:[^ ]*\).*/\1/p' "$tmp/send.log" | head -1)
    [ -n "$endpoint" ] && break
    sleep 0.05
  done
  [ -n "$endpoint" ] || { echo "stepyard did not start" >&2; cat "$tmp/send.log" >&2; exit 1; }
  local url
  url=$(curl -s -X POST "$endpoint/" -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: AmazonSQS.CreateQueue' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{"QueueName":"bench"}' | sed -n 's/.*"QueueUrl" *: *"\([^"]*\)".*/\1/p')
  QUEUE_URL="$url" wrk -t1 -c"$conns" -d"${secs}s" -s "$send_lua" "$endpoint/" | awk '/Requests\/sec/ {print $2}'
  kill $pid 2>/dev/null; wait $pid 2>/dev/null || true
  pid=
}

# One run of variant NAME: the events figures, then SendMessage; appends "NAME key value" lines.
run() {
  local name=$1; shift
  local out
  out=$(env "$@" "$here/events-bench.sh" "$secs" "${bin_of[$name]}")
  local round put rps send
  round=$(sed -n 's/^(a).*p50 \([0-9.]*\).*/\1/p' <<<"$out")
  put=$(sed -n 's/.*round trip alone, ms: p50 \([0-9.]*\).*/\1/p' <<<"$out")
  rps=$(sed -n 's/.*Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
  send=$(send_rps env "$@" "${bin_of[$name]}")
  printf '%s round_p50_ms %s\n%s putevents_p50_ms %s\n%s putevents_100_rules_rps %s\n%s sendmessage_rps %s\n' \
    "$name" "$round" "$name" "$put" "$name" "$rps" "$name" "$send" | tee -a "$tmp/figures"
}

declare -A bin_of=([base]=$base [on]=$new [off]=$new)
for r in $(seq "$rounds"); do
  echo "== round $r of $rounds"
  run base STEPYARD_BENCH=1
  run on STEPYARD_TRACE_BUFFER=1000
  run off STEPYARD_TRACE_BUFFER=0
done

python3 - "$tmp/figures" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 3]
figures = {}
for name, key, value in rows:
    try:
        figures.setdefault(key, {}).setdefault(name, []).append(float(value))
    except ValueError:
        pass
print("\nmedians (ratio to base; for latencies lower is better, for req/s higher is better):")
for key, by in figures.items():
    base = statistics.median(by.get("base", [float("nan")]))
    line = f"  {key:<26}"
    for name in ("base", "on", "off"):
        if name in by:
            m = statistics.median(by[name])
            line += f"  {name} {m:>10.3f} ({m / base:.3f})"
    print(line)
PY

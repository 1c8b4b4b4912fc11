#!/usr/bin/env bash
# SQS benchmarks for stepyard on this machine, all on 127.0.0.1. Not part of CI.
#
# Usage: benches/sqs-bench.sh [SECONDS_PER_RUN]   (default 5)
#   (a) SendMessage throughput at 32 connections, as a ratio to the bare hyper ceiling
#       (../shared/bench/sqs-throughput.sh, three rounds, median).
#   (b) ReceiveMessage+DeleteMessage throughput at 32 connections (sqs-receive-delete.lua) on a
#       pre-filled queue, and the ceiling with the same script right after; three rounds, median.
#   (c) Resident memory: idle right after start, after ~200k messages, after purging them.
#   (d) Start-to-ready time: median of 10 starts, to the ready log line and to a 200 from health.
# Needs: cargo, curl, wrk (apt-get install -y wrk), ../shared/bench beside the repository.
# Environment: BENCH_CONNECTIONS (32), BENCH_MESSAGES (200000, for c), BENCH_PREFILL (for b).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "$root/.." && pwd)/shared/bench
secs=${1:-5}
conns=${BENCH_CONNECTIONS:-32}
messages=${BENCH_MESSAGES:-200000}
prefill=${BENCH_PREFILL:-400000}

command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 2; }
command -v curl >/dev/null || { echo "needs curl: apt-get install -y curl" >&2; exit 2; }
[ -x "$shared/sqs-throughput.sh" ] || [ -f "$shared/sqs-throughput.sh" ] || {
  echo "needs ../shared/bench (sqs-throughput.sh and limit/) beside the repository" >&2; exit 2; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

say() { printf '==> %s\n' "$*" >&2; }

say "building stepyard (release)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin stepyard
bin=$root/target/release/stepyard

# --- helpers -----------------------------------------------------------------------------------

# start_stepyard LOGFILE: starts the binary on a free port; sets $pid and $endpoint.
start_stepyard() {
  local log=$1
  "$bin" --host 127.0.0.1 --port 0 --log-level info >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  local i
  for i in $(seq 1 500); do
    endpoint=$(sed -n 's/.*stepyard ready on \(http:[^ ]*\).*/\1/p' "$log" | head -1)
    [ -n "$endpoint" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  echo "stepyard did not start; log:" >&2
  cat "$log" >&2
  exit 1
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
mb() { awk -v kb="$1" 'BEGIN {printf "%.1f MB", kb / 1024}'; }

# sqs OPERATION JSON: one JSON-protocol call; prints the response body.
sqs() {
  curl -sS -X POST "$endpoint/" -H 'Content-Type: application/x-amz-json-1.0' \
    -H "X-Amz-Target: AmazonSQS.$1" \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0' \
    -d "$2"
}

create_queue() { sqs CreateQueue "{\"QueueName\":\"$1\"}" | sed -n 's/.*"QueueUrl" *: *"\([^"]*\)".*/\1/p'; }

queue_depth() {
  sqs GetQueueAttributes "{\"QueueUrl\":\"$1\",\"AttributeNames\":[\"ApproximateNumberOfMessages\"]}" |
    sed -n 's/.*"ApproximateNumberOfMessages" *: *"\([0-9]*\)".*/\1/p'
}

# fill QUEUE_URL COUNT: SendMessageBatch until COUNT more messages are in. The Lua script stops
# sending at COUNT, but wrk itself only exits at -d, so we watch the queue and end wrk ourselves.
fill() {
  local url=$1 count=$2 target i wrk_pid
  [ "$count" -gt 0 ] || return 0
  target=$(( $(queue_depth "$url") + count ))
  QUEUE_URL="$url" TOTAL_MESSAGES="$count" wrk -t1 -c8 -d120s -s "$here/sqs-send-batch.lua" "$endpoint/" >"$tmp/fill.out" &
  wrk_pid=$!
  for i in $(seq 1 1200); do
    [ "$(queue_depth "$url")" -ge "$target" ] && break
    kill -0 "$wrk_pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 0.2
  kill "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" 2>/dev/null || true
}

# drain QUEUE_URL: ReceiveMessage+DeleteMessage (sqs-receive-delete.lua) until nothing is left.
drain() {
  local url=$1 i wrk_pid
  QUEUE_URL="$url" wrk -t1 -c"$conns" -d300s -s "$here/sqs-receive-delete.lua" "$endpoint/" >"$tmp/drain.out" &
  wrk_pid=$!
  for i in $(seq 1 3000); do
    [ "$(in_queue "$url")" = 0 ] && break
    sleep 0.1
  done
  kill "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" 2>/dev/null || true
}

# in_queue QUEUE_URL: visible + in-flight + delayed messages.
in_queue() {
  sqs GetQueueAttributes "{\"QueueUrl\":\"$1\",\"AttributeNames\":[\"All\"]}" |
    grep -o '"ApproximateNumberOfMessages[A-Za-z]*" *: *"[0-9]*"' | grep -o '[0-9]*"$' | tr -d '"' |
    awk '{n += $1} END {print n + 0}'
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# health_ok PORT: GET /_stepyard/health answers 200. Bash's /dev/tcp, so polling forks nothing
# and the start-to-health figure is not a measure of how fast curl starts.
health_ok() {
  local status=""
  { printf 'GET /_stepyard/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    IFS= read -r status <&3; } 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  [[ $status == *" 200 "* ]]
}

median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

wrk_rps() { awk '/Requests\/sec/ {print $2}' "$1"; }

# --- run ---------------------------------------------------------------------------------------

start_stepyard "$tmp/stepyard.log"
server=$pid
say "stepyard pid $server at $endpoint"

# (c) memory: fill, drain by receive+delete; fill again, drain by PurgeQueue
sleep 0.2
rss_idle=$(rss_kb "$server")
mem_url=$(create_queue memory)
say "(c) sending $messages messages (SendMessageBatch), draining them with ReceiveMessage+DeleteMessage"
fill "$mem_url" "$messages"
depth_full=$(queue_depth "$mem_url")
rss_full=$(rss_kb "$server")
drain "$mem_url"
depth_drained=$(queue_depth "$mem_url")
sleep 1
rss_drained=$(rss_kb "$server")
sleep 4
rss_drained_5s=$(rss_kb "$server")
say "(c) sending $messages messages again, then PurgeQueue"
fill "$mem_url" "$messages"
rss_full2=$(rss_kb "$server")
sqs PurgeQueue "{\"QueueUrl\":\"$mem_url\"}" >/dev/null
sleep 1
depth_purged=$(queue_depth "$mem_url")
rss_purged_1s=$(rss_kb "$server")
sleep 4
rss_purged_5s=$(rss_kb "$server")

# (a) SendMessage vs the ceiling, via the shared script (three rounds, median ratio)
say "(a) SendMessage, $conns connections, ${secs}s per run"
bash "$shared/sqs-throughput.sh" "$endpoint" "$conns" "$secs" | tee "$tmp/send.out" >&2
send_ratio=$(sed -n 's/.*median ratio to ceiling \([0-9.]*\).*/\1/p' "$tmp/send.out")
send_rps=$(sed -n 's/^round [0-9]*: target \([0-9.]*\) req\/s.*/\1/p' "$tmp/send.out" | median)
ceiling_rps=$(sed -n 's/.*ceiling \([0-9.]*\) req\/s.*/\1/p' "$tmp/send.out" | median)
bench_url=$(create_queue bench)
sqs PurgeQueue "{\"QueueUrl\":\"$bench_url\"}" >/dev/null

# (b) ReceiveMessage + DeleteMessage vs the ceiling with the same script
say "(b) ReceiveMessage+DeleteMessage, $conns connections, ${secs}s per run"
limit_bin=$shared/limit/target/release/limit
[ -x "$limit_bin" ] || cargo build --release --quiet --manifest-path "$shared/limit/Cargo.toml"
limit_port=$(free_port)
"$limit_bin" "$limit_port" >/dev/null 2>&1 &
limit=$!
pids+=("$limit")
sleep 0.3
drain_url=$(create_queue drain)
rd_ratios=()
rd_rates=()
rd_ceilings=()
for round in 1 2 3; do
  depth=$(queue_depth "$drain_url")
  fill "$drain_url" $((prefill - depth))
  before=$(queue_depth "$drain_url")
  QUEUE_URL="$drain_url" wrk -t1 -c"$conns" -d"${secs}s" -s "$here/sqs-receive-delete.lua" "$endpoint/" >"$tmp/rd.out"
  after=$(queue_depth "$drain_url")
  t=$(wrk_rps "$tmp/rd.out")
  QUEUE_URL="$drain_url" wrk -t1 -c"$conns" -d"${secs}s" -s "$here/sqs-receive-delete.lua" "http://127.0.0.1:$limit_port/" >"$tmp/rd-limit.out"
  l=$(wrk_rps "$tmp/rd-limit.out")
  r=$(awk -v t="$t" -v l="$l" 'BEGIN {printf "%.3f", t / l}')
  rd_ratios+=("$r"); rd_rates+=("$t"); rd_ceilings+=("$l")
  say "round $round: target $t req/s ($(grep '^receive-delete' "$tmp/rd.out" | cut -d: -f2-)), queue $before -> $after; ceiling $l req/s; ratio $r"
  [ "${after:-0}" -gt 0 ] || say "warning: the queue ran dry; raise BENCH_PREFILL"
done
rd_ratio=$(printf '%s\n' "${rd_ratios[@]}" | median)
rd_rps=$(printf '%s\n' "${rd_rates[@]}" | median)
rd_ceiling=$(printf '%s\n' "${rd_ceilings[@]}" | median)
stop "$limit"
rss_end=$(rss_kb "$server")
stop "$server"

# (d) start-to-ready
say "(d) 10 starts to the ready line, 10 starts to a 200 from /_stepyard/health"
mkfifo "$tmp/fifo"
ready_ms=()
health_ms=()
for i in $(seq 1 10); do
  t0=$EPOCHREALTIME
  "$bin" --host 127.0.0.1 --port 0 >"$tmp/fifo" 2>&1 &
  pid=$!
  pids+=("$pid")
  while IFS= read -r line; do [[ $line == *"stepyard ready on"* ]] && break; done <"$tmp/fifo"
  t1=$EPOCHREALTIME
  stop "$pid"
  ready_ms+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) * 1000}')")
done
for i in $(seq 1 10); do
  port=$(free_port)
  t0=$EPOCHREALTIME
  "$bin" --host 127.0.0.1 --port "$port" >/dev/null 2>&1 &
  pid=$!
  pids+=("$pid")
  until health_ok "$port"; do :; done
  t1=$EPOCHREALTIME
  stop "$pid"
  health_ms+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) * 1000}')")
done
ready_median=$(printf '%s\n' "${ready_ms[@]}" | median)
health_median=$(printf '%s\n' "${health_ms[@]}" | median)

cat <<EOF

stepyard SQS benchmark ($(nproc) cores, wrk -t1 -c$conns, ${secs}s runs, 127.0.0.1)
  (a) SendMessage                    ${send_rps} req/s, ceiling ${ceiling_rps} req/s -> ratio ${send_ratio} (median of 3)
  (b) ReceiveMessage+DeleteMessage   ${rd_rps} req/s, ceiling ${rd_ceiling} req/s -> ratio ${rd_ratio} (median of 3)
  (c) RSS idle, right after start    $(mb "$rss_idle")
      with ${depth_full} messages        $(mb "$rss_full")
      drained by receive+delete      $(mb "$rss_drained") after 1 s, $(mb "$rss_drained_5s") after 5 s (queue ${depth_drained})
      refilled                       $(mb "$rss_full2")
      drained by PurgeQueue          $(mb "$rss_purged_1s") after 1 s, $(mb "$rss_purged_5s") after 5 s (queue ${depth_purged})
      at the end of (a)+(b)          $(mb "$rss_end")
  (d) start to ready line            ${ready_median} ms median (${ready_ms[*]})
      start to health 200            ${health_median} ms median (${health_ms[*]})
EOF

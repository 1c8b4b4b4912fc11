-- wrk script: StartSyncExecution of an EXPRESS machine, one execution per request.
-- MACHINE_ARN from the environment. Counts executions that did not SUCCEED.
local arn = os.getenv("MACHINE_ARN") or "arn:aws:states:us-east-1:000000000000:stateMachine:bench"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartSyncExecution"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"
wrk.body = '{"stateMachineArn":"' .. arn .. '","input":"{\\"order\\":{\\"id\\":42,\\"total\\":120,\\"items\\":[1,2,3]}}"}'

local bad = 0
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"SUCCEEDED"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d seconds=%.2f rps=%.0f p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end

-- wrk script: fills a queue with SendMessageBatch (10 messages of ~100 bytes per request).
-- QUEUE_URL from the environment; TOTAL_MESSAGES (default 200000) stops the run once that many
-- have been acknowledged. Run it with -t1: the count is per wrk thread. The requests still in
-- flight on the other connections when it stops add at most (connections - 1) * 10 more.
local url = os.getenv("QUEUE_URL") or "http://127.0.0.1:4566/000000000000/fill"
local total = tonumber(os.getenv("TOTAL_MESSAGES") or "200000")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.SendMessageBatch"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"

local entries = {}
for i = 1, 10 do
  entries[i] = string.format('{"Id":"m%d","MessageBody":"benchmark message %02d: %s"}', i, i, string.rep("x", 72))
end
wrk.body = '{"QueueUrl":"' .. url .. '","Entries":[' .. table.concat(entries, ",") .. ']}'

sent, failed = 0, 0
function response(status)
  if status == 200 then
    sent = sent + 10
  else
    failed = failed + 1
  end
  if sent >= total then
    wrk.thread:stop()
  end
end

-- wrk script: SQS ReceiveMessage + DeleteMessage over the JSON protocol, the consumer's loop.
-- Each ReceiveMessage asks for one message; response() pulls the ReceiptHandle out of the
-- body and queues it, and the next request() sends the DeleteMessage for it. So a full queue
-- gives an even mix of receives and deletes, and every delete is of a message really received.
-- QUEUE_URL comes from the environment. The queue must be pre-filled (see sqs-bench.sh); the
-- summary line reports empty receives, which mean it ran dry.
local url = os.getenv("QUEUE_URL") or "http://127.0.0.1:4566/000000000000/drain"
local auth = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"

local function headers(operation)
  return {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "AmazonSQS." .. operation,
    ["Authorization"] = auth,
  }
end

local receive_body = '{"QueueUrl":"' .. url .. '","MaxNumberOfMessages":1}'
local delete_prefix = '{"QueueUrl":"' .. url .. '","ReceiptHandle":"'

-- Receipt handles waiting for their DeleteMessage, a FIFO ring shared by this thread's
-- connections (wrk runs each thread's Lua single-threaded, so no locking is needed).
local pending, head, tail = {}, 1, 0

-- Globals, so done() can read them through thread:get().
receives, deletes, handles, errors = 0, 0, 0, 0

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function request()
  if head <= tail then
    local handle = pending[head]
    pending[head] = nil
    head = head + 1
    deletes = deletes + 1
    return wrk.format("POST", "/", headers("DeleteMessage"), delete_prefix .. handle .. '"}')
  end
  receives = receives + 1
  return wrk.format("POST", "/", headers("ReceiveMessage"), receive_body)
end

function response(status, _, body)
  if status ~= 200 then
    errors = errors + 1
    return
  end
  local handle = body:match('"ReceiptHandle"%s*:%s*"([^"]+)"')
  if handle then
    handles = handles + 1
    tail = tail + 1
    pending[tail] = handle
  end
end

function done(summary, latency, requests)
  local r, d, h, e = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    r = r + t:get("receives")
    d = d + t:get("deletes")
    h = h + t:get("handles")
    e = e + t:get("errors")
  end
  io.write(string.format("receive-delete: receives %d, deletes %d, messages received %d, empty receives ~%d, non-200 %d\n",
    r, d, h, math.max(0, r - h - 32), e))
end

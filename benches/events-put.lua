-- wrk script: EventBridge PutEvents (one entry) over awsJson 1.1. DETAIL_N picks which of the
-- benchmark's 100 rules the event matches.
local n = os.getenv("DETAIL_N") or "7"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "AWSEvents.PutEvents"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/events/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"
wrk.body = '{"Entries":[{"Source":"bench","DetailType":"tick","Detail":"{\\"n\\":' .. n .. ',\\"payload\\":\\"hello from the benchmark\\"}"}]}'

//! HTTP in -> (service, protocol, operation) -> decode -> validate -> service -> encode -> HTTP
//! out. Routing uses `X-Amz-Target`, or a form body's `Action` with the SigV4 credential scope;
//! never the Host header (SDKs prefix it, e.g. `sync-` for StartSyncExecution).

use crate::app::AppState;
use crate::dispatch;
use crate::error::ApiError;
use crate::model::ServiceModel;
use crate::protocol::{self, form, json, query, Encoded, Output};
use crate::request::{Protocol, RequestContext, ServiceId};
use crate::server::browser;
use crate::server::response::HttpResponse;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::Value;
use std::sync::Arc;

// Header names looked up on every request, parsed once at compile time.
const X_AMZ_TARGET: http::HeaderName = http::HeaderName::from_static("x-amz-target");
const X_AMZN_TRACE_ID: http::HeaderName = http::HeaderName::from_static("x-amzn-trace-id");

/// Where a request goes, once its protocol is known.
struct Route {
    service: ServiceId,
    operation: String,
    protocol: Protocol,
    /// Form parameters, for awsQuery requests.
    params: Option<query::Params>,
}

pub async fn handle(state: Arc<AppState>, request: Request<Incoming>) -> HttpResponse {
    let (parts, body) = request.into_parts();
    match browser::check(&state.config, &parts.method, &parts.uri, &parts.headers) {
        browser::Verdict::Serve => serve(state, parts, body).await,
        browser::Verdict::ServeWithCors(origin) => {
            let mut response = if parts.method == Method::OPTIONS {
                preflight(&parts.headers)
            } else {
                serve(state, parts, body).await
            };
            let headers = response.headers_mut();
            headers.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
                http::HeaderValue::from_static(
                    "x-amzn-requestid, x-amzn-query-error, x-amz-request-id",
                ),
            );
            headers.insert(http::header::VARY, http::HeaderValue::from_static("Origin"));
            response
        }
        browser::Verdict::Refuse(reason) => {
            tracing::warn!(method = %parts.method, path = parts.uri.path(), "{reason}");
            let error = ApiError::new("AccessDeniedException", reason, 403);
            finish(
                protocol::error::encode_unrouted(&error),
                &uuid::Uuid::new_v4().to_string(),
            )
        }
    }
}

/// The answer to a CORS preflight from an allowed origin: any method, the headers asked for.
fn preflight(headers: &HeaderMap) -> HttpResponse {
    let mut builder = Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header(
            http::header::ACCESS_CONTROL_ALLOW_METHODS,
            "GET, POST, PUT, DELETE, HEAD, OPTIONS",
        )
        .header(http::header::ACCESS_CONTROL_MAX_AGE, "600");
    if let Some(asked) = headers.get(http::header::ACCESS_CONTROL_REQUEST_HEADERS) {
        builder = builder.header(http::header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    builder
        .body(Full::new(Bytes::new()))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

async fn serve(state: Arc<AppState>, parts: http::request::Parts, body: Incoming) -> HttpResponse {
    let request_id = uuid::Uuid::new_v4().to_string();

    let limit = state.config.max_body_bytes;
    if crate::server::admin::is_admin(parts.uri.path()) {
        let token = state.config.admin_token.as_deref();
        if let Some(refused) = crate::server::admin_token::check(token, &parts.uri, &parts.headers)
        {
            return refused;
        }
        // Admin bodies are small JSON; one too large or cut short reads as empty, which the
        // endpoints that take a body refuse with a 400.
        let body = Limited::new(body, limit)
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let mut response =
            crate::server::admin::handle(&state, &parts.method, &parts.uri, &body).await;
        if let Some(cookie) = crate::server::admin_token::cookie_for(token, &parts.uri) {
            if let Ok(value) = http::HeaderValue::from_str(&cookie) {
                response
                    .headers_mut()
                    .insert(http::header::SET_COOKIE, value);
            }
        }
        return response;
    }

    let declared_too_large = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|len| len > limit);
    let too_large = || {
        ApiError::new(
            "RequestEntityTooLarge",
            format!("Request body must be at most {limit} bytes."),
            413,
        )
    };
    let body = if declared_too_large {
        Err(too_large())
    } else {
        Limited::new(body, limit)
            .collect()
            .await
            .map(|c| c.to_bytes())
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    too_large()
                } else {
                    // A body that breaks off or has malformed chunk framing is the client's
                    // mistake, not a size problem.
                    ApiError::sender(
                        "SerializationException",
                        "The request body could not be read: it ended early or its chunked encoding is malformed.",
                    )
                }
            })
    };
    let body = match body {
        Ok(body) => body,
        Err(error) => return finish(protocol::error::encode_unrouted(&error), &request_id),
    };

    // Read once: it picks the service of a query request and the region/account of every one.
    let scope = credential_scope(&parts.headers, &parts.uri);
    let route = match route(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
        scope.as_ref(),
    ) {
        Ok(route) => route,
        Err((error, protocol)) => {
            let encoded = match protocol {
                // A queue URL called without an Action: AWS's bare 404 (recorded by LocalStack's
                // AWS-validated query API tests).
                Protocol::AwsQuery if error.code == "UnknownOperationException" => Encoded {
                    status: 404,
                    content_type: "text/xml",
                    headers: Vec::new(),
                    body: Bytes::from_static(b"<UnknownOperationException/>"),
                },
                // The service is not known yet: SQS's shape, the one with the most fields.
                Protocol::AwsQuery => protocol::error::encode_query(
                    &error,
                    &request_id,
                    "",
                    protocol::error::QueryErrorShape::WithDetail,
                ),
                _ => protocol::error::encode_unrouted(&error),
            };
            return finish(encoded, &request_id);
        }
    };

    if state.config.verify_signatures {
        if let Err(error) = verify_signature(&state, &parts, &body, route.service) {
            let encoded =
                protocol::encode_error(route.service, route.protocol, &error, &request_id);
            return finish(encoded, &request_id);
        }
    }

    let session = scope
        .as_ref()
        .and_then(|s| s.temporary_key.as_deref())
        .and_then(|key| state.sts.session(key));
    let trace_header = parts
        .headers
        .get(X_AMZN_TRACE_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let ctx = RequestContext {
        trace: crate::request::TraceContext::from_header(
            trace_header.as_deref(),
            state.clock.now_millis() / 1000,
        ),
        tracer: state.tracer.clone(),
        aws_service: false,
        account_id: session
            .as_ref()
            .map(|s| s.account_id.clone())
            .or_else(|| scope.as_ref().and_then(|s| s.account_id.clone()))
            .unwrap_or_else(|| state.config.account_id.clone()),
        region: scope
            .map(|s| s.region)
            .unwrap_or_else(|| state.config.default_region.clone()),
        request_id: request_id.clone(),
        host: host(&parts.headers, &state),
        protocol: route.protocol,
        clock: state.clock.clone(),
        session,
        trace_header,
    };
    // SQS's query endpoint answers in JSON to a client that asks for it.
    let json_answer = route.service == ServiceId::Sqs
        && route.protocol == Protocol::AwsQuery
        && parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("application/json"));
    let encoded = dispatch(state, ctx, route, &parts.uri, body).await;
    let encoded = if json_answer {
        protocol::xml_json::encode(encoded)
    } else {
        encoded
    };
    finish(encoded, &request_id)
}

/// `--verify-signatures`: the request's SigV4 signature, unless it comes from the console
/// (a browser carrying the admin token's cookie, whose calls cannot be signed).
fn verify_signature(
    state: &AppState,
    parts: &http::request::Parts,
    body: &[u8],
    service: ServiceId,
) -> Result<(), ApiError> {
    let console = state
        .config
        .admin_token
        .as_deref()
        .is_some_and(|token| crate::server::admin_token::presented(&parts.headers, token));
    if console {
        return Ok(());
    }
    let request = crate::server::signature::SignedRequest {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body,
    };
    crate::server::signature::verify(
        service,
        &request,
        &state.config.credentials,
        |key| state.sts.session(key),
        state.clock.now_millis(),
    )
}

/// Decodes, validates, calls the service and encodes the outcome in the request's protocol.
async fn dispatch(
    state: Arc<AppState>,
    ctx: RequestContext,
    route: Route,
    uri: &http::Uri,
    body: Bytes,
) -> Encoded {
    let service = route.service;
    let protocol = route.protocol;
    let request_id = ctx.request_id.clone();
    let operation_name = route.operation.clone();
    // Per-request logging costs nothing unless debug is on: the clock is read and the
    // resource looked up only then.
    let mut log = tracing::enabled!(tracing::Level::DEBUG).then(|| RequestLog {
        started: crate::clock::real_instant(),
        resource: None,
    });
    let result = decode_and_call(state, ctx, route, uri, body, log.as_mut()).await;
    let error_code = match (&log, &result) {
        (Some(_), Err(e)) => Some(e.code.clone()),
        _ => None,
    };
    let encoded = encode_result(service, protocol, &operation_name, &request_id, result);
    if let Some(log) = log {
        tracing::debug!(
            service = service.name(),
            operation = %operation_name,
            resource = log.resource.as_deref().unwrap_or("-"),
            status = encoded.status,
            error = error_code.as_ref().map_or("-", |code| code.as_ref()),
            duration_us = log.started.elapsed().as_micros() as u64,
            request_id = %request_id,
            "request"
        );
    }
    encoded
}

/// What the debug request log collects along the way.
struct RequestLog {
    started: std::time::Instant,
    /// The queue, topic, bus, state machine... the request names, if any.
    resource: Option<String>,
}

/// Members that name the resource a request acts on, in the order they are looked for.
const RESOURCE_MEMBERS: &[&str] = &[
    "QueueUrl",
    "QueueName",
    "TopicArn",
    "SubscriptionArn",
    "TargetArn",
    "stateMachineArn",
    "executionArn",
    "activityArn",
    "mapRunArn",
    "EventBusName",
    "Rule",
    "RoleArn",
    "ResourceArn",
    "resourceArn",
    "Name",
    "name",
];

fn resource_of(input: &Value) -> Option<String> {
    RESOURCE_MEMBERS
        .iter()
        .find_map(|member| input.get(member)?.as_str())
        .map(str::to_string)
}

/// The operation's output or error, in the request's protocol (`protocol` picks the
/// encoding).
fn encode_result(
    service: ServiceId,
    protocol: Protocol,
    operation_name: &str,
    request_id: &str,
    result: Result<Output, ApiError>,
) -> Encoded {
    match result {
        Ok(output) => {
            protocol::encode_output(service, protocol, operation_name, output, request_id)
        }
        Err(error) => {
            if error.status >= 500 {
                tracing::warn!(service = service.name(), operation = %operation_name, %error, "request failed");
            }
            protocol::encode_error(service, protocol, &error, request_id)
        }
    }
}

async fn decode_and_call(
    state: Arc<AppState>,
    ctx: RequestContext,
    route: Route,
    uri: &http::Uri,
    body: Bytes,
    log: Option<&mut RequestLog>,
) -> Result<Output, ApiError> {
    let service = route.service;
    if service.model().operation(&route.operation).is_none() {
        return Err(unknown_operation(route.protocol, &route.operation));
    }
    let mut input = match &route.params {
        Some(params) => decode_query(service, &route.operation, params)?,
        None => json::decode(&body)?,
    };
    if service == ServiceId::Sqs && route.protocol == Protocol::AwsQuery {
        // A queue URL is the endpoint of that queue's actions only.
        if is_queue_path(uri.path())
            && matches!(route.operation.as_str(), "CreateQueue" | "ListQueues")
        {
            return Err(unknown_operation(route.protocol, &route.operation));
        }
        sqs_queue_url_from_path(&mut input, &ctx.host, uri.path());
    }
    if let Some(log) = log {
        log.resource = resource_of(&input);
    }
    // Validation, the NotImplemented check and the handler (`dispatch::call`, the path
    // in-process calls take too) run as their own task so that a bug that panics answers this
    // one request with a 500 instead of dropping the connection.
    let operation_name = route.operation;
    // Long polls keep a handle on the state to see shutdown begin; other requests need none.
    let watch_shutdown = is_long_poll(service, &operation_name).then(|| state.clone());
    let mut task =
        tokio::spawn(
            async move { dispatch::call(&state, service, &ctx, &operation_name, input).await },
        );
    let joined = if let Some(state) = watch_shutdown {
        // On shutdown a long poll answers empty at once, as when its wait times out. Aborting
        // it is safe: these handlers take messages or tasks only in synchronous sections and
        // return right after, so at their one `.await` (the wait) they hold nothing. If the
        // handler finished just as the abort came, its result is used and nothing is lost.
        tokio::select! {
            biased;
            joined = &mut task => joined,
            _ = state.draining() => {
                task.abort();
                match task.await {
                    Err(e) if e.is_cancelled() => return Ok(Output::empty()),
                    other => other,
                }
            }
        }
    } else {
        task.await
    };
    match joined {
        Ok(result) => result,
        Err(join_error) => {
            tracing::error!(%join_error, "handler panicked");
            Err(ApiError::internal("An internal error occurred."))
        }
    }
}

/// Operations that wait for work to arrive: the empty answer `{}` is what they return when
/// their wait ends with nothing (SQS: no `Messages`; Step Functions: no `taskToken`).
fn is_long_poll(service: ServiceId, operation: &str) -> bool {
    matches!(
        (service, operation),
        (ServiceId::Sqs, "ReceiveMessage") | (ServiceId::StepFunctions, "GetActivityTask")
    )
}

fn decode_query(
    service: ServiceId,
    operation: &str,
    params: &query::Params,
) -> Result<Value, ApiError> {
    let wire_model: &ServiceModel = service.query_model();
    match wire_model
        .operation(operation)
        .and_then(|op| op.input.clone())
    {
        Some(shape) => query::decode(wire_model, &shape, params)
            .map_err(|v| service.validation_error(std::slice::from_ref(&*v))),
        None => Ok(Value::Object(Default::default())),
    }
}

/// Legacy SQS query requests may address the queue by posting to its URL instead of passing
/// `QueueUrl`.
fn sqs_queue_url_from_path(input: &mut Value, host: &str, path: &str) {
    if path.len() <= 1 {
        return;
    }
    if let Value::Object(map) = input {
        if !map.contains_key("QueueUrl") {
            map.insert(
                "QueueUrl".into(),
                Value::String(format!("http://{host}{path}")),
            );
        }
    }
}

/// `/<account>/<queue name>`: the path of an SQS queue URL.
fn is_queue_path(path: &str) -> bool {
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(account), Some(name), None) => {
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
        }
        _ => false,
    }
}

fn unknown_operation(protocol: Protocol, operation: &str) -> ApiError {
    match protocol {
        Protocol::AwsQuery => ApiError::sender(
            "InvalidAction",
            format!("The action {operation} is not valid for this endpoint."),
        ),
        _ => ApiError::sender(
            "UnknownOperationException",
            format!("Unknown operation {operation}"),
        ),
    }
}

/// Picks service, operation and protocol. The error side says which protocol to answer in.
fn route(
    method: &Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &Bytes,
    scope: Option<&CredentialScope>,
) -> Result<Route, (ApiError, Protocol)> {
    if let Some(target) = headers.get(X_AMZ_TARGET).and_then(|v| v.to_str().ok()) {
        let (prefix, operation) = target.split_once('.').unwrap_or((target, ""));
        let Some(service) = ServiceId::from_target_prefix(prefix) else {
            let error = ApiError::sender(
                "UnknownOperationException",
                format!("Unknown target {target}"),
            );
            return Err((error, Protocol::AwsJson11));
        };
        let protocol = match service.model().metadata.json_version.as_deref() {
            Some("1.1") => Protocol::AwsJson11,
            _ => Protocol::AwsJson10,
        };
        return Ok(Route {
            service,
            operation: operation.to_string(),
            protocol,
            params: None,
        });
    }

    // awsQuery: parameters in the form body (POST) and/or the query string (GET).
    let mut pairs = Vec::new();
    if let Some(q) = uri.query() {
        pairs.extend(form::parse(q.as_bytes()).ok_or_else(invalid_utf8)?);
    }
    if *method == Method::POST && !body.is_empty() {
        pairs.extend(form::parse(body).ok_or_else(invalid_utf8)?);
    }
    let params: query::Params = pairs.into_iter().collect();
    let Some(action) = params.get("Action").cloned() else {
        if is_queue_path(uri.path()) {
            let error = ApiError::new("UnknownOperationException", "", 404);
            return Err((error, Protocol::AwsQuery));
        }
        let error = ApiError::sender(
            "MissingAction",
            "The request must contain an X-Amz-Target header or an Action parameter.",
        );
        return Err((error, Protocol::AwsQuery));
    };
    let service = scope
        .and_then(|scope| ServiceId::from_name(&scope.service))
        .filter(|s| matches!(s, ServiceId::Sqs | ServiceId::Sns | ServiceId::Sts))
        .unwrap_or_else(|| guess_query_service(&action, &params, uri.path()));
    Ok(Route {
        service,
        operation: action,
        protocol: Protocol::AwsQuery,
        params: Some(params),
    })
}

fn invalid_utf8() -> (ApiError, Protocol) {
    let error = ApiError::sender(
        "MalformedQueryString",
        "The request contains bytes that are not valid UTF-8.",
    );
    (error, Protocol::AwsQuery)
}

/// Without a credential scope (unsigned clients), an action only SNS has goes to SNS; actions
/// both have (`AddPermission`, `RemovePermission`) go to SQS when a queue is named; STS's
/// actions (none shared with the other two) go to STS.
fn guess_query_service(action: &str, params: &query::Params, path: &str) -> ServiceId {
    if ServiceId::Sts.model().operation(action).is_some() {
        return ServiceId::Sts;
    }
    let in_sqs = ServiceId::Sqs.model().operation(action).is_some();
    let in_sns = ServiceId::Sns.model().operation(action).is_some();
    match (in_sqs, in_sns) {
        (true, false) => ServiceId::Sqs,
        (false, true) => ServiceId::Sns,
        _ if params.contains_key("QueueUrl") || path.len() > 1 => ServiceId::Sqs,
        _ => ServiceId::Sns,
    }
}

/// What a SigV4 credential says about the caller.
struct CredentialScope {
    region: String,
    service: String,
    /// Like LocalStack, an access key id of exactly 12 digits selects that account, so one
    /// server can host several accounts for cross-account tests.
    account_id: Option<String>,
    /// A key that may come from AssumeRole (`ASIA...`), to look up its session; `None` for
    /// every other key, so ordinary requests never look.
    temporary_key: Option<String>,
}

/// From `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request`
/// or a presigned URL's `X-Amz-Credential`.
fn credential_scope(headers: &HeaderMap, uri: &http::Uri) -> Option<CredentialScope> {
    let from_header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .map(|rest| rest.split([',', ' ']).next().unwrap_or(rest).to_string());
    let credential = from_header.or_else(|| {
        let query = uri.query()?;
        form::parse(query.as_bytes())?
            .into_iter()
            .find(|(k, _)| k == "X-Amz-Credential")
            .map(|(_, v)| v)
    })?;
    let mut parts = credential.split('/');
    let (key, _date, region, service) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if region.is_empty() {
        return None;
    }
    let account_id =
        (key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit())).then(|| key.to_string());
    let temporary_key = key
        .starts_with(crate::services::sts::TEMPORARY_KEY_PREFIX)
        .then(|| key.to_string());
    Some(CredentialScope {
        region: region.to_string(),
        service: service.to_string(),
        account_id,
        temporary_key,
    })
}

fn host(headers: &HeaderMap, state: &AppState) -> String {
    headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| state.local_addr.to_string())
}

fn finish(encoded: Encoded, request_id: &str) -> HttpResponse {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(encoded.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(http::header::CONTENT_TYPE, encoded.content_type)
        .header("x-amzn-RequestId", request_id);
    for (name, value) in encoded.headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(encoded.body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

//! In-process calls between the services (DESIGN.md section 5): an EventBridge target, an SNS
//! subscription or a Step Functions task calls any operation of any service through here,
//! with the same model validation and the same errors as a request over HTTP, minus the HTTP.
//!
//! Services are built before the shared state that holds them exists, so they get an
//! `Invoker` that is bound to that state once it does; it holds the state weakly, as a
//! [`Dispatch`], so that the services and the state do not keep each other alive and this
//! file knows nothing of the state above it.

use crate::clock::Clock;
use crate::error::ApiError;
use crate::request::{Caller, Protocol, RequestContext, ServiceId, TraceContext};
use crate::trace::{Span, Tracer};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, Weak};

/// The longest causal chain of in-process calls stepyard follows. Each step that one call
/// causes another (an EventBridge rule delivering to a target, a topic to a subscription, an
/// execution's task or status-change event, a bus forwarding to a bus) is a hop; a call
/// `MAX_HOPS` hops from the client's request is refused with `RecursiveInvocationException`
/// and a log line. AWS stops recursive loops through Lambda, SQS and SNS after about 16
/// invocations; stepyard applies the same bound to every in-process chain, so a loop (a
/// rule that starts an execution whose status-change event matches the same rule, a state
/// machine starting itself) ends instead of running forever. Real flows are a few hops long.
pub const MAX_HOPS: u32 = 16;

/// The most in-process calls (deliveries to targets and subscriptions, executions started,
/// tasks' service calls, status-change events) one client request may cause in all
/// (`--chain-budget`; 0 for no limit). `MAX_HOPS` bounds a chain's depth, not its breadth: a
/// loop whose every step starts several more (a rule on Step Functions status-change events
/// with two targets starting the same machine: four executions per execution) would run
/// about 4^8 executions before reaching the hop limit. Past the budget, every further call
/// the chain causes is refused with `RecursiveInvocationException`, one warning is logged and
/// one `ChainBudgetExceeded` span is recorded in the trace. A Map whose iterations call
/// services counts each call, so a single request that legitimately causes more than this
/// many calls needs a larger `--chain-budget`.
pub const DEFAULT_CHAIN_BUDGET: u64 = 10_000;

/// Chains remembered per shard of [`Budget`] before the older generation is forgotten.
const CHAINS_PER_SHARD: usize = 4096;
const BUDGET_SHARDS: usize = 16;

/// How many calls each causal chain has made, by chain id. Bounded: each shard keeps two
/// generations of counts, and when the current one fills up the previous one is dropped
/// (a chain still at work is moved to the current generation at its next call, so only
/// chains idle for a whole generation are forgotten, and forgetting one only gives it a
/// fresh budget: its depth stays bounded by `MAX_HOPS`).
struct Budget {
    limit: u64,
    /// Sharded by chain id so that concurrent chains rarely meet on a lock. Each lock is
    /// held for a hash lookup and insert, never across an await or another lock, so it
    /// cannot deadlock.
    shards: Box<[parking_lot::Mutex<Generations>]>,
}

#[derive(Default)]
struct Generations {
    current: std::collections::HashMap<u64, u64>,
    previous: std::collections::HashMap<u64, u64>,
}

impl Budget {
    fn new(limit: u64) -> Self {
        Budget {
            limit,
            shards: (0..BUDGET_SHARDS)
                .map(|_| parking_lot::Mutex::default())
                .collect(),
        }
    }

    /// Counts one call of `chain`; its calls so far, this one included.
    fn charge(&self, chain: u64) -> u64 {
        let mut shard = self.shards[(chain as usize) % BUDGET_SHARDS].lock();
        if let Some(count) = shard.current.get_mut(&chain) {
            *count += 1;
            return *count;
        }
        let count = shard.previous.remove(&chain).unwrap_or(0) + 1;
        if shard.current.len() >= CHAINS_PER_SHARD {
            shard.previous = std::mem::take(&mut shard.current);
        }
        shard.current.insert(chain, count);
        count
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(DEFAULT_CHAIN_BUDGET)
    }
}

/// What [`Invoker::call`] returns.
pub type CallFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value, ApiError>> + Send + 'a>>;

/// What an invoker calls into: the server's state, which routes a call to its service.
pub trait Dispatch: Send + Sync {
    /// Calls `service.operation` (an operation of the service's model) with `input`: validates
    /// it, then calls the handler (see `crate::dispatch`).
    fn dispatch<'a>(
        &'a self,
        service: ServiceId,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> CallFuture<'a>;

    /// The shared clock.
    fn clock(&self) -> &Clock;

    /// The address the server listens on, which in-process calls name as their host.
    fn local_addr(&self) -> SocketAddr;
}

#[derive(Clone, Default)]
pub struct Invoker {
    state: Arc<OnceLock<Weak<dyn Dispatch>>>,
    tracer: Tracer,
    budget: Arc<Budget>,
}

impl Invoker {
    pub fn new(tracer: Tracer) -> Self {
        Invoker {
            state: Arc::default(),
            tracer,
            budget: Arc::default(),
        }
    }

    /// This invoker with at most `limit` calls per causal chain (0: no limit); see
    /// [`DEFAULT_CHAIN_BUDGET`].
    pub fn with_chain_budget(mut self, limit: u64) -> Self {
        self.budget = Arc::new(Budget::new(limit));
        self
    }

    /// Where the services record the spans of work that is not a call (rule evaluations,
    /// deliveries, executions).
    pub fn tracer(&self) -> &Tracer {
        &self.tracer
    }

    /// Called once by `Server::start` when the state exists.
    pub(crate) fn bind<D: Dispatch + 'static>(&self, state: &Arc<D>) {
        let weak: Weak<dyn Dispatch> = Arc::downgrade(state) as Weak<dyn Dispatch>;
        let _ = self.state.set(weak);
    }

    /// Calls `service.operation` with a JSON-protocol `input` (member names of the JSON model)
    /// as `caller`, on the same path as a request over HTTP: validated against the model, then
    /// the service's handler.
    ///
    /// Boxed and declared `Send`: a call may come back here (a Task calling StartExecution,
    /// whose execution calls a service ...), and a recursive future needs a known size and a
    /// `Send` the compiler does not have to infer through the cycle.
    pub fn call<'a>(
        &'a self,
        service: ServiceId,
        caller: &'a Caller,
        operation: &'a str,
        input: Value,
    ) -> CallFuture<'a> {
        Box::pin(self.call_inner(service, caller, operation, input))
    }

    async fn call_inner(
        &self,
        service: ServiceId,
        caller: &Caller,
        operation: &str,
        input: Value,
    ) -> Result<Value, ApiError> {
        let state = self
            .state
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| ApiError::internal("the server is shutting down"))?;
        if caller.trace.hops >= MAX_HOPS {
            self.tracer.record_with(|now| {
                Span::new(&caller.trace.child(), "stepyard", "HopLimitReached", now)
                    .error(true)
                    .attr("operation", format!("{}.{operation}", service.name()))
                    .attr("hops", caller.trace.hops)
                    .attr(
                        "reason",
                        format!("the call is {MAX_HOPS} in-process hops from the client's request (a loop?)"),
                    )
            });
            tracing::warn!(
                service = service.name(),
                operation,
                hops = caller.trace.hops,
                "causal chain stopped after {MAX_HOPS} in-process hops (a loop of rules, targets, topics or executions?)"
            );
            return Err(ApiError::sender(
                "RecursiveInvocationException",
                format!(
                    "stepyard stopped this {}.{operation} call: it is {} in-process hops from the request that caused it (limit {MAX_HOPS}), which looks like a loop",
                    service.name(),
                    caller.trace.hops
                ),
            ));
        }
        if service.model().operation(operation).is_none() {
            return Err(ApiError::sender(
                "UnknownOperationException",
                format!("Unknown operation {operation}"),
            ));
        }
        let clock = state.clock().clone();
        // The call is a new span of the caller's trace, or the first of a new trace.
        let mut trace = if caller.trace.is_none() {
            TraceContext::root(clock.now_millis() / 1000)
        } else {
            caller.trace.child()
        };
        if trace.chain == 0 {
            trace.chain = crate::request::new_span_id();
        }
        self.check_budget(service, operation, &trace)?;
        let ctx = RequestContext {
            aws_service: caller.aws_service,
            account_id: caller.account_id.clone(),
            region: caller.region.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
            host: format!("localhost:{}", state.local_addr().port()),
            protocol: json_protocol(service),
            clock,
            trace,
            tracer: self.tracer.clone(),
            session: None,
            // What the call sends on carries its trace, as AWS services pass the X-Ray header
            // (SQS's AWSTraceHeader, an execution's traceHeader).
            trace_header: Some(trace.header()),
        };
        state.dispatch(service, &ctx, operation, input).await
    }

    /// Counts the call `trace` is about to make against its chain's budget; refuses it past
    /// the budget, the first time with a warning and a `ChainBudgetExceeded` span.
    fn check_budget(
        &self,
        service: ServiceId,
        operation: &str,
        trace: &TraceContext,
    ) -> Result<(), ApiError> {
        let limit = self.budget.limit;
        if limit == 0 {
            return Ok(());
        }
        let count = self.budget.charge(trace.chain);
        if count <= limit {
            return Ok(());
        }
        if count == limit + 1 {
            tracing::warn!(
                service = service.name(),
                operation,
                trace = %trace.id,
                "causal chain stopped: the client's request has caused {limit} in-process calls (--chain-budget), a loop that fans out?"
            );
            self.tracer.record_with(|now| {
                Span::new(trace, "stepyard", "ChainBudgetExceeded", now)
                    .error(true)
                    .attr("operation", format!("{}.{operation}", service.name()))
                    .attr("budget", limit)
                    .attr("hops", trace.hops)
                    .attr(
                        "reason",
                        format!("the client's request has caused {limit} in-process calls (--chain-budget); this call and every later one it causes are refused"),
                    )
            });
        }
        Err(ApiError::sender(
            "RecursiveInvocationException",
            format!(
                "stepyard stopped this {}.{operation} call: the request that caused it has caused {limit} in-process calls already (--chain-budget), which looks like a loop",
                service.name()
            ),
        ))
    }

    /// The shared clock, once bound (services have their own copy; this is for callers
    /// that only hold an invoker).
    pub fn clock(&self) -> Option<Clock> {
        self.state
            .get()
            .and_then(Weak::upgrade)
            .map(|s| s.clock().clone())
    }
}

fn json_protocol(service: ServiceId) -> Protocol {
    match service {
        ServiceId::Sqs | ServiceId::StepFunctions => Protocol::AwsJson10,
        ServiceId::Events => Protocol::AwsJson11,
        ServiceId::Sns | ServiceId::Sts => Protocol::AwsQuery,
    }
}

//! What Task states reach outside the interpreter, implemented for it as a
//! [`TaskRunner`]: stepyard's own services (optimized and AWS SDK integrations, through the
//! in-process invoker of DESIGN.md section 5) with their request shaping and error naming,
//! Lambda functions (over HTTP, at the configured endpoint), mocked responses (Step Functions
//! Local's mock file), child executions (`.sync`), and status-change events on the default bus.

mod child;
mod errors;
mod http_metadata;
mod lambda;
pub mod mock;
mod services;
mod status_events;

pub(crate) use services::upper_first;

use crate::asl::interp::integrations::resource::Resource;
use crate::asl::interp::integrations::status_events::Snapshot;
use crate::asl::interp::integrations::{Called, TaskCall, TaskFuture, TaskRunner};
use crate::asl::interp::Failure;
use crate::clock::Clock;
use crate::invoke::Invoker;
use crate::request::Caller;
use mock::{MockConfig, Mocked};
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// What the server offers every execution's Task states.
pub struct TaskServices {
    pub invoker: Invoker,
    /// The Lambda Invoke API endpoint (`--lambda-endpoint`), if any.
    pub lambda_endpoint: Option<String>,
    /// Step Functions Local's mock file (`--mock-config`), if any.
    pub mocks: Option<Arc<MockConfig>>,
}

/// One execution's access to the services: as whom it calls, and which mock test case it runs.
#[derive(Clone)]
pub struct ExecutionTasks {
    pub services: Arc<TaskServices>,
    pub caller: Caller,
    /// A Standard execution (Express ones send no status-change events).
    pub standard: bool,
    /// What few executions have (a mock case, a version or alias): boxed, so that the
    /// others (a parked one keeps this for as long as it waits) do not carry its room.
    pub rare: Option<Arc<Rare>>,
}

/// An execution's mock case and the version and alias it was started through.
#[derive(Default)]
pub struct Rare {
    /// The `#TestCase` the execution was started with.
    pub mock_case: Option<String>,
    /// Invocations of each mocked state so far, for the per-invocation responses.
    pub mock_counts: Mutex<HashMap<String, u64>>,
    /// The version and alias the execution was started through, which its status-change
    /// events name (`null` when unused).
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
}

impl ExecutionTasks {
    /// The version the execution was started through, if any.
    pub fn version_arn(&self) -> Option<&str> {
        self.rare.as_ref()?.version_arn.as_deref()
    }

    /// The alias the execution was started through, if any.
    pub fn alias_arn(&self) -> Option<&str> {
        self.rare.as_ref()?.alias_arn.as_deref()
    }
}

impl ExecutionTasks {
    pub fn new(services: Arc<TaskServices>, caller: Caller) -> Self {
        ExecutionTasks {
            services,
            caller,
            standard: true,
            rare: None,
        }
    }

    async fn call_resource(&self, call: TaskCall<'_>) -> Result<Called, Failure> {
        let endpoint = self.services.lambda_endpoint.as_deref();
        match call.resource {
            Resource::LambdaFunction { arn } => {
                let invocation = lambda::invoke(endpoint, arn, None, &call.parameters).await?;
                if invocation.function_error.is_some() {
                    return Err(lambda::function_failure(&invocation));
                }
                Ok(Called {
                    output: invocation.payload,
                    execution_arn: None,
                })
            }
            Resource::Optimized {
                service, action, ..
            } if service == "lambda" && action == "invoke" => {
                let parameters = &call.parameters;
                let function = parameters["FunctionName"].as_str().unwrap_or_default();
                let payload = parameters.get("Payload").cloned().unwrap_or(Value::Null);
                let qualifier = parameters["Qualifier"].as_str();
                let invocation = lambda::invoke(endpoint, function, qualifier, &payload).await?;
                if invocation.function_error.is_some() {
                    return Err(lambda::function_failure(&invocation));
                }
                Ok(Called {
                    output: lambda::invoke_result(&invocation, call.now),
                    execution_arn: None,
                })
            }
            Resource::Optimized {
                service, action, ..
            } => {
                let mut parameters = call.parameters;
                if service == "events" && action == "putEvents" {
                    services::add_execution_resources(&mut parameters, call.context);
                }
                services::optimized(self, call.now, service, action, parameters).await
            }
            Resource::Sdk {
                service, action, ..
            } => Ok(Called {
                output: services::sdk(self, service, action, call.parameters).await?,
                execution_arn: None,
            }),
            // The interpreter runs activities itself and fails unknown resources first.
            Resource::Activity | Resource::Unknown => Err(Failure::runtime(
                "stepyard cannot run this resource: mock this state with SFN_MOCK_CONFIG",
            )),
        }
    }
}

impl TaskRunner for ExecutionTasks {
    fn region(&self) -> &str {
        &self.caller.region
    }

    fn mocked(&self, machine: &str, state: &str) -> Option<Result<Value, Failure>> {
        let rare = self.rare.as_deref()?;
        let case = rare.mock_case.as_deref()?;
        let list = self
            .services
            .mocks
            .as_ref()?
            .responses(machine, case, state)?;
        let invocation = {
            let mut counts = rare.mock_counts.lock();
            let n = counts.entry(state.to_string()).or_insert(0);
            let this = *n;
            *n += 1;
            this
        };
        Some(match mock::pick(list, invocation)? {
            Mocked::Return(v) => Ok(v),
            Mocked::Throw { error, cause } => Err(Failure {
                error,
                cause,
                from_child: false,
            }),
        })
    }

    fn call<'a>(&'a self, call: TaskCall<'a>) -> TaskFuture<'a, Result<Called, Failure>> {
        match call.trace {
            // The call is made by the Task state's span (a child of the execution's), so that
            // its span hangs under the state that made it.
            Some(state) if state != self.caller.trace => {
                let mut tasks = self.clone();
                tasks.caller.trace = state;
                Box::pin(async move { tasks.call_resource(call).await })
            }
            _ => Box::pin(self.call_resource(call)),
        }
    }

    fn tracing(&self) -> Option<(crate::trace::Tracer, crate::request::TraceContext)> {
        let tracer = self.services.invoker.tracer();
        tracer
            .enabled()
            .then(|| (tracer.clone(), self.caller.trace))
    }

    fn wait_child<'a>(
        &'a self,
        clock: &'a Clock,
        arn: &'a str,
        output_as_json: bool,
    ) -> TaskFuture<'a, Result<Value, Failure>> {
        Box::pin(child::wait(self, clock, arn, output_as_json))
    }

    fn stop_child(&self, arn: String) {
        child::stop(self, arn);
    }

    fn status_changed(&self, snapshot: Snapshot) -> TaskFuture<'_, ()> {
        Box::pin(status_events::send(self, snapshot))
    }

    fn status_changed_detached(&self, snapshot: Snapshot) {
        status_events::send_detached(self, snapshot);
    }

    /// A Standard execution sends its events; an Express one sends none, and its span (the
    /// only other reader) is recorded once it has ended, with tracing on.
    fn status_wanted(&self, ended: bool) -> bool {
        self.standard || (ended && self.services.invoker.tracer().enabled())
    }
}

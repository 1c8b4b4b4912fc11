//! The Step Functions client for tests, and helpers shared by the modules.
//!
//! StartSyncExecution carries the endpoint trait `hostPrefix: "sync-"`, and the Rust SDK
//! applies it even to an explicit `endpoint_url`: `http://127.0.0.1:PORT` becomes
//! `http://sync-127.0.0.1:PORT`, which does not resolve (nor does `sync-localhost` here), so
//! the call fails before reaching the server. There is no config switch to turn the prefix
//! off, so the client gets an interceptor that strips it again just before signing. The
//! server never routes by host (`X-Amz-Target` names the operation), so nothing else is needed.

use crate::common::{self, Failure};
use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::retry::RetryConfig;
use aws_sdk_sfn::config::timeout::TimeoutConfig;
use aws_sdk_sfn::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
    StalledStreamProtectionConfig,
};
use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use std::time::Duration;
use stepyard::RunningServer;

pub const ROLE: &str = "arn:aws:iam::000000000000:role/stepyard-tests";

/// Two Pass states: the input comes back under `result`.
pub const PASS: &str = r#"{
  "StartAt": "First",
  "States": {
    "First": {"Type": "Pass", "Result": "hello", "ResultPath": "$.result", "Next": "Second"},
    "Second": {"Type": "Pass", "End": true}
  }
}"#;

/// Fails with a known error and cause.
pub const FAIL: &str = r#"{
  "StartAt": "Boom",
  "States": {"Boom": {"Type": "Fail", "Error": "Custom.Error", "Cause": "it broke"}}
}"#;

/// Waits long enough (on the server's clock) to be seen running.
pub const WAIT: &str = r#"{
  "StartAt": "Wait",
  "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": true}}
}"#;

/// Strips the `sync-` host prefix the SDK adds to StartSyncExecution (see the module comment).
#[derive(Debug)]
struct StripSyncHostPrefix;

impl Intercept for StripSyncHostPrefix {
    fn name(&self) -> &'static str {
        "StripSyncHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request_mut();
        let uri = request.uri().replacen("://sync-", "://", 1);
        request.set_uri(uri.as_str())?;
        Ok(())
    }
}

pub fn sfn(server: &RunningServer) -> aws_sdk_sfn::Client {
    sfn_in(server, common::REGION)
}

/// A client signing for `region` (the credential scope picks the server's region). Retries
/// are off so errors are seen as sent; the timeout turns a hang into a failure.
pub fn sfn_in(server: &RunningServer, region: &str) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "stepyard"))
        .retry_config(RetryConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .interceptor(StripSyncHostPrefix)
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

/// A client without the interceptor: shows what the SDK does on its own.
pub fn sfn_without_host_fix(server: &RunningServer) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(common::REGION))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "stepyard"))
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

pub fn machine_arn(name: &str) -> String {
    format!(
        "arn:aws:states:{}:{}:stateMachine:{name}",
        common::REGION,
        common::ACCOUNT
    )
}

/// Creates a state machine of `kind` and returns its ARN.
pub async fn create_machine_of(
    client: &aws_sdk_sfn::Client,
    name: &str,
    definition: &str,
    kind: StateMachineType,
) -> String {
    client
        .create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn(ROLE)
        .r#type(kind)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateStateMachine {name}: {}", common::describe(&e)))
        .state_machine_arn
}

pub async fn create_machine(client: &aws_sdk_sfn::Client, name: &str, definition: &str) -> String {
    create_machine_of(client, name, definition, StateMachineType::Standard).await
}

/// Starts an execution and returns its ARN.
pub async fn start(
    client: &aws_sdk_sfn::Client,
    machine_arn: &str,
    name: &str,
    input: &str,
) -> String {
    client
        .start_execution()
        .state_machine_arn(machine_arn)
        .name(name)
        .input(input)
        .send()
        .await
        .unwrap_or_else(|e| panic!("StartExecution {name}: {}", common::describe(&e)))
        .execution_arn
}

/// Polls DescribeExecution until the execution leaves RUNNING (at most 10 s).
pub async fn wait_until_done(
    client: &aws_sdk_sfn::Client,
    execution_arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    for _ in 0..1000 {
        let described = client
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DescribeExecution: {}", common::describe(&e)));
        if described.status != ExecutionStatus::Running {
            return described;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{execution_arn} still RUNNING after 10 s");
}

/// The code and message of a call that had to fail.
pub fn failed<T: std::fmt::Debug, E>(
    result: Result<T, aws_sdk_sfn::error::SdkError<E, aws_sdk_sfn::config::http::HttpResponse>>,
) -> Failure
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(output) => panic!("expected an error, got success: {output:?}"),
        Err(aws_sdk_sfn::error::SdkError::ServiceError(service)) => Failure {
            code: service.err().code().unwrap_or("<none>").to_string(),
            message: service.err().message().unwrap_or("<none>").to_string(),
            status: service.raw().status().as_u16(),
        },
        Err(other) => Failure {
            code: "<transport>".into(),
            message: common::describe(&other),
            status: 0,
        },
    }
}

//! Step Functions through the real `aws-sdk-sfn`, over HTTP, against an in-process stepyard
//! server. One test target; one module per concern. `conformance` replays the recorded API
//! error cases of `../shared/conformance/sfn` over raw HTTP.

#[path = "../common/mod.rs"]
mod common;

mod activities;
mod client;
mod conformance;
mod executions;
mod heavy_work;
mod history;
mod integration_conformance;
mod integrations;
mod jsonata;
mod lambda_mocks;
mod machines;
mod oversized;
mod redrive_map_runs;
mod regions;
mod retention;
mod snapshot;
mod sync_execution;
mod tags;
mod test_state;
mod test_state_conformance;
mod validate;
mod validation_messages;
mod versions_aliases;

//! One test binary for everything that is not a service's own SDK suite: the conformance
//! drivers of the States Language parser and interpreter (JSONata and the event patterns are
//! crates with their own, in `crates/`), the fuzzer, STS through its SDK, the process's shutdown, and the README's snippets. One
//! binary instead of one per file: each links the crate and the AWS SDKs, which is most of a
//! cold test build.

mod asl_data_flow;
mod asl_interp;
mod asl_parse;
mod chain_budget;
#[path = "../common/mod.rs"]
mod common;
mod fuzz;
mod process;
mod random_graphs;
mod sts;

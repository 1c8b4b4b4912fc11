//! Gateway-level behaviour over raw HTTP (reqwest): the admin endpoints, bad input that must
//! get an AWS-shaped error (never a panic, a 500 or a hang), the legacy query protocol end to
//! end, response headers, and the query-protocol rows of the recorded SQS errors.

#[path = "../common/mod.rs"]
mod common;
mod raw;

mod admin;
mod bad_input;
mod browsers;
mod clock;
mod connections;
mod headers;
mod query_conformance;
mod query_protocol;
mod signatures;

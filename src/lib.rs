//! stepyard: Step Functions, EventBridge, SQS and SNS emulated in one process, on their real
//! wire protocols. `Server::start` is used by `main` and by the integration tests alike.

pub mod app;
pub mod arn;
pub mod asl;
pub mod clock;
pub mod config;
pub mod coverage;
pub mod cpu;
pub mod dispatch;
pub mod error;
pub mod gateway;
pub mod invoke;
pub mod model;
pub mod persist;
pub mod protocol;
pub mod request;
pub mod server;
pub mod services;
pub mod settle;
pub mod time;
pub mod trace;

pub use clock::Clock;
pub use config::Config;
pub use server::{RunningServer, Server};
